"""`flowc serve --transport relay`: a real server process, played as Twilio's ConversationRelay.

Each test is one phone call (its own CallSid). The webhooks are signed form posts
(TwilioCall); each session is a real WebSocket to the URL of the TwiML's
<ConversationRelay>, its upgrade signed as Twilio signs it (the socket URL, no
parameters), opened with Twilio's `setup` message. The caller speaks in
`prompt` messages and keys in `dtmf` ones; the agent's words come back as
`text` messages, and `end` hands the call back to the <Connect> action. One
server (flows/relay_line.flow, on a SQLite store) serves the module; tests that
need other options, or stop their server, start their own.
"""

from __future__ import annotations

import asyncio
import json
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.serve.line import LineApi, copy_flows, wait_until
from tests.support.served import ServedFlow
from tests.support.twilio_webhooks import TwilioCall, TwiML, new_phone_number

WELCOME, ASK_NAME, ASK_PIN = "Welcome.", "Your name?", "Key in your PIN."
HOLD_PHRASE = "One moment, please."
NOT_HEARD = "We did not hear you. Goodbye."
NEWS = [
    "Here is the news, read slowly enough for anyone to barge in on it.",
    "This second item of the news is never heard when the caller barges in.",
    "Nor is this third one.",
    "Which story?",
]
DESK = "+15559990000"
RECEIVE_SECONDS = 10.0


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("relay")


def relay_server(folder: Path, api: LineApi, *args: str, **options: Any) -> ServedFlow:
    (flow,) = copy_flows(folder / "line", "relay_line.flow")
    arguments = ["--transport", "relay", *args]
    return ServedFlow(
        folder / "server", [flow], args=arguments, env={"API_URL": api.url}, **options
    )


@pytest.fixture(scope="module")
def server(folder: Path, api: LineApi) -> Iterator[ServedFlow]:
    served = relay_server(folder, api).start()
    yield served
    served.close()


@pytest.fixture
def call(server: ServedFlow) -> Iterator[TwilioCall]:
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as phone_call:
        yield phone_call


# ------------------------------------------------------------------ playing Twilio


@dataclass(frozen=True)
class Connect:
    """A <Connect action><ConversationRelay url .../></Connect> answer."""

    action: str
    url: str
    relay: dict[str, str]


def connect_of(answer: TwiML) -> Connect:
    assert answer.ok, answer.text
    root = ElementTree.fromstring(answer.text)
    assert [verb.tag for verb in root] == ["Connect"], answer.text
    verb = root[0]
    (relay,) = list(verb)
    assert relay.tag == "ConversationRelay", answer.text
    return Connect(verb.get("action", ""), relay.get("url", ""), dict(relay.attrib))


class Session:
    """One ConversationRelay session, as Twilio speaks it to the server's socket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, call: TwilioCall, url: str, signature: str | None = None) -> Session:
        """Opens the socket (signed for `url` unless `signature` is given) and sends setup."""
        headers = {"X-Twilio-Signature": signature or call.signature(url, {})}
        socket = await connect(url, additional_headers=headers, open_timeout=RECEIVE_SECONDS)
        session = cls(socket)
        await session.send(
            type="setup", sessionId="VX" + "1" * 32, accountSid=call.account_sid,
            parentCallSid="", callSid=call.call_sid, **{"from": call.from_, "to": call.to},
            forwardedFrom="", callType="PSTN", callerName="", direction="inbound",
            callStatus="IN-PROGRESS", customParameters={},
        )  # fmt: skip
        return session

    async def send(self, **message: Any) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(self.socket.recv(), RECEIVE_SECONDS)
        )
        return message

    async def hear(self, count: int) -> list[str]:
        """The next `count` messages, which must be texts, each a whole utterance."""
        tokens = []
        for _ in range(count):
            message = await self.receive()
            assert message["type"] == "text" and message["last"] is True, message
            tokens.append(message["token"])
        return tokens

    async def say(self, words: str) -> None:
        await self.send(type="prompt", voicePrompt=words, lang="en-US", last=True)

    async def press(self, keys: str) -> None:
        for key in keys:
            await self.send(type="dtmf", digit=key)

    async def hear_all(self) -> tuple[list[str], dict[str, Any]]:
        """The texts up to `end`, and its handoffData, parsed."""
        texts = []
        message = await self.receive()
        while message["type"] == "text":
            texts.append(message["token"])
            message = await self.receive()
        assert message["type"] == "end", message
        return texts, json.loads(message["handoffData"])

    async def ended(self) -> dict[str, Any]:
        """The next message, which must be `end`: its handoffData, parsed."""
        message = await self.receive()
        assert message["type"] == "end", message
        assert isinstance(message["handoffData"], str), message  # JSON text, as Twilio wants
        handoff: dict[str, Any] = json.loads(message["handoffData"])
        return handoff

    async def close(self) -> None:
        await self.socket.close()


def session_over(call: TwilioCall, connect: Connect, **fields: str) -> TwiML:
    """Twilio's request to the <Connect> action once a session is over."""
    extra = {"SessionId": "VX" + "1" * 32, "SessionDuration": "4", **fields}
    return call.post(connect.action, extra)


