"""`flowc call`, as a real subprocess, against a real TwiML server (twiml_peer.py).

Each test checks both sides: the transcript `flowc call` prints, and exactly
what the server received (fields, signatures, the one status callback).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flowc_runtime.events import MemorySink
from flowc_runtime.serve.phone import TEST_ACCOUNT_SID, LineTurns, LocalPhone, PhoneOptions

from tests.serve.twiml_peer import AUTH_TOKEN, HANDOFF, MENU, Received, TwimlPeer, running_peer
from tests.support.http_server import unused_port

CALLER, CALLEE = "+15551230000", "+15559870000"
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
GREETING = ["agent: Welcome to Test Dental.", "agent: Your name, please?"]
AFTER_NAME = ["caller: Ada", "agent: Thanks, Ada. / One moment.", f"agent: {MENU}"]


@dataclass(frozen=True)
class Call:
    status: int
    transcript: list[str]
    stderr: str


def flowc_call(url: str, turns: list[str], *arguments: str, token: str | None = AUTH_TOKEN) -> Call:
    """`flowc call URL` with one caller turn per stdin line, then the end of input."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    if token is not None:
        environment["TWILIO_AUTH_TOKEN"] = token
    command = [sys.executable, "-m", "flowc.cli", "call", url, "--from", CALLER, "--to", CALLEE]
    result = subprocess.run(
        # the relay's timing scaled down: the agent speaks fast, the caller answers soon
        [*command, "--speech-rate", "60", "--relay-pause", "0.3", *arguments],
        input="".join(turn + "\n" for turn in turns),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    return Call(result.returncode, result.stdout.splitlines(), result.stderr)


@pytest.fixture
def peer() -> Iterator[TwimlPeer]:
    with running_peer() as running:
        yield running


def call_fields(status: str, sid: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": TEST_ACCOUNT_SID,
        "From": CALLER,
        "To": CALLEE,
        "Caller": CALLER,
        "Called": CALLEE,
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def the_call_sid(peer: TwimlPeer) -> str:
    """The call's one CallSid, checked to be the same in every request."""
    sids = {request.fields["CallSid"] for request in peer.requests}
    assert len(sids) == 1
    sid = sids.pop()
    assert CALL_SID.fullmatch(sid)
    return sid


def assert_status_callback_once(peer: TwimlPeer, sid: str) -> None:
    statuses = [request for request in peer.requests if request.path == "/twilio/status"]
    assert len(statuses) == 1
    assert peer.requests[-1] == statuses[0]
    fields = dict(statuses[0].fields)
    assert fields.pop("CallDuration").isdigit()
    assert fields.pop("Timestamp").endswith("+0000")
    assert fields == {
        **call_fields("completed", sid),
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "0",
    }


def request_to(peer: TwimlPeer, path: str) -> Received:
    (request,) = (request for request in peer.requests if request.path == path)
    return request


def test_speech_and_digits_reach_the_server_as_twilio_sends_them(peer: TwimlPeer) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", ["Ada", "1234#"])

    assert call.transcript == [
        *GREETING,
        *AFTER_NAME,
        "caller: 1234#",
        "agent: Account 1234. Goodbye.",
        "end: ended",
    ]
    assert (call.status, call.stderr) == (0, "")
    # the Redirect to ../menu is resolved against /turns/name; the menu's Gather is a GET
    assert peer.paths() == [
        "POST /twilio/voice",
        "POST /turns/name",
        "POST /menu",
        "GET /turns/menu",
        "POST /twilio/status",
    ]
    assert all(request.signed for request in peer.requests)
    sid = the_call_sid(peer)
    assert peer.requests[0].fields == call_fields("ringing", sid)
    assert request_to(peer, "/turns/name").fields == {
        **call_fields("in-progress", sid),
        "SpeechResult": "Ada",
        "Confidence": "0.9",
    }
    assert request_to(peer, "/menu").fields == call_fields("in-progress", sid)
    # keypad digits, without the finishOnKey that ended them
    assert request_to(peer, "/turns/menu").fields == {
        **call_fields("in-progress", sid),
        "Digits": "1234",
    }
    assert_status_callback_once(peer, sid)


def test_silence_posts_neither_speech_nor_digits_and_redirects_are_followed(
    peer: TwimlPeer,
) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", ["", "Ada", "billing please"])

    assert call.transcript == [
        *GREETING,
        "caller: (silence)",
        "agent: Sorry, I did not catch that.",
        *GREETING,
        *AFTER_NAME,
        # words to a keypad-only Gather go unheard: Twilio goes on with the next verb
        "caller: billing please",
        "agent: No choice made. Goodbye.",
        "end: ended",
    ]
    assert (call.status, call.stderr) == (0, "")
    assert peer.paths() == [
        "POST /twilio/voice",
        "POST /turns/name",
        "POST /twilio/voice",
        "POST /turns/name",
        "POST /menu",
        "POST /twilio/status",
    ]
    sid = the_call_sid(peer)
    assert peer.requests[1].fields == call_fields("in-progress", sid)
    assert peer.requests[2].fields == call_fields("in-progress", sid)
    assert_status_callback_once(peer, sid)


@pytest.mark.parametrize(
    ("dial_status", "ending"),
    [
        ("completed", ["end: transferred"]),
        ("busy", ["agent: Billing is busy. Goodbye.", "end: ended"]),
    ],
)
def test_a_dial_ends_as_dial_status_says(
    peer: TwimlPeer, dial_status: str, ending: list[str]
) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", ["Ada", "1"], "--dial-status", dial_status)

    assert call.transcript == [
        *GREETING,
        *AFTER_NAME,
        "caller: 1",
        "agent: Transferring you to billing.",
        "transfer to +15550001234",
        *ending,
    ]
    assert (call.status, call.stderr) == (0, "")
    sid = the_call_sid(peer)
    dialed = dict(request_to(peer, "/turns/dial").fields)
    assert CALL_SID.fullmatch(dialed.pop("DialCallSid"))
    assert dialed == {
        **call_fields("in-progress", sid),
        "DialCallStatus": dial_status,
        "DialCallDuration": "0",
    }
    assert_status_callback_once(peer, sid)


def test_a_conversation_relay_session_speaks_twilios_websocket_protocol(peer: TwimlPeer) -> None:
    turns = ["Ada", "2", "What are your hours?", "7#", "", "goodbye"]
    call = flowc_call(f"{peer.url}/twilio/voice", turns)

    assert call.transcript == [
        *GREETING,
        *AFTER_NAME,
        "caller: 2",
        "agent: Hi, this is the assistant.",
        "caller: What are your hours?",
        "agent: We are open nine to five.",
        # said once the words before have been spoken: the caller waits for it
        "agent: Anything else?",
        "caller: 7#",
        "agent: You pressed 7.",
        # nothing is sent for silence: the server asks after its own timeout
        "caller: (silence)",
        "agent: Are you still there?",
        "caller: goodbye",
        "agent: Let me get a person.",
        "agent: Back from the assistant.",
        "transfer to +15550009999",
        "end: transferred",
    ]
    assert (call.status, call.stderr) == (0, "")
    sid = the_call_sid(peer)
    # signed with the wss:// URL of the TwiML, though reached over ws://
    assert peer.relay_signed == [True]
    setup, *caller_messages = peer.relay_messages
    session_id = setup.pop("sessionId")
    assert re.fullmatch(r"VX[0-9a-f]{32}", session_id)
    assert setup == {
        "type": "setup",
        "accountSid": TEST_ACCOUNT_SID,
        "parentCallSid": "",
        "callSid": sid,
        "from": CALLER,
        "to": CALLEE,
        "forwardedFrom": "",
        "callType": "PSTN",
        "callerName": "",
        "direction": "inbound",
        "callStatus": "IN-PROGRESS",
        "customParameters": {"account": "42"},
    }
    assert caller_messages == [
        {"type": "prompt", "voicePrompt": "What are your hours?", "lang": "en-US", "last": True},
        {"type": "dtmf", "digit": "7"},
        {"type": "dtmf", "digit": "#"},
        {"type": "prompt", "voicePrompt": "goodbye", "lang": "en-US", "last": True},
    ]
    handed_back = dict(request_to(peer, "/turns/relay").fields)
    assert handed_back.pop("SessionDuration").isdigit()
    assert handed_back == {
        **call_fields("in-progress", sid),
        "SessionId": session_id,
        "SessionStatus": "ended",
        "HandoffData": HANDOFF,
    }
    assert_status_callback_once(peer, sid)


def test_a_relay_message_twilio_refuses_is_answered_with_an_error(peer: TwimlPeer) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", ["Ada", "2", "sing"])

    assert call.transcript == [
        *GREETING,
        *AFTER_NAME,
        "caller: 2",
        "agent: Hi, this is the assistant.",
        "caller: sing",
        "agent: I only talk.",
        # the caller hangs up during the session: no <Connect> action, one status callback
        "end: hangup",
    ]
    refused = '{"type":"sing"}'
    assert call.stderr == (
        f"flowc call: the ConversationRelay sent a message Twilio refuses: {refused}\n"
    )
    assert call.status == 1
    assert peer.relay_messages[-1] == {
        "type": "error",
        "description": f"Invalid message received: {refused}",
    }
    assert "/turns/relay" not in [request.path for request in peer.requests]
    assert_status_callback_once(peer, the_call_sid(peer))


def test_a_relay_that_closes_mid_session_fails_it_and_the_call_goes_on(peer: TwimlPeer) -> None:
    # A long relay pause: the close, not the caller's next turn, ends the wait.
    call = flowc_call(f"{peer.url}/twilio/voice", ["Ada", "3"], "--relay-pause", "5")

    assert call.transcript == [
        *GREETING,
        *AFTER_NAME,
        "caller: 3",
        "agent: Hi, this is the assistant.",
        "agent: The assistant is unavailable. Goodbye.",
        "end: ended",
    ]
    relay_url = peer.url.replace("http://", "wss://") + "/relay-closed"
    assert call.stderr == f"flowc call: the ConversationRelay {relay_url} closed mid-session\n"
    assert call.status == 1
    failed = dict(request_to(peer, "/turns/relay").fields)
    assert failed.pop("SessionId").startswith("VX")
    assert failed.pop("SessionDuration").isdigit()
    assert failed == {
        **call_fields("in-progress", the_call_sid(peer)),
        "SessionStatus": "failed",
        "ErrorCode": "64105",
        "ErrorMessage": f"the ConversationRelay {relay_url} closed mid-session",
    }


def test_the_caller_hanging_up_ends_the_call_with_one_status_callback(peer: TwimlPeer) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", [])

    assert call.transcript == [*GREETING, "end: hangup"]
    assert (call.status, call.stderr) == (0, "")
    assert peer.paths() == ["POST /twilio/voice", "POST /twilio/status"]
    assert_status_callback_once(peer, the_call_sid(peer))


def test_an_unreachable_server_is_one_line_and_exit_1() -> None:
    url = f"http://127.0.0.1:{unused_port()}/twilio/voice"
    call = flowc_call(url, ["Ada"])

    assert call.stderr == f"flowc call: cannot reach {url}: connection refused\n"
    assert (call.status, call.transcript) == (1, ["end: error"])


def test_a_refused_signature_is_one_line_and_exit_1(peer: TwimlPeer) -> None:
    url = f"{peer.url}/twilio/voice"
    call = flowc_call(url, ["Ada"], token="not-the-token")

    assert call.stderr == (
        f"flowc call: {url} answered 403 Forbidden: forbidden: bad X-Twilio-Signature\n"
    )
    assert (call.status, call.transcript) == (1, ["end: error"])
    # the status callback is still sent, once, as Twilio sends it for a failed call
    assert peer.paths() == ["POST /twilio/voice", "POST /twilio/status"]


def test_without_an_auth_token_the_requests_go_unsigned_and_it_says_so(peer: TwimlPeer) -> None:
    call = flowc_call(f"{peer.url}/twilio/voice", [], token=None)

    notice = (
        "flowc call: no auth token (TWILIO_AUTH_TOKEN or --auth-token): the requests go unsigned"
    )
    assert call.stderr.splitlines()[0] == notice
    assert call.stderr.count("no auth token") == 1
    assert call.status == 1
    assert [request.signed for request in peer.requests] == [False, False]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/broken", "answered TwiML that does not parse: no element found: line 1, column 25"),
        ("/play", "the TwiML has <Play>, a verb flowc call does not play"),
        ("/loop", "50 requests in a row without a caller turn"),
    ],
)
def test_twiml_the_phone_cannot_play_fails_the_call(
    peer: TwimlPeer, path: str, problem: str
) -> None:
    call = flowc_call(peer.url + path, ["Ada"])

    assert call.status == 1
    assert call.transcript == ["end: error"]
    assert len(call.stderr.splitlines()) == 1
    assert problem in call.stderr
    assert "Traceback" not in call.stderr
    assert peer.paths()[-1] == "POST /twilio/status"


def test_a_url_that_is_not_http_is_a_usage_error() -> None:
    call = flowc_call("ftp://127.0.0.1/twilio/voice", [])

    assert call.status == 2
    assert call.stderr.startswith("flowc call: error: URL must be an http:// or https:// URL")


def test_the_phone_runs_in_process_with_its_events_to_a_sink(peer: TwimlPeer) -> None:
    options = PhoneOptions(f"{peer.url}/twilio/voice", auth_token=AUTH_TOKEN)
    sink = MemorySink()

    report = asyncio.run(LocalPhone(options).run(LineTurns(io.StringIO("Ada\n")), sink))

    assert (report.outcome, report.failures) == ("hangup", [])
    assert [(event["event"], event.get("text")) for event in sink.events] == [
        ("say", "Welcome to Test Dental."),
        ("say", "Your name, please?"),
        ("heard", "Ada"),
        ("say", "Thanks, Ada.\nOne moment."),
        ("say", MENU),
        ("call_ended", None),
    ]
    assert sink.events[-1]["outcome"] == "hangup"
