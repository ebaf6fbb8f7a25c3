"""Keying over ConversationRelay (a real `flowc serve --transport relay`, a real
WebSocket): a short menu is answered by its first key and `expect 8 digits` by
its eighth, without waiting for `#` or the pause after the last key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from flowc_runtime.serve.relay import DIGIT_PAUSE_SECONDS

from tests.serve.line import copy_flows
from tests.serve.test_relay import Session, connect_of
from tests.support.served import ServedFlow
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

MENU = "Press 1 for balance, 2 for cards, 3 for loans."
ASK_ACCOUNT = "Your eight-digit account number, then the hash key."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedFlow]:
    folder = tmp_path_factory.mktemp("relay-keypad")
    (flow,) = copy_flows(folder / "bank", "keypad.flow")
    served = ServedFlow(folder / "server", [flow], args=["--transport", "relay"]).start()
    yield served
    served.close()


@pytest.fixture
def call(server: ServedFlow) -> Iterator[TwilioCall]:
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as phone_call:
        yield phone_call


async def answered_after(session: Session, keys: str, expected: list[str]) -> float:
    """Presses the keys; the seconds until the agent's next words, which are checked."""
    await session.press(keys)
    pressed = time.monotonic()
    assert await session.hear(len(expected)) == expected
    return time.monotonic() - pressed


def test_the_keys_that_answer_a_question_end_the_keying(call: TwilioCall) -> None:
    async def scenario() -> list[float]:
        session = await Session.open(call, connect_of(call.start()).url)
        assert await session.hear(1) == [MENU]
        waits = [await answered_after(session, "2", [ASK_ACCOUNT])]
        done = ["cards for account 00421234.", "Goodbye."]
        waits.append(await answered_after(session, "00421234", done))
        assert await session.ended() == {"reason": "hangup"}
        await session.close()
        return waits

    for waited in asyncio.run(scenario()):
        assert waited < DIGIT_PAUSE_SECONDS  # no pause after the last key was waited for


def test_fewer_digits_ending_on_hash_are_asked_again(call: TwilioCall) -> None:
    async def scenario() -> None:
        session = await Session.open(call, connect_of(call.start()).url)
        assert await session.hear(1) == [MENU]
        await answered_after(session, "3", [ASK_ACCOUNT])
        await answered_after(session, "0042#", [ASK_ACCOUNT])
        await answered_after(session, "00421234", ["loans for account 00421234.", "Goodbye."])
        await session.close()

    asyncio.run(scenario())