def handed_back(call: TwilioCall, connect: Connect, handoff: dict[str, Any]) -> TwiML:
    """The <Connect> action after an `end` message with `handoff`."""
    return session_over(call, connect, SessionStatus="ended", HandoffData=json.dumps(handoff))


def outcomes(server: ServedFlow, call: TwilioCall) -> list[str]:
    """The outcomes of the call's call_ended events, once there is one."""
    wait_until(lambda: bool(server.events("call_ended", call=call.call_sid)), "call_ended")
    return [event["outcome"] for event in server.events("call_ended", call=call.call_sid)]


async def to_pin_question(call: TwilioCall, name: str = "Jane") -> tuple[Connect, Session]:
    """Plays the call up to the PIN question: its Connect and its session."""
    connect = connect_of(call.start())
    session = await Session.open(call, connect.url)
    assert await session.hear(2) == [WELCOME, ASK_NAME]
    await session.say(name)
    assert await session.hear(1) == [ASK_PIN]
    return connect, session


# ------------------------------------------------------------------ a whole call


def test_a_call_is_one_session_of_texts_and_prompts_then_end_and_a_hangup(
    server: ServedFlow, call: TwilioCall
) -> None:
    async def scenario() -> None:
        connect = connect_of(call.start())
        sid = call.call_sid
        assert connect.action == f"{server.url}/twilio/relay/{sid}/action"
        assert connect.url == f"ws://127.0.0.1:{server.port}/twilio/relay/{sid}/socket"
        assert connect.relay["dtmfDetection"] == "true"
        assert connect.relay["interruptible"] == "any"

        session = await Session.open(call, connect.url)
        assert await session.hear(2) == [WELCOME, ASK_NAME]
        await session.say("Jane Doe")
        assert await session.hear(1) == [ASK_PIN]
        await session.press("42#")
        assert await session.hear(1) == ["Thanks Jane Doe, PIN 42. Goodbye!"]
        assert await session.ended() == {"reason": "hangup"}
        await session.close()

        over = handed_back(call, connect, {"reason": "hangup"})
        assert over.verbs == ["Hangup"]

    asyncio.run(scenario())
    assert outcomes(server, call) == ["ended"]
    heard = [event["text"] for event in server.events("heard", call=call.call_sid)]
    assert heard == ["Jane Doe", "42"]


def test_keys_are_an_answer_at_a_pause_without_the_hash(
    server: ServedFlow, call: TwilioCall
) -> None:
    async def scenario() -> float:
        _, session = await to_pin_question(call)
        await session.press("4")
        await session.press("2")
        pressed = time.monotonic()
        assert await session.hear(1) == ["Thanks Jane, PIN 42. Goodbye!"]
        waited = time.monotonic() - pressed
        assert await session.ended() == {"reason": "hangup"}
        return waited

    waited = asyncio.run(scenario())
    assert 0.9 <= waited < 3  # the step's timeout (1 s) bounds the pause between keys


