"""Sealing: the secret answers of a suspended call, encrypted at rest.

A `collect x: secret` answer (a PIN) is never stored in clear: the stored state
holds one sealed text with the call's secret answers, and each variable that
holds one holds a reference to it instead (state.py). The key comes from the
environment variable FLOWC_STATE_KEY (any text; use 32 or more random
characters); with none set, each process makes a random key of its own, so a
call it suspended resumes only in that same process (another one finds the
state cannot be unsealed, a StateError).

Standard library only (no `cryptography` dependency): an encrypt-then-MAC
construction with HMAC-SHA256 as the pseudo-random function. Two keys are
derived from the key text (one to encrypt, one to authenticate); the plaintext
is XORed with the keystream HMAC(enc_key, nonce || counter) for counter 0, 1,
..., under a fresh random 16-byte nonce, and the tag HMAC(mac_key, context ||
nonce || ciphertext) binds it to the call, so a sealed text neither reads nor
moves to another call. Sealed text: "v1." + urlsafe base64 of nonce, ciphertext
and the 32-byte tag.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

KEY_VARIABLE = "FLOWC_STATE_KEY"
_VERSION = "v1."
_NONCE = 16
_TAG = 32
_BLOCK = hashlib.sha256().digest_size

# The key of this process when FLOWC_STATE_KEY is not set.
_PROCESS_KEY = secrets.token_hex(32)


class SealError(ValueError):
    """A sealed text that is not one, or was sealed with another key or for another call."""


def state_key(configured: str | None) -> str:
    """The key text: FLOWC_STATE_KEY's value, or this process's own when it is unset."""
    return configured if configured else _PROCESS_KEY


def seal(plaintext: str, key: str, context: str) -> str:
    enc_key, mac_key = _keys(key)
    nonce = secrets.token_bytes(_NONCE)
    data = plaintext.encode("utf-8")
    ciphertext = _xor(data, _keystream(enc_key, nonce, len(data)))
    tag = _tag(mac_key, context, nonce, ciphertext)
    return _VERSION + base64.urlsafe_b64encode(nonce + ciphertext + tag).decode("ascii")


def unseal(sealed: str, key: str, context: str) -> str:
    if not sealed.startswith(_VERSION):
        raise SealError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :].encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SealError("not a sealed value") from exc
    if len(raw) < _NONCE + _TAG:
        raise SealError("not a sealed value")
    nonce, ciphertext, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    enc_key, mac_key = _keys(key)
    if not hmac.compare_digest(tag, _tag(mac_key, context, nonce, ciphertext)):
        raise SealError(f"sealed with another key ({KEY_VARIABLE}) or for another call")
    try:
        return _xor(ciphertext, _keystream(enc_key, nonce, len(ciphertext))).decode("utf-8")
    except UnicodeDecodeError as exc:  # pragma: no cover - the tag held
        raise SealError("not a sealed value") from exc


def _keys(key: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(key.encode("utf-8")).digest()
    enc_key = hmac.new(root, b"flowc state encryption", hashlib.sha256).digest()
    mac_key = hmac.new(root, b"flowc state authentication", hashlib.sha256).digest()
    return enc_key, mac_key


def _keystream(enc_key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + _BLOCK - 1) // _BLOCK
    return b"".join(
        hmac.new(enc_key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )[:length]


def _tag(mac_key: bytes, context: str, nonce: bytes, ciphertext: bytes) -> bytes:
    bound = context.encode("utf-8")
    message = len(bound).to_bytes(8, "big") + bound + nonce + ciphertext
    return hmac.new(mac_key, message, hashlib.sha256).digest()


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))
