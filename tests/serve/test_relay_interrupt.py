"""`talk ... uninterruptible` through `flowc serve`, on both transports: a real server
process, played as Twilio (signed webhooks; a real ConversationRelay WebSocket).

ConversationRelay: the text goes with `interruptible: false`; a barge-in drops the
interruptible words not sent yet before it but never it nor what follows it; what
the caller says or keys until it has been said is not heard. <Gather>: it is a
<Say> outside the Gather, where speech is not heard, and only the question is inside.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowc_runtime.serve.turns import Next, Reply
from flowc_runtime.serve.twilio_voice import twiml
from flowc_runtime.services import Question

from tests.serve.line import copy_flows
from tests.serve.test_relay import Session, connect_of
from tests.support.served import ServedFlow
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

HELLO = "Hello."
DISCLOSURE = "This call is recorded for quality and training."
SKIPPABLE = "You may cut this short."
QUESTION = "Which topic?"


def disclosure_server(folder: Path, *args: str) -> ServedFlow:
    (flow,) = copy_flows(folder / "line", "disclosure.flow")
    return ServedFlow(folder / "server", [flow], args=list(args))


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedFlow]:
    served = disclosure_server(tmp_path_factory.mktemp("relay"), "--transport", "relay").start()
    yield served
    served.close()


@pytest.fixture(scope="module")
def gather(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedFlow]:
    served = disclosure_server(tmp_path_factory.mktemp("gather")).start()
    yield served
    served.close()


def test_relay_sends_the_disclosure_as_uninterruptible_and_no_other_text(
    relay: ServedFlow,
) -> None:
    with TwilioCall(relay.url, relay.auth_token, from_=new_phone_number()) as call:

        async def scenario() -> list[dict[str, object]]:
            session = await Session.open(call, connect_of(call.start()).url)
            messages = [await session.receive() for _ in range(4)]
            await session.say("billing")
            assert await session.hear(1) == ["More on billing. Goodbye!"]
            return messages

        messages = asyncio.run(scenario())
    assert [m["token"] for m in messages] == [HELLO, DISCLOSURE, SKIPPABLE, QUESTION]
    assert [m.get("interruptible", True) for m in messages] == [True, False, True, True]


def test_a_barge_in_over_the_greeting_keeps_the_disclosure_and_what_follows_it(
    relay: ServedFlow,
) -> None:
    with TwilioCall(relay.url, relay.auth_token, from_=new_phone_number()) as call:

        async def scenario() -> list[str]:
            session = await Session.open(call, connect_of(call.start()).url)
            assert await session.hear(1) == [HELLO]
            await session.send(
                type="interrupt", utteranceUntilInterrupt="Hel", durationUntilInterruptMs=200
            )
            said = await session.hear(3)
            await session.say("billing")
            return [*said, *await session.hear(1)]

        said = asyncio.run(scenario())
        (interrupted,) = relay.events("interrupted", call=call.call_sid)
    # The caller cannot have cut the disclosure short: the question after it is asked.
    assert said == [DISCLOSURE, SKIPPABLE, QUESTION, "More on billing. Goodbye!"]
    assert interrupted["dropped"] == 0


def test_words_and_keys_over_the_disclosure_are_not_heard_and_the_question_is_asked(
    relay: ServedFlow,
) -> None:
    with TwilioCall(relay.url, relay.auth_token, from_=new_phone_number()) as call:

        async def scenario() -> list[str]:
            session = await Session.open(call, connect_of(call.start()).url)
            assert await session.hear(2) == [HELLO, DISCLOSURE]
            await session.send(
                type="interrupt", utteranceUntilInterrupt="This call", durationUntilInterruptMs=300
            )
            await session.say("sports")
            await session.press("1")
            said = await session.hear(2)
            await session.say("billing")
            return [*said, *await session.hear(1)]

        said = asyncio.run(scenario())
        (interrupted,) = relay.events("interrupted", call=call.call_sid)
        heard = [event["text"] for event in relay.events("heard", call=call.call_sid)]
    # "sports" and the key came over the disclosure: dropped, so the question after it
    # is asked and the caller's answer to it is the one taken.
    assert said == [SKIPPABLE, QUESTION, "More on billing. Goodbye!"]
    assert interrupted["dropped"] == 0
    assert heard == ["billing"]


def test_gather_says_the_disclosure_outside_the_gather(gather: ServedFlow) -> None:
    with TwilioCall(gather.url, gather.auth_token, from_=new_phone_number()) as call:
        answer = call.start()
    assert answer.says == [HELLO, DISCLOSURE, SKIPPABLE]
    assert answer.gather is not None and answer.gather.says == [QUESTION]


def test_an_uninterruptible_text_last_before_a_question_stays_out_of_the_gather() -> None:
    # A question listened to again without its prompt (a resumed listen), after a text.
    question = Question("text", QUESTION)
    held = Reply((DISCLOSURE,), Next.LISTEN, question, uninterruptible=frozenset({0}))
    free = Reply((SKIPPABLE,), Next.LISTEN, question)

    def layout(reply: Reply) -> list[tuple[str, list[str]]]:
        """Each top-level verb with the texts it says (a Gather: those inside it)."""
        body = bytes(twiml(reply, "https://line.example.com", "CA1", 0).body).decode()
        root = ElementTree.fromstring(body)
        return [
            (verb.tag, [verb.text or ""] if verb.tag == "Say" else
             [say.text or "" for say in verb.iter("Say")])
            for verb in root
        ]

    assert layout(held) == [("Say", [DISCLOSURE]), ("Gather", [])]
    assert layout(free) == [("Gather", [SKIPPABLE])]