def test_words_said_while_keying_are_not_heard(server: ServedFlow, call: TwilioCall) -> None:
    async def scenario() -> None:
        _, session = await to_pin_question(call)
        await session.press("1")
        await session.say("seven")
        await session.press("3#")
        assert await session.hear(1) == ["Thanks Jane, PIN 13. Goodbye!"]

    asyncio.run(scenario())


def test_silence_past_the_timeout_is_no_answer(server: ServedFlow, call: TwilioCall) -> None:
    async def scenario() -> float:
        session = await Session.open(call, connect_of(call.start()).url)
        assert await session.hear(2) == [WELCOME, ASK_NAME]
        asked = time.monotonic()
        assert await session.hear(1) == [NOT_HEARD]  # attempts 1: no answer at once
        silence = time.monotonic() - asked
        assert await session.ended() == {"reason": "hangup"}
        return silence

    silence = asyncio.run(scenario())
    # The question's 1 s counts from when the words before it have been said: 18
    # letters, 1.2 s at 15 a second.
    assert 2.1 <= silence < 5
    assert [event["text"] for event in server.events("heard", call=call.call_sid)] == [None]
    assert outcomes(server, call) == ["ended"]


# ------------------------------------------------------------------ transfers


async def to_the_desk(call: TwilioCall) -> Connect:
    """Plays the call to the transfer: the session ends with the dial's handoff."""
    connect, session = await to_pin_question(call)
    await session.press("0#")
    assert await session.hear(1) == ["Connecting you."]
    assert await session.ended() == {"reason": "transfer", "number": DESK, "turn": 3}
    await session.close()
    return connect


def test_a_completed_transfer_is_a_dial_then_a_hangup(server: ServedFlow, call: TwilioCall) -> None:
    connect = asyncio.run(to_the_desk(call))
    dial = handed_back(call, connect, {"reason": "transfer", "number": DESK, "turn": 3})
    assert dial.verbs == ["Dial"]
    assert dial.dial is not None and dial.dial.number == DESK
    assert dial.dial.action == f"{server.url}/twilio/relay/{call.call_sid}/3/dial"

    assert call.dial_ended("completed").verbs == ["Hangup"]
    assert outcomes(server, call) == ["transferred"]


def test_a_busy_transfer_goes_on_in_a_new_session_at_the_next_turn(
    server: ServedFlow, call: TwilioCall
) -> None:
    connect = asyncio.run(to_the_desk(call))
    handed_back(call, connect, {"reason": "transfer", "number": DESK, "turn": 3})
    again = connect_of(call.dial_ended("busy"))
    sid = call.call_sid
    assert again.url == f"ws://127.0.0.1:{server.port}/twilio/relay/{sid}/4/socket"
    assert again.action == connect.action

    async def scenario() -> None:
        session = await Session.open(call, again.url)
        assert await session.hear(1) == ["The desk is busy. Try later?"]
        await session.say("yes")
        assert await session.hear(1) == ["Goodbye, Jane."]
        assert await session.ended() == {"reason": "hangup"}

    asyncio.run(scenario())
    assert handed_back(call, again, {"reason": "hangup"}).verbs == ["Hangup"]
    assert outcomes(server, call) == ["ended"]
    failed = server.events("transfer_failed", call=sid)
    assert [event["to"] for event in failed] == [DESK]


# ------------------------------------------------------------------ barge-in


