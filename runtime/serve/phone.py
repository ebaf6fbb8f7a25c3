"""`flowc call URL`: a local stand-in for Twilio's voice platform.

It places one call against a server that answers Twilio Voice webhooks, so a
deployment can be tried before a phone number points at it. Everything it
sends is what Twilio sends: form-encoded POSTs (or GETs) with Twilio's call
fields, each signed with `X-Twilio-Signature` by the `twilio` package's own
`RequestValidator`, and a status callback once the call is over. It reads the
TwiML answered the way Twilio executes it, verb by verb.

The caller is standard input, one line a turn as in `flowc run`: a line is
speech (or keypad digits, when it holds only 0-9, * and # and the listener
takes digits), an empty line is silence, the end of input is the caller
hanging up. The transcript goes to standard output in flowc's format.

Where a real call would wait on time, the stand-in does not: a `<Gather>`
takes the next line whatever its timeout, `<Pause>` is skipped, and a `<Dial>`
ends at once with the outcome `--dial-status` names. A dial that completed
ends the call unless the `<Dial>` has an action (the caller's talk with the
transferee is out of the stand-in's reach); the transcript then says
`end: transferred`.

ConversationRelay (`<Connect><ConversationRelay url=...>`) is spoken over a
real WebSocket as Twilio speaks it (see `_RelaySession`). The protocol has no
turn-taking signal, and on Twilio the agent's words take time to be spoken, so
the stand-in keeps that time: each utterance takes its length at
`speech_rate` characters a second (Twilio's voices speak about 15), and the
caller speaks once the agent has said something and then been quiet for
`relay_pause_seconds`; if it says nothing for `relay_wait_seconds`, the
caller speaks anyway. A `wss://` URL on the local machine (127.0.0.1,
localhost, ::1) is reached as `ws://`, since a server run for testing speaks
plain HTTP; the signature still covers the URL as written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import IO
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped, unused-ignore]
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ..events import CallEnded, Event, EventRecord, EventSink, Heard, Say, Transfer
from ..http import describe_network_error
from ..services import JSON
from ..transcript import TranscriptPrinter

API_VERSION = "2010-04-01"
# The account placing test calls when TWILIO_ACCOUNT_SID is not set.
TEST_ACCOUNT_SID = "AC" + "0" * 32
# Twilio gives up on a webhook after 15 seconds.
WEBHOOK_TIMEOUT_SECONDS = 15.0
# Requests in a row without a caller turn before the call is taken for a loop.
MAX_REQUESTS_WITHOUT_TURN = 50
KEYPAD = re.compile(r"[0-9*#]+")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The verbs Twilio knows, for telling "not handled here" from "not TwiML".
TWIML_VERBS = frozenset(
    {
        "Say",
        "Play",
        "Pause",
        "Gather",
        "Dial",
        "Hangup",
        "Redirect",
        "Reject",
        "Record",
        "Enqueue",
        "Leave",
        "Connect",
        "Refer",
        "Sms",
        "Message",
        "Start",
        "Stop",
        "Pay",
        "Prompt",
        "Echo",
    }
)

# How a call ends, as flowc's transcript says it (`end: OUTCOME`).
ENDED = "ended"  # the server hung up, or its TwiML ran out
HANGUP = "hangup"  # the caller hung up
TRANSFERRED = "transferred"  # a dial completed
ERROR = "error"  # the server failed the call

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CallFailed(Exception):
    """The server failed the call (unreachable, an error status, bad TwiML); says how."""


@dataclass(frozen=True, slots=True)
class PhoneOptions:
    """The call to place: where, from whom to whom, signed with which token (None:
    unsigned), and how the parts a person would decide go (dials, relay timing)."""

    url: str
    caller: str = "+15550000000"
    callee: str = "+15550000001"
    auth_token: str | None = None
    account_sid: str = TEST_ACCOUNT_SID
    status_url: str | None = None  # default: the URL's path replaced by /twilio/status
    dial_status: str = "completed"
    speech_rate: float = 15.0  # characters a second
    relay_pause_seconds: float = 0.5
    relay_wait_seconds: float = 15.0


@dataclass(frozen=True, slots=True)
class CallReport:
    """How the call ended, and everything the server did wrong on the way, in order."""

    outcome: str
    failures: list[str]


@dataclass(frozen=True, slots=True)
class _Request:
    """A webhook to request next: where, how, and the fields beyond the call's own."""

    url: str
    method: str = "POST"
    params: Mapping[str, str] = field(default_factory=dict)


