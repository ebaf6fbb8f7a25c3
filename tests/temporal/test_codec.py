"""The payload codec: every payload sealed with AES-256-GCM under the key it names by
id; a payload not sealed, sealed under another key, or altered, is refused with the
reason (never passed on as it is)."""

from __future__ import annotations

import asyncio

import pytest
from flowc_runtime.temporal.codec import KEY_ID, PayloadCipher, key_id, payload_key
from temporalio.api.common.v1 import Payload

from .calls import TEST_PAYLOAD_KEY

KEY = payload_key({"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY})
OTHER_KEY = bytes(range(1, 33))
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"says": ["Hello Jane."]}')


def seal(cipher: PayloadCipher, payload: Payload) -> Payload:
    (sealed,) = asyncio.run(cipher.encode([payload]))
    return sealed


def open_(cipher: PayloadCipher, payload: Payload) -> Payload:
    (opened,) = asyncio.run(cipher.decode([payload]))
    return opened


def test_a_payload_is_sealed_under_its_named_key_and_opens_as_it_was() -> None:
    cipher = PayloadCipher(KEY)
    sealed = seal(cipher, PLAIN)
    assert b"Hello Jane" not in sealed.SerializeToString()
    assert sealed.metadata[KEY_ID] == key_id(KEY)
    assert open_(cipher, sealed) == PLAIN
    assert seal(cipher, PLAIN).data != sealed.data  # a fresh nonce each time


def test_a_payload_that_is_not_sealed_is_refused() -> None:
    with pytest.raises(ValueError, match="not encrypted with FLOWC_PAYLOAD_KEY"):
        open_(PayloadCipher(KEY), PLAIN)


def test_a_payload_sealed_under_another_key_names_both_keys() -> None:
    sealed = seal(PayloadCipher(OTHER_KEY), PLAIN)
    expected = (
        f"sealed with key {key_id(OTHER_KEY).decode()}, and this FLOWC_PAYLOAD_KEY is key "
        f"{key_id(KEY).decode()}"
    )
    with pytest.raises(ValueError, match=expected):
        open_(PayloadCipher(KEY), sealed)


def test_a_payload_altered_in_the_history_does_not_open() -> None:
    cipher = PayloadCipher(KEY)
    sealed = seal(cipher, PLAIN)
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(ValueError, match="does not decrypt: it was altered"):
        open_(cipher, sealed)
