"""Every payload a call sends to Temporal, encrypted: the history holds no secret in clear.

A workflow's history keeps its input, the environment snapshot (API keys read
by `env()`), the callers' answers and the activities' arguments and results.
`PayloadCipher` is a `PayloadCodec`: the client of the server side and of every
worker encrypts each payload with AES-256-GCM under FLOWC_PAYLOAD_KEY (32
random bytes, base64; `openssl rand -base64 32`), so Temporal only stores
ciphertext. A fresh 96-bit nonce per payload; the payload's encoding name is
bound as associated data, so a ciphertext cannot be passed off as another kind.
"""

from __future__ import annotations

import base64
import binascii
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


class PayloadCipher(PayloadCodec):
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload.SerializeToString(), ENCODING)
        return Payload(metadata={"encoding": ENCODING}, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written by a client without the codec (none of flowc's)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, sealed, ENCODING)
        except InvalidTag:
            raise ValueError(
                f"a payload does not decrypt with this {KEY_VARIABLE}: the server and the "
                "workers must share one key"
            ) from None
        opened = Payload()
        opened.ParseFromString(plain)
        return opened