# What executing a verb leads to: the next verb (None), a request, or the call's end.
_Step = _Request | str | None


class LineTurns:
    """Caller turns from a text stream as `flowc run` reads them: one line a turn,
    a blank line is silence (""), the end of input is the caller hanging up (None).

    At a terminal `prompt` is shown before each read, so the person knows it is
    their turn.
    """

    def __init__(self, stream: IO[str], *, prompt: str = "") -> None:
        self._stream = stream
        self._prompt = prompt

    async def read(self) -> str | None:
        line = await _in_daemon_thread(self._read_line)
        return line.strip() if line else None

    def _read_line(self) -> str:
        if self._prompt:
            print(self._prompt, end="", flush=True)
        line = self._stream.readline()
        if self._prompt and not line:
            print()  # end of input (Ctrl-D) leaves the cursor after the prompt
        return line


async def _in_daemon_thread(read: Callable[[], str]) -> str:
    """Runs a blocking read in a daemon thread. With `asyncio.to_thread` a Ctrl-C at
    the prompt would wait for the next line: asyncio.run joins its worker threads
    when it ends, where a daemon thread is left behind."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[str] = loop.create_future()

    def settle(line: str, error: BaseException | None) -> None:
        if result.done():  # the reading task was cancelled meanwhile
            return
        if error is None:
            result.set_result(line)
        else:
            result.set_exception(error)

    def target() -> None:
        line, error = "", None
        try:
            line = read()
        except BaseException as caught:  # raised where the line is awaited
            error = caught
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=target, name="flowc-call-stdin", daemon=True).start()
    return await result


class LocalPhone:
    """Places calls against a Twilio Voice webhook server; one `run` is one call."""

    def __init__(self, options: PhoneOptions) -> None:
        self.options = options

    async def run(self, turns: LineTurns, transcript: EventSink) -> CallReport:
        """Takes the call to its end, with the caller's turns from `turns`; the
        transcript's events (say, heard, transfer, call_ended) go to `transcript`."""
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) as http:
            return await _Call(self.options, http, turns, transcript).run()