def test_a_barge_in_drops_the_words_not_sent_yet(server: ServedFlow, call: TwilioCall) -> None:
    async def scenario() -> None:
        _, session = await to_pin_question(call)
        await session.press("7#")
        assert await session.hear(1) == [NEWS[0]]
        await session.send(
            type="interrupt", utteranceUntilInterrupt="Here is the", durationUntilInterruptMs=640
        )
        await session.say("the weather")
        # Neither the rest of the news nor the question: the caller's words answered it.
        assert await session.hear(1) == ["More on the weather soon. Goodbye!"]
        assert await session.ended() == {"reason": "hangup"}

    asyncio.run(scenario())
    (interrupted,) = server.events("interrupted", call=call.call_sid)
    assert interrupted["heard_until"] == "Here is the"
    assert interrupted["duration_ms"] == 640
    assert interrupted["dropped"] == len(NEWS) - 1


# ------------------------------------------------------------------ holds


def test_a_slow_turn_holds_with_the_hold_phrase_then_says_the_rest(
    tmp_path: Path, api: LineApi
) -> None:
    server = relay_server(tmp_path, api, "--hold-after", "0.5").start()
    try:
        with TwilioCall(server.url, server.auth_token) as call:
            api.delay("/profile", call.call_sid, 1.6)

            async def scenario() -> tuple[list[str], dict[str, Any]]:
                _, session = await to_pin_question(call)
                await session.press("9#")
                return await session.hear_all()

            texts, handoff = asyncio.run(scenario())
            # A hold phrase when the turn is still running after --hold-after, and again
            # at a later hold once the last one has been said (about 1 s).
            assert texts[-1] == "Your profile says Jane. Goodbye!"
            assert 1 <= len(texts) - 1 <= 2 and set(texts[:-1]) == {HOLD_PHRASE}
            assert handoff == {"reason": "hangup"}
            assert api.hits("/profile", call.call_sid) == 1
            assert outcomes(server, call) == ["ended"]
    finally:
        server.close()


# ------------------------------------------------------------------ signatures


def test_a_socket_without_a_valid_signature_is_refused(
    server: ServedFlow, call: TwilioCall
) -> None:
    url = connect_of(call.start()).url
    http_url = url.replace("ws://", "http://")  # a webhook's signature is not the socket's

    async def refused(signature: str | None) -> int:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        with pytest.raises(InvalidStatus) as refusal:
            await connect(url, additional_headers=headers, open_timeout=RECEIVE_SECONDS)
        return refusal.value.response.status_code

    async def scenario() -> list[int]:
        return [
            await refused(None),
            await refused("bm90IGEgc2lnbmF0dXJl"),
            await refused(call.signature(http_url, {})),
            await refused(call.signature(url, {"CallSid": call.call_sid})),
        ]

    assert asyncio.run(scenario()) == [403, 403, 403, 403]
    refusals = server.events("webhook_refused", call=call.call_sid)
    assert [event["path"] for event in refusals] == [f"/twilio/relay/{call.call_sid}/socket"] * 4
    assert server.events("call_started", call=call.call_sid) == []


def test_behind_a_public_url_the_socket_is_wss_and_signed_for_it(
    tmp_path: Path, api: LineApi
) -> None:
    public = "https://relay.example.test"
    server = relay_server(tmp_path, api, "--public-url", public).start()
    try:
        with TwilioCall(server.url, server.auth_token, public_url=public) as call:
            connect = connect_of(call.start())
            assert connect.action == f"{public}/twilio/relay/{call.call_sid}/action"
            socket_url = f"wss://relay.example.test/twilio/relay/{call.call_sid}/socket"
            assert connect.url == socket_url
            local = f"ws://127.0.0.1:{server.port}/twilio/relay/{call.call_sid}/socket"

            async def scenario() -> None:
                session = await Session.open(call, local, call.signature(socket_url, {}))
                assert await session.hear(2) == [WELCOME, ASK_NAME]
                with pytest.raises(InvalidStatus):  # signed for the URL it reached: not Twilio's
                    await Session.open(call, local)

            asyncio.run(scenario())
    finally:
        server.close()


