"""Every payload a call sends to Temporal, encrypted: the history holds no secret in clear.

A workflow's history keeps its input, the environment snapshot (API keys read
by `env()`), the callers' answers and the activities' arguments and results.
`PayloadCipher` is a `PayloadCodec`: the client of the server side and of every
worker encrypts each payload with AES-256-GCM under FLOWC_PAYLOAD_KEY (32
random bytes, base64; `openssl rand -base64 32`), so Temporal only stores
ciphertext. A fresh 96-bit nonce per payload. Each payload names its key by id
(the first 8 bytes of the key's SHA-256, in hex, in the metadata), so a payload
sealed under another key says so instead of failing as corrupt; the id is bound
as associated data with the encoding, so the metadata cannot be altered to
claim another key. A payload that is not sealed is refused, not passed on: every
payload the codec is given was written by a flowc client (the SDK core's own
local activity markers are written and read without the codec), so a plaintext
one was written by someone else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

KEY_VARIABLE = "FLOWC_PAYLOAD_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
ENCODING = b"binary/flowc-aes256gcm"
KEY_ID = "flowc-key-id"


class PayloadKeyError(Exception):
    """FLOWC_PAYLOAD_KEY is missing or is not 32 bytes in base64; the message says which."""


def payload_key(environ: Mapping[str, str]) -> bytes:
    """The key of FLOWC_PAYLOAD_KEY; PayloadKeyError when it is missing or malformed."""
    text = (environ.get(KEY_VARIABLE) or "").strip()
    if not text:
        raise PayloadKeyError(
            f"{KEY_VARIABLE} is not set: calls on Temporal are encrypted with it; set it to "
            "32 random bytes in base64 (openssl rand -base64 32), the same for the server "
            "and every worker"
        )
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        raise PayloadKeyError(
            f"{KEY_VARIABLE} must be {KEY_BYTES} bytes in base64 (44 characters, from "
            "openssl rand -base64 32)"
        )
    return key


def key_id(key: bytes) -> bytes:
    """The id of a key, which the payloads it sealed carry: not secret, and short."""
    return hashlib.sha256(key).hexdigest()[:16].encode()


class PayloadCipher(PayloadCodec):
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._key_id = key_id(key)
        self._associated = ENCODING + b"/" + self._key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload.SerializeToString(), self._associated)
        metadata = {"encoding": ENCODING, KEY_ID: self._key_id}
        return Payload(metadata=metadata, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            raise ValueError(
                f"a payload is not encrypted with {KEY_VARIABLE} (written by a client "
                "without flowc's codec): refused"
            )
        sealed_by = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        if sealed_by != self._key_id.decode():
            raise ValueError(
                f"a payload is sealed with key {sealed_by or '(none)'}, and this "
                f"{KEY_VARIABLE} is key {self._key_id.decode()}: the server and the "
                "workers must share one key"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, sealed, self._associated)
        except InvalidTag:
            raise ValueError(
                f"a payload sealed with key {sealed_by} does not decrypt: it was altered"
            ) from None
        opened = Payload()
        opened.ParseFromString(plain)
        return opened