class _Call:
    """One call: its fields, and the execution of the TwiML its server answers."""

    def __init__(
        self, options: PhoneOptions, http: httpx.AsyncClient, turns: LineTurns, sink: EventSink
    ) -> None:
        self.options = options
        self.sid = _new_sid("CA")
        self._http = http
        self._turns = turns
        self._sink = sink
        self._validator = RequestValidator(options.auth_token) if options.auth_token else None
        self._started = time.monotonic()
        self._answered = False
        self._requests_since_turn = 0
        self._transferred = False
        self.failures: list[str] = []
        self._verbs: dict[str, Callable[[ET.Element, str], Awaitable[_Step]]] = {
            "Say": self._say,
            "Pause": self._pause,
            "Gather": self._gather,
            "Redirect": self._redirect,
            "Hangup": self._hangup,
            "Dial": self._dial,
            "Connect": self._connect,
        }

    async def run(self) -> CallReport:
        try:
            outcome = await self._follow(_Request(self.options.url))
        except CallFailed as failure:
            outcome = ERROR
            self.failures.append(str(failure))
        self.emit(CallEnded(outcome))
        await self._post_status()
        return CallReport(outcome, self.failures)

    # -- what the transcript shows ------------------------------------------------

    def emit(self, record: EventRecord) -> None:
        event: Event = {"event": record.event, "call": self.sid, **record.fields()}
        self._sink.emit(event)

    def say(self, text: str) -> None:
        self.emit(Say(text))

    async def caller_turn(self) -> str | None:
        """The caller's next turn ("" for silence), or None: the caller hung up."""
        turn = await self._turns.read()
        if turn is not None:
            self._requests_since_turn = 0
            self.emit(Heard(turn or None))
        return turn

    # -- webhooks -----------------------------------------------------------------

    def call_fields(self) -> dict[str, str]:
        """The fields Twilio sends with every request about the call."""
        options = self.options
        return {
            "CallSid": self.sid,
            "AccountSid": options.account_sid,
            "From": options.caller,
            "To": options.callee,
            "Caller": options.caller,
            "Called": options.callee,
            "CallStatus": "in-progress" if self._answered else "ringing",
            "Direction": "inbound",
            "ApiVersion": API_VERSION,
        }

    def signature_headers(self, url: str, params: Mapping[str, str]) -> dict[str, str]:
        """`X-Twilio-Signature` for a request, computed as Twilio computes it."""
        if self._validator is None:
            return {}
        return {"X-Twilio-Signature": str(self._validator.compute_signature(url, dict(params)))}

    async def _follow(self, request: _Request) -> str:
        """Requests TwiML and executes it, as long as it leads to further requests."""
        while True:
            document = await self._fetch(request)
            step = await self._execute(document, request.url)
            if isinstance(step, str):
                return step
            request = step

    async def _fetch(self, request: _Request) -> ET.Element:
        self._requests_since_turn += 1
        if self._requests_since_turn > MAX_REQUESTS_WITHOUT_TURN:
            raise CallFailed(
                f"{MAX_REQUESTS_WITHOUT_TURN} requests in a row without a caller turn: "
                "the server's TwiML goes round in a loop"
            )
        params = {**self.call_fields(), **request.params}
        response = await self._send(request.method, request.url, params)
        self._answered = True
        return _parse_twiml(response.content, request.url)

    async def _send(self, method: str, url: str, params: Mapping[str, str]) -> httpx.Response:
        # Twilio puts a GET's fields in the query string and signs the whole URL.
        if method == "GET":
            url, params = _with_query(url, params), {}
        headers = {"User-Agent": "TwilioProxy/1.1", **self.signature_headers(url, params)}
        try:
            response = await self._http.request(
                method, url, data=dict(params) or None, headers=headers
            )
        except httpx.TimeoutException as error:
            raise CallFailed(
                f"{url} did not answer within {WEBHOOK_TIMEOUT_SECONDS:g} seconds"
            ) from error
        except httpx.HTTPError as error:
            raise CallFailed(f"cannot reach {url}: {describe_network_error(error)}") from error
        except httpx.InvalidURL as error:
            raise CallFailed(f"cannot request {url!r}: {error}") from error
        if not response.is_success:
            raise CallFailed(f"{url} answered {_status_line(response)}")
        return response

    async def _post_status(self) -> None:
        """The status callback, once per call however it ended, as Twilio sends it."""
        params = {
            **self.call_fields(),
            "CallStatus": "completed",
            "CallDuration": str(int(time.monotonic() - self._started)),
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        try:
            await self._send("POST", _status_url(self.options), params)
        except CallFailed as failure:
            if not self.failures:  # after a failed call, one message says enough
                self.failures.append(f"the status callback failed: {failure}")

    # -- TwiML --------------------------------------------------------------------

    async def _execute(self, document: ET.Element, url: str) -> _Request | str:
        for verb in document:
            step = await self._verb(verb, url)
            if step is not None:
                return step
        return self._end()  # Twilio hangs up when the TwiML runs out

    async def _verb(self, verb: ET.Element, url: str) -> _Step:
        perform = self._verbs.get(verb.tag)
        if perform is None:
            if verb.tag in TWIML_VERBS:
                raise CallFailed(f"the TwiML has <{verb.tag}>, a verb flowc call does not play")
            raise CallFailed(f"<{verb.tag}> is not a TwiML verb (Twilio fails the call on it)")
        return await perform(verb, url)

    def _end(self) -> str:
        return TRANSFERRED if self._transferred else ENDED

    async def _say(self, verb: ET.Element, url: str) -> _Step:
        text = "".join(verb.itertext()).strip()
        for _ in range(max(1, _int_attribute(verb, "loop", 1))):
            self.say(text)
        return None

    async def _pause(self, verb: ET.Element, url: str) -> _Step:
        return None

    async def _hangup(self, verb: ET.Element, url: str) -> _Step:
        return self._end()

    async def _redirect(self, verb: ET.Element, url: str) -> _Step:
        target = (verb.text or "").strip()
        if not target:
            raise CallFailed(f"the TwiML of {url} has a <Redirect> without a URL")
        return _Request(urljoin(url, target), _method(verb))

    async def _gather(self, verb: ET.Element, url: str) -> _Step:
        for nested in verb:
            if nested.tag not in ("Say", "Pause"):
                raise CallFailed(f"the TwiML has <{nested.tag}> in <Gather>, not played here")
            await self._verb(nested, url)
        turn = await self.caller_turn()
        if turn is None:
            return HANGUP
        result = _gathered(verb, turn)
        if result is None and verb.get("actionOnEmptyResult", "").lower() != "true":
            return None  # no input: Twilio goes on with the next verb
        # Without an action Twilio requests the document the <Gather> came from.
        return _Request(urljoin(url, verb.get("action") or url), _method(verb), result or {})

    async def _dial(self, verb: ET.Element, url: str) -> _Step:
        number = _dial_target(verb)
        self.emit(Transfer(number))
        status = self.options.dial_status
        self._transferred = self._transferred or status == "completed"
        action = verb.get("action")
        if action is None:
            return TRANSFERRED if status == "completed" else None
        params = {"DialCallStatus": status, "DialCallSid": _new_sid("CA"), "DialCallDuration": "0"}
        return _Request(urljoin(url, action), _method(verb), params)

    async def _connect(self, verb: ET.Element, url: str) -> _Step:
        relay = verb.find("ConversationRelay")
        if relay is None:
            nouns = ", ".join(f"<{noun.tag}>" for noun in verb) or "nothing"
            raise CallFailed(f"<Connect> holds {nouns}; flowc call connects <ConversationRelay>")
        session = await _RelaySession(self, relay).run()
        if session is None:
            return HANGUP
        action = verb.get("action")
        if action is None:
            return None  # Twilio goes on with the next verb
        return _Request(urljoin(url, action), _method(verb), session)


class _RelaySession:
    """One ConversationRelay session, spoken to the server's WebSocket as Twilio speaks it.

    Twilio sends `setup` first, then one `prompt` per caller utterance and one
    `dtmf` per key pressed (only with dtmfDetection="true"; otherwise digits are
    words). The server sends `text` tokens, which make one utterance up to the
    token with `last: true`, and `end` to hand the call back to TwiML. Silence
    sends nothing, as on Twilio: the server keeps its own time. A message
    Twilio would not accept is answered with an `error` message (Twilio's
    64107), and the session goes on.

    A socket that cannot be opened (64102) or closes before `end` (64105) fails
    the session: the <Connect> action gets SessionStatus=failed with the error,
    as from Twilio. When the caller hangs up the socket is closed, and only the
    status callback follows. Turns alternate: caller speech never interrupts
    the agent, so `interrupt` is never sent.
    """

    def __init__(self, call: _Call, relay: ET.Element) -> None:
        self._call = call
        self._relay = relay
        self._sid = _new_sid("VX")
        self._started = time.monotonic()
        self._language = relay.get("transcriptionLanguage") or relay.get("language") or "en-US"
        self._dtmf = relay.get("dtmfDetection", "").lower() == "true"
        self._options = call.options
        # When the agent's words received so far will have been spoken.
        self._quiet_at = time.monotonic()

    async def run(self) -> dict[str, str] | None:
        """The fields for the <Connect> action once the session is over, or None
        when the caller hung up during it."""
        url = self._relay.get("url", "")
        try:
            socket = await connect(
                _socket_url(url),
                additional_headers=self._call.signature_headers(url, {}),
                open_timeout=WEBHOOK_TIMEOUT_SECONDS,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
            reason = _socket_error(error)
            return self._failed("64102", f"cannot connect to the ConversationRelay {url}: {reason}")
        async with socket:
            try:
                return await self._converse(socket)
            except ConnectionClosed:
                return self._failed("64105", f"the ConversationRelay {url} closed mid-session")

    async def _converse(self, socket: ClientConnection) -> dict[str, str] | None:
        await socket.send(json.dumps(self._setup()))
        greeting = self._relay.get("welcomeGreeting", "")
        self._speak([greeting])
        ended = await self._hear_agent(socket, heard=bool(greeting))
        while ended is None:
            turn = await self._call.caller_turn()
            if turn is None:
                return None
            for message in self._caller_messages(turn):
                await socket.send(json.dumps(message))
            ended = await self._hear_agent(socket, heard=False)
        return ended

    def _setup(self) -> dict[str, JSON]:
        fields = self._call.call_fields()
        parameters: dict[str, JSON] = {
            parameter.get("name", ""): parameter.get("value", "")
            for parameter in self._relay.iter("Parameter")
        }
        return {
            "type": "setup",
            "sessionId": self._sid,
            "accountSid": fields["AccountSid"],
            "parentCallSid": "",
            "callSid": fields["CallSid"],
            "from": fields["From"],
            "to": fields["To"],
            "forwardedFrom": "",
            "callType": "PSTN",
            "callerName": "",
            "direction": "inbound",
            "callStatus": "IN-PROGRESS",
            "customParameters": parameters,
        }

    def _caller_messages(self, turn: str) -> list[dict[str, JSON]]:
        if not turn:
            return []
        if self._dtmf and KEYPAD.fullmatch(turn):
            return [{"type": "dtmf", "digit": key} for key in turn]
        return [{"type": "prompt", "voicePrompt": turn, "lang": self._language, "last": True}]

    async def _hear_agent(self, socket: ClientConnection, *, heard: bool) -> dict[str, str] | None:
        """What the agent says until it has said something (`heard`) and fallen quiet
        (None: the caller's turn), or until it ends the session (the <Connect>
        action's fields)."""
        tokens: list[str] = []  # of the utterance being received
        while True:
            try:
                raw = await asyncio.wait_for(socket.recv(), self._patience(heard, tokens))
            except TimeoutError:
                self._speak(tokens)
                return None
            message = _json_object(raw) or {}
            kind = message.get("type")
            if kind == "text" and isinstance(message.get("token"), str):
                tokens.append(str(message["token"]))
                if message.get("last") is True:
                    heard = self._speak(tokens) or heard
            elif kind == "end":
                self._speak(tokens)
                return self._ended(message.get("handoffData"))
            elif kind in ("play", "sendDigits", "language"):
                heard = True  # accepted by Twilio; nothing for a transcript to show
            else:
                await self._refuse(socket, raw)

    def _patience(self, heard: bool, tokens: list[str]) -> float:
        """How long the caller lets the line be quiet before speaking."""
        if heard and not tokens:
            remaining = self._quiet_at - time.monotonic()
            return max(0.0, remaining) + self._options.relay_pause_seconds
        return self._options.relay_wait_seconds  # nothing said yet, or in mid-utterance

    def _speak(self, tokens: list[str]) -> bool:
        """Says the utterance made of `tokens` (clearing them); whether there was one."""
        text = "".join(tokens).strip()
        tokens.clear()
        if not text:
            return False
        self._call.say(text)
        speaking = len(text) / self._options.speech_rate
        self._quiet_at = max(self._quiet_at, time.monotonic()) + speaking
        return True

    async def _refuse(self, socket: ClientConnection, raw: str | bytes) -> None:
        shown = raw if isinstance(raw, str) else repr(raw)
        self._call.failures.append(f"the ConversationRelay sent a message Twilio refuses: {shown}")
        await socket.send(
            json.dumps({"type": "error", "description": f"Invalid message received: {shown}"})
        )

    def _ended(self, handoff: JSON) -> dict[str, str]:
        fields = self._fields("ended")
        if handoff is not None:
            fields["HandoffData"] = handoff if isinstance(handoff, str) else json.dumps(handoff)
        return fields

    def _failed(self, code: str, message: str) -> dict[str, str]:
        self._call.failures.append(message)
        return {**self._fields("failed"), "ErrorCode": code, "ErrorMessage": message}

    def _fields(self, status: str) -> dict[str, str]:
        return {
            "SessionId": self._sid,
            "SessionStatus": status,
            "SessionDuration": str(int(time.monotonic() - self._started)),
        }


# -- helpers --------------------------------------------------------------------------


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _parse_twiml(body: bytes, url: str) -> ET.Element:
    try:
        document = ET.fromstring(body)
    except ET.ParseError as error:
        raise CallFailed(f"{url} answered TwiML that does not parse: {error}") from error
    if document.tag != "Response":
        raise CallFailed(f"{url} answered <{document.tag}>, not TwiML (a <Response>)")
    return document


def _status_line(response: httpx.Response) -> str:
    first_line = response.text.strip().partition("\n")[0].strip()
    status = f"{response.status_code} {response.reason_phrase}".rstrip()
    return f"{status}: {first_line}" if first_line else status


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(params)) if part)
    return urlunsplit(parts._replace(query=query))