def test_insecure_no_signature_accepts_an_unsigned_socket(tmp_path: Path, api: LineApi) -> None:
    server = relay_server(tmp_path, api, "--insecure-no-signature", auth_token=None).start()
    try:
        with TwilioCall(server.url, "any token") as call:
            connect = connect_of(call.start())

            async def scenario() -> None:
                session = await Session.open(call, connect.url, "not a signature")
                assert await session.hear(2) == [WELCOME, ASK_NAME]

            asyncio.run(scenario())
    finally:
        server.close()


# ------------------------------------------------------------------ the caller hangs up


def test_the_socket_closing_mid_call_is_a_hang_up_and_after_call_runs_once(
    server: ServedFlow, call: TwilioCall
) -> None:
    async def scenario() -> Connect:
        connect, session = await to_pin_question(call)
        await session.close()
        return connect

    connect = asyncio.run(scenario())
    assert outcomes(server, call) == ["hangup"]
    assert call.hang_up().status_code == 204  # the status callback that follows
    # Twilio may post the <Connect> action of a call that is over, without handoffData.
    over = session_over(call, connect, SessionStatus="completed", CallStatus="completed")
    assert over.verbs == ["Hangup"]
    time.sleep(0.3)
    assert outcomes(server, call) == ["hangup"]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_session_broken_off_by_a_server_restart_continues_at_the_stored_turn(
    tmp_path: Path, api: LineApi, stop: str
) -> None:
    server = relay_server(tmp_path, api).start()
    try:
        with TwilioCall(server.url, server.auth_token) as call:
            connect, _ = asyncio.run(to_pin_question(call))
            if stop == "SIGKILL":
                server.kill()  # mid-session: nothing is closed, nothing hung up
            server.restart()  # SIGTERM first when the server still runs

            again = connect_of(
                session_over(
                    call, connect, SessionStatus="failed", CallStatus="in-progress",
                    ErrorCode="64105", ErrorMessage="WebSocket ended abruptly",
                )
            )  # fmt: skip
            assert again.url == connect.url

            async def scenario() -> None:
                session = await Session.open(call, again.url)
                assert await session.hear(1) == [ASK_PIN]  # said again, then on from there
                await session.press("55#")
                assert await session.hear(1) == ["Thanks Jane, PIN 55. Goodbye!"]
                assert await session.ended() == {"reason": "hangup"}

            asyncio.run(scenario())
            assert outcomes(server, call) == ["ended"]
            stderr = server.stderr()
            assert "reconnecting" in stderr and "Traceback" not in stderr
            if stop == "SIGTERM":
                assert "the server is stopping: the call goes on in a new session" in stderr
    finally:
        server.close()


# ------------------------------------------------------------------ what is ignored


def test_messages_not_understood_are_logged_and_ignored(
    server: ServedFlow, call: TwilioCall
) -> None:
    async def scenario() -> None:
        _, session = await to_pin_question(call)
        await session.socket.send("not JSON at all")
        await session.send(type="mystery", value=1)
        await session.send(type="error", description="Invalid message received: {}")
        await session.press("12#")
        assert await session.hear(1) == ["Thanks Jane, PIN 12. Goodbye!"]
        assert await session.ended() == {"reason": "hangup"}

    asyncio.run(scenario())
    stderr = server.stderr()
    assert f"call {call.call_sid}: ignored a message that is not a JSON object" in stderr
    assert f"call {call.call_sid}: ignored a message of type 'mystery'" in stderr
    assert "Twilio reports an error: Invalid message received: {}" in stderr
    assert "Traceback" not in stderr


def test_a_session_for_a_call_not_in_the_store_ends_with_a_log_line(
    server: ServedFlow, call: TwilioCall
) -> None:
    url = f"ws://127.0.0.1:{server.port}/twilio/relay/{call.call_sid}/5/socket"

    async def scenario() -> None:
        session = await Session.open(call, url)
        await asyncio.wait_for(session.socket.wait_closed(), RECEIVE_SECONDS)

    asyncio.run(scenario())
    stderr = server.stderr()
    assert f"call {call.call_sid}: the session ends: the call is not in the store" in stderr
    assert "Traceback" not in stderr