def _status_url(options: PhoneOptions) -> str:
    if options.status_url is not None:
        return options.status_url
    parts = urlsplit(options.url)
    # Beside the voice URL, under the same base path (https://host/base/twilio/voice).
    base = parts.path.removesuffix("/twilio/voice") if parts.path.endswith("/twilio/voice") else ""
    return urlunsplit(parts._replace(path=f"{base}/twilio/status", query="", fragment=""))


def _socket_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise CallFailed(f"<ConversationRelay url> must be a ws:// or wss:// URL, not {url!r}")
    if parts.scheme == "wss" and parts.hostname in LOOPBACK_HOSTS:
        return urlunsplit(parts._replace(scheme="ws"))
    return url


def _method(verb: ET.Element) -> str:
    method = verb.get("method", "POST").upper()
    if method not in ("GET", "POST"):
        raise CallFailed(f"<{verb.tag} method={method!r}>: Twilio requests with GET or POST")
    return method


def _int_attribute(verb: ET.Element, name: str, default: int) -> int:
    value = verb.get(name, "")
    return int(value) if value.isdigit() else default


def _gathered(gather: ET.Element, turn: str) -> dict[str, str] | None:
    """What a <Gather> posts for a caller's turn; None when it heard nothing."""
    inputs = gather.get("input", "dtmf").split()
    if not turn:
        return None
    if "dtmf" in inputs and KEYPAD.fullmatch(turn):
        return {"Digits": _keyed_digits(gather, turn)}
    if "speech" in inputs:
        return {"SpeechResult": turn, "Confidence": "0.9"}
    return None  # words to a keypad-only <Gather> go unheard


def _keyed_digits(gather: ET.Element, keys: str) -> str:
    """The digits a <Gather> collects: up to finishOnKey (default #), which ends a
    sequence only once it has begun, and at most numDigits of them."""
    finish = gather.get("finishOnKey", "#")
    end = keys.find(finish, 1) if finish else -1
    digits = keys[:end] if end > 0 else keys
    limit = _int_attribute(gather, "numDigits", 0)
    return digits[:limit] if limit else digits


def _dial_target(dial: ET.Element) -> str:
    """Whom a <Dial> calls: its text, or that of its noun (<Number>, <Client>, <Sip>)."""
    noun = next(iter(dial), dial)
    target = (noun.text or "").strip()
    if not target:
        raise CallFailed("the TwiML has a <Dial> without a number")
    return target


def _socket_error(error: Exception) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"no answer within {WEBHOOK_TIMEOUT_SECONDS:g} seconds"
    return str(error) or type(error).__name__


def _json_object(raw: str | bytes) -> dict[str, JSON] | None:
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# -- the command ----------------------------------------------------------------------


def run_call_command(args: argparse.Namespace) -> int:
    """`flowc call`: exit 0 when the call completed (whoever ended it), 1 when the
    server failed it, 2 for a usage error, 130 when interrupted."""
    url = str(args.url)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        print(
            f"flowc call: error: URL must be an http:// or https:// URL, not {url!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    options = _options(args, os.environ)
    if options.auth_token is None:
        print(
            "flowc call: no auth token (TWILIO_AUTH_TOKEN or --auth-token): the requests go "
            "unsigned",
            file=sys.stderr,
        )
    at_terminal = sys.stdin.isatty()
    turns = LineTurns(sys.stdin, prompt="caller: " if at_terminal else "")
    transcript = TranscriptPrinter(sys.stdout, show_caller=not at_terminal)
    try:
        report = asyncio.run(LocalPhone(options).run(turns, transcript))
    except KeyboardInterrupt:
        print("\nflowc call: call abandoned (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    for failure in report.failures:
        print(f"flowc call: {failure}", file=sys.stderr)
    return EXIT_FAILED if report.failures else EXIT_OK


def _options(args: argparse.Namespace, environ: Mapping[str, str]) -> PhoneOptions:
    return PhoneOptions(
        url=str(args.url),
        caller=args.caller,
        callee=args.callee,
        auth_token=args.auth_token or environ.get("TWILIO_AUTH_TOKEN", "").strip() or None,
        account_sid=environ.get("TWILIO_ACCOUNT_SID", "").strip() or TEST_ACCOUNT_SID,
        status_url=args.status_url,
        dial_status=args.dial_status,
        speech_rate=args.speech_rate,
        relay_pause_seconds=args.relay_pause,
        relay_wait_seconds=args.relay_wait,
    )
