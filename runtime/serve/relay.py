"""Twilio ConversationRelay: the second transport, a call's turns over a WebSocket.

    POST /twilio/voice                     the incoming call: <Connect><ConversationRelay>
    WS   /twilio/relay/{sid}/socket        the call's first session, or a reconnection
    WS   /twilio/relay/{sid}/{turn}/socket a session whose caller answers turn `turn` next
    POST /twilio/relay/{sid}/action        the <Connect> action: a session is over
    POST /twilio/relay/{sid}/{turn}/dial   a transfer's <Dial> action (DialCallStatus)
    POST /twilio/status                    the status callback, as in twilio_voice.py

Twilio does the speech: it sends the caller's words as `prompt` messages (and
each key pressed as `dtmf`, as dtmfDetection is on) and speaks the `text`
messages it gets. Every turn still goes through the switchboard, so the call's
state is in the store at every turn exactly as with webhooks, and any worker
can take any session of any call. The numbering is twilio_voice's: the reply to
turn n is followed by turn n + 1.

The session (`_Session`):

- The upgrade request is signed as Twilio signs webhooks: X-Twilio-Signature
  over the socket URL of the TwiML (wss:// for an https base URL, ws:// for
  http) with no parameters, as the request has no body. A bad signature is
  answered 403 before the socket is accepted (`--insecure-no-signature` skips).
- After `setup` (callSid, from, to), the first session of a call runs turn 0;
  a session for a call already in the store (a reconnection), or one whose URL
  carries a turn, first says again the stored answer of the turn before the one
  the call waits at (`Switchboard.wait`) and goes on from there.
- Each thing the agent says is one `text` message (`last: true`). They are sent
  one at a time, each shortly before Twilio will have said the ones before
  (`_Voice` keeps that time, at about 15 characters a second), so that a
  barge-in (`interrupt`) can take back the words not sent yet; the event
  `interrupted` records what the caller heard (`heard_until`, `duration_ms`)
  and how many texts were dropped (`dropped`). A `talk ... uninterruptible`
  text goes with `interruptible: false`, so Twilio says it to its end; a
  barge-in takes back only the texts before it (never it, nor what follows it),
  and what the caller says or keys until it has been said is taken once it has.
- A question is answered by the caller's next `prompt` (final ones only), or by
  keys: they are collected until `#` (not part of the answer; `#` alone is
  silence), a pause of DIGIT_PAUSE_SECONDS (at most the question's timeout)
  after the last key, or as many keys as answer the question
  (`turns.keys_that_answer`: one for a short menu, N for `expect N digits`),
  and words said while keying are not heard. Silence is the
  question's timeout passing after the agent's last words have been said, as a
  <Gather>'s timeout starts once its prompt is over. Words and keys that come
  while no question is open (a turn running, a hold) are dropped, as speech
  outside a <Gather> is.
- A hold says the hold phrase (again at a later hold, once it has been said)
  and waits for the rest of the turn. A transfer and a hang-up end the session
  with `end`, once the last words have had the time to be said; its handoffData
  (JSON text) says which, and for a transfer the number and the turn its dial's
  end is. Twilio then posts the <Connect> action, answered with the <Dial> or
  <Hangup/>. A dial that fails onto more conversation is answered with a new
  session at the next turn.
- The socket closing without `end` is the caller hanging up: the call ends as a
  hang-up (`after call` runs once). But a server that stops (its sockets close
  with 1012) or dies leaves its calls as they are: Twilio posts the <Connect>
  action with ErrorCode 64105 (the socket ended abruptly) while the call goes on,
  and is answered with a new session, which continues at the stored turn.
- A message that is not JSON or of a type not handled is logged and ignored, as
  are Twilio's `error` messages; a stale turn, an unknown call or an unavailable
  store ends the session with one line on standard error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from twilio.twiml.voice_response import VoiceResponse

from ..events import EventRecord, Interrupted, WebhookRefused
from ..services import JSON, Question
from .store import StoreUnavailable
from .switchboard import HOLD_PHRASE, StaleTurn, UnknownCall
from .turns import CallerInput, InputKind, Next, Reply, Said, keys_that_answer
from .twilio_voice import (
    bad_call_sid,
    base_url,
    caller_input,
    refusal_of,
    sid_mismatch,
    signed,
    status,
    twiml_response,
)

if TYPE_CHECKING:
    from .app import Served

# How long after a key the caller may press the next one (at most the question's timeout).
DIGIT_PAUSE_SECONDS = 2.0
FINISH_KEY = "#"
# How fast Twilio's voices speak, about; and how long before the words sent so far
# will have been said the next are sent (see _Voice).
SPOKEN_CHARS_PER_SECOND = 15.0
LEAD_SECONDS = 1.0
# How long Twilio has to send `setup` once the socket is open.
SETUP_SECONDS = 10.0
# How long Twilio has to close the socket after `end` before the server closes it.
END_GRACE_SECONDS = 2.0
# The <Connect> action's ErrorCode for a session whose WebSocket ended abruptly.
SOCKET_BROKE_OFF = "64105"
# The close code of a socket the server closes as it stops (uvicorn's "service restart").
SERVER_STOPPING = 1012
TRANSFER, HANGUP = "transfer", "hangup"
SILENCE = CallerInput(InputKind.TURN)


def routes(served: Callable[[], Served]) -> list[BaseRoute]:
    socket = _socket_endpoint(served)
    return [
        Route("/twilio/voice", signed(served, _incoming), methods=["POST"]),
        WebSocketRoute("/twilio/relay/{sid}/socket", socket),
        WebSocketRoute("/twilio/relay/{sid}/{turn:int}/socket", socket),
        Route("/twilio/relay/{sid}/action", signed(served, _session_over), methods=["POST"]),
        Route("/twilio/relay/{sid}/{turn:int}/dial", signed(served, _dial_over), methods=["POST"]),
        Route("/twilio/status", signed(served, status), methods=["POST"]),
    ]


@dataclass(frozen=True)
class _Handoff:
    """The handoffData of an `end` message, which Twilio posts back to the <Connect>
    action: a transfer to `number` whose dial's end is turn `turn`, or a hang-up."""

    reason: str
    number: str = ""
    turn: int = 0

    def to_text(self) -> str:
        if self.reason == TRANSFER:
            return json.dumps({"reason": TRANSFER, "number": self.number, "turn": self.turn})
        return json.dumps({"reason": self.reason})

    @classmethod
    def parse(cls, text: str | None) -> _Handoff | None:
        """The handoff a HandoffData field holds; None when there is none of ours."""
        try:
            data = json.loads(text or "")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        number, turn = data.get("number"), data.get("turn")
        if data.get("reason") == TRANSFER and isinstance(number, str) and isinstance(turn, int):
            return cls(TRANSFER, number, turn)
        return cls(HANGUP) if data.get("reason") == HANGUP else None


# ------------------------------------------------------------------- webhooks


async def _incoming(served: Served, request: Request, form: dict[str, str]) -> Response:
    """The incoming call is connected to a session; the session starts the call."""
    sid = form.get("CallSid", "")
    refusal = bad_call_sid(sid)
    if refusal is not None:
        return refusal
    response = VoiceResponse()
    _connect(response, base_url(served, request), sid, None)
    return _twiml(response)


async def _session_over(served: Served, request: Request, form: dict[str, str]) -> Response:
    """The <Connect> action: where the call goes once a session is over."""
    sid = request.path_params["sid"]
    refusal = sid_mismatch(sid, form)
    if refusal is not None:
        return refusal
    base = base_url(served, request)
    handoff = _Handoff.parse(form.get("HandoffData"))
    response = VoiceResponse()
    if handoff is not None and handoff.reason == TRANSFER:
        response.dial(handoff.number, action=_dial_url(base, sid, handoff.turn), method="POST")
    elif handoff is not None:
        response.hangup()
    elif form.get("ErrorCode") == SOCKET_BROKE_OFF and form.get("CallStatus") == "in-progress":
        served.log.warn(f"call {sid}: the session broke off ({_error_of(form)}); reconnecting")
        _connect(response, base, sid, None)
    else:
        await _session_failed(served, sid, form)
        response.hangup()
    return _twiml(response)


async def _session_failed(served: Served, sid: str, form: dict[str, str]) -> None:
    """A session that ended without handing the call back (it could not connect, or the
    call is over): the call ends as a hang-up, as after the status callback."""
    if form.get("ErrorCode"):
        served.log.warn(f"call {sid}: the session failed ({_error_of(form)}); hanging up")
    await served.switchboard.hang_up(sid)


async def _dial_over(served: Served, request: Request, form: dict[str, str]) -> Response:
    """A transfer's dial is over: its turn runs, and the call goes where the reply says."""
    sid, turn = request.path_params["sid"], request.path_params["turn"]
    refusal = sid_mismatch(sid, form)
    if refusal is not None:
        return refusal
    if "DialCallStatus" not in form:
        return PlainTextResponse("a dial's action needs its DialCallStatus\n", status_code=400)
    reply = await served.switchboard.turn(sid, turn, caller_input(form))
    return _twiml(_after_dial(reply, base_url(served, request), sid, turn))


def _error_of(form: dict[str, str]) -> str:
    return f"{form.get('ErrorCode', '')}: {form.get('ErrorMessage', '')}".strip(": ")


# ------------------------------------------------------------------- TwiML


def _connect(response: VoiceResponse, base: str, sid: str, turn: int | None) -> None:
    """<Connect action><ConversationRelay url>: a session at `turn` (None: wherever the
    store says the call is). Keys are reported (dtmfDetection); the caller may
    interrupt the agent by speaking or keying (interruptible="any")."""
    at = "" if turn is None else f"/{turn}"
    connect = response.connect(action=f"{base}/twilio/relay/{sid}/action", method="POST")
    connect.conversation_relay(
        url=f"{_socket_base(base)}/twilio/relay/{sid}{at}/socket",
        dtmf_detection=True,
        interruptible="any",
    )


def _after_dial(reply: Reply, base: str, sid: str, turn: int) -> VoiceResponse:
    """The reply to a dial's end (turn `turn`). More conversation is a new session at
    turn + 1, which says the reply itself; a hold's first words and phrase are said
    here, the session says the rest of the turn."""
    response = VoiceResponse()
    if reply.next is Next.LISTEN:
        _connect(response, base, sid, turn + 1)
        return response
    says = [*reply.says, HOLD_PHRASE] if reply.next is Next.HOLD else list(reply.says)
    for text in says:
        response.say(text)
    if reply.next is Next.HOLD:
        _connect(response, base, sid, turn + 1)
    elif reply.next is Next.DIAL:
        response.dial(reply.number, action=_dial_url(base, sid, turn + 1), method="POST")
    elif reply.next is Next.HANG_UP:
        response.hangup()
    return response


def _dial_url(base: str, sid: str, turn: int) -> str:
    return f"{base}/twilio/relay/{sid}/{turn}/dial"


def _socket_base(base: str) -> str:
    """The WebSocket form of a base URL: wss for https, ws for http."""
    scheme, separator, rest = base.partition("://")
    return {"https": "wss", "http": "ws"}.get(scheme, scheme) + separator + rest


def _twiml(response: VoiceResponse) -> Response:
    return twiml_response(response)


# ------------------------------------------------------------------- the socket


def _socket_endpoint(served: Callable[[], Served]) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        context = served()
        refusal = _socket_refusal(context, websocket)
        if refusal is None:
            await websocket.accept()
            await _Session(context, websocket).run()
            return
        path, sid = websocket.url.path, websocket.path_params["sid"]
        context.log.warn(f"refused the WebSocket {path}: {refusal}")
        at = context.switchboard.services.clock().isoformat()
        context.log.emit(WebhookRefused(path, refusal).stamped(sid, at))
        await websocket.close(code=1008)  # before accepting: the upgrade is answered 403

    return endpoint


def _socket_refusal(served: Served, websocket: WebSocket) -> str | None:
    """Why the upgrade request's X-Twilio-Signature is not valid, or None when it is
    (see twilio_voice.signature_refusal: the same checks, on the socket's URL)."""
    config = served.config
    url = str(websocket.url)
    if config.public_url is not None:
        query = f"?{websocket.url.query}" if websocket.url.query else ""
        url = _socket_base(config.public_url.rstrip("/")) + websocket.url.path + query
    return refusal_of(config, url, {}, websocket.headers.get("X-Twilio-Signature"))


class _HungUp(Exception):
    """The socket closed without `end` (see `_Session._socket_closed`)."""


@dataclass(frozen=True)
class _Heard:
    """What the caller sent while a question may be open: words, or one key."""

    text: str
    key: bool

    @property
    def what(self) -> str:
        """What was sent, for the log (not the words themselves: they are the caller's)."""
        return "a key" if self.key else "words"


class _Voice:
    """The agent's words on their way to Twilio, one `text` message for each thing said.

    Twilio says the texts in turn; `quiet_at` is when the words sent so far will
    have been said, at SPOKEN_CHARS_PER_SECOND. Each text is sent LEAD_SECONDS
    before the ones before it will have been said (so Twilio never waits for
    words), not sooner, so the words not sent yet are the agent's to take back
    when the caller barges in.
    """

    def __init__(self, socket: WebSocket) -> None:
        self._socket = socket
        self._waiting: deque[Said] = deque()
        self._sender: asyncio.Task[None] | None = None
        self._taken_back = asyncio.Event()
        self.quiet_at = time.monotonic()
        # When the uninterruptible texts sent so far will have been said.
        self._held_until = self.quiet_at

    @property
    def sending(self) -> bool:
        return self._sender is not None and not self._sender.done()

    @property
    def quiet(self) -> bool:
        """Everything has been sent and has had the time to be said."""
        return not self.sending and time.monotonic() >= self.quiet_at

    @property
    def holding(self) -> bool:
        """An uninterruptible text is still to be sent or being said."""
        waiting = any(not said.interruptible for said in self._waiting)
        return waiting or time.monotonic() < self._held_until

    def say(self, texts: Iterable[Said]) -> None:
        self._waiting.extend(texts)
        if self._waiting and not self.sending:
            self._sender = asyncio.create_task(self._send_all())

    def stop(self) -> int:
        """Takes back the words not sent yet, as the caller barged in (Twilio stops
        saying the rest) or answered; how many texts were dropped.

        Only the texts before the first uninterruptible one can go: it is said to its
        end, and what follows it (often the question it leads to) is said after it,
        as the caller cannot have cut it short. While an uninterruptible text is
        being said, nothing waiting is dropped for the same reason."""
        if time.monotonic() < self._held_until:
            return 0
        dropped = 0
        while self._waiting and self._waiting[0].interruptible:
            self._waiting.popleft()
            dropped += 1
        # Twilio stops saying the interruptible text it has: the next one may go now.
        self.quiet_at = min(self.quiet_at, time.monotonic())
        self._taken_back.set()
        return dropped

    async def finish(self) -> None:
        """Returns once every word is sent and has had the time to be said."""
        if self._sender is not None:
            await self._sender
        await self._until(self.quiet_at)

    def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()

    async def _send_all(self) -> None:
        while self._waiting:
            await self._until(self.quiet_at - LEAD_SECONDS)
            if not self._waiting:
                return  # taken back meanwhile
            said = self._waiting.popleft()
            message: dict[str, JSON] = {"type": "text", "token": said.text, "last": True}
            if not said.interruptible:
                message["interruptible"] = False
            try:
                await self._socket.send_json(message)
            except WebSocketDisconnect:
                self._waiting.clear()  # the caller is gone: the session's reader says so
                return
            speaking = len(said.text) / SPOKEN_CHARS_PER_SECOND
            self.quiet_at = max(self.quiet_at, time.monotonic()) + speaking
            if not said.interruptible:
                self._held_until = self.quiet_at

    async def _until(self, moment: float) -> None:
        """Waits until `moment` (monotonic), or until words are taken back."""
        self._taken_back.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._taken_back.wait(), max(0.0, moment - time.monotonic()))


class _Session:
    """One ConversationRelay session of a call; see the module docstring."""

    def __init__(self, served: Served, websocket: WebSocket) -> None:
        self._served = served
        self._board = served.switchboard
        self._socket = websocket
        self._sid: str = websocket.path_params["sid"]
        self._resume_at: int | None = websocket.path_params.get("turn")
        self._voice = _Voice(websocket)
        # The caller's words and keys; None once the socket has closed.
        self._heard: asyncio.Queue[_Heard | None] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._close_code: int | None = None

    async def run(self) -> None:
        numbers = await self._setup()
        if numbers is None:
            await self._close(1008)
            return
        reader = asyncio.create_task(self._read())
        try:
            await self._converse(*numbers)
        except StaleTurn as exc:
            self._warn(f"the session ends: {exc} (a newer session has the call)")
        except UnknownCall:
            self._warn("the session ends: the call is not in the store")
        except StoreUnavailable as exc:
            self._warn(f"the session ends: the call store is unavailable: {exc}")
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            self._voice.close()
            await self._close(1000)

    # ---------------------------------------------------------------- turns

    async def _converse(self, caller: str, callee: str) -> None:
        """Runs the call's turns until a reply hands it back to TwiML; the socket closing
        on the way is the caller hanging up."""
        try:
            turn, reply = await self._opening(caller, callee)
            while reply.next in (Next.LISTEN, Next.HOLD):
                turn, reply = await self._step(turn, reply)
            self._voice.say(reply.said())
            await self._end(reply, turn)
        except (_HungUp, WebSocketDisconnect):
            await self._socket_closed()

    async def _socket_closed(self) -> None:
        """The socket closed without `end`: the caller hung up, unless this server is
        stopping (Twilio then posts the <Connect> action, and a new session goes on)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), END_GRACE_SECONDS)
        if self._close_code == SERVER_STOPPING:
            self._warn("the server is stopping: the call goes on in a new session")
            return
        await self._board.hang_up(self._sid)

    async def _opening(self, caller: str, callee: str) -> tuple[int, Reply]:
        """The turn the session starts at and its reply: turn 0's for a new call, else
        the stored answer of the turn before the one the call waits at, said again."""
        try:
            if self._resume_at is None:
                return 0, await self._board.start(self._sid, caller, callee)
            turn = self._resume_at - 1
            return turn, await self._board.wait(self._sid, turn)
        except StaleTurn as exc:
            return exc.current - 1, await self._board.wait(self._sid, exc.current - 1)

    async def _step(self, turn: int, reply: Reply) -> tuple[int, Reply]:
        """Says the reply to turn `turn`, then the caller's answer is the next turn (or,
        after a hold, the rest of this one comes)."""
        if reply.next is Next.HOLD:
            # The phrase again at each hold, but never queued behind itself.
            hold = (Said(HOLD_PHRASE),) if self._voice.quiet or reply.says else ()
            self._voice.say((*reply.said(), *hold))
            return turn, await self._board.wait(self._sid, turn)
        assert reply.question is not None  # a LISTEN reply always has its question
        self._voice.say(reply.said())
        answer = await self._listen(reply.question)
        return turn + 1, await self._board.turn(self._sid, turn + 1, answer)

    async def _end(self, reply: Reply, turn: int) -> None:
        """`end`, once the agent's last words are said: a transfer (its dial's end is
        turn + 1) or a hang-up; then Twilio has a moment to close the socket."""
        if reply.next is Next.DIAL:
            assert reply.number is not None  # a DIAL reply always has its number
            handoff = _Handoff(TRANSFER, reply.number, turn + 1)
        else:
            handoff = _Handoff(HANGUP)
        await self._voice.finish()
        if self._closed.is_set():
            raise _HungUp()
        await self._socket.send_json({"type": "end", "handoffData": handoff.to_text()})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), END_GRACE_SECONDS)

    # ---------------------------------------------------------------- the caller

    async def _listen(self, question: Question) -> CallerInput:
        """The caller's answer: words, keys up to # or a pause, or silence once the
        question's timeout has passed after the agent's last words."""
        self._drop_early_input()
        keys, last_key = "", 0.0
        key_pause = min(DIGIT_PAUSE_SECONDS, question.timeout_seconds)
        enough_keys = keys_that_answer(question)
        while True:
            deadline = last_key + key_pause if keys else self._silence_at(question)
            heard = await self._next_heard(deadline)
            if heard is None:
                if keys:
                    return CallerInput(InputKind.TURN, heard=keys)
                if not self._voice.sending and time.monotonic() >= self._silence_at(question):
                    return SILENCE
            elif self._voice.holding:
                # Over an uninterruptible text nothing is heard: words kept for later
                # would answer the question that follows it before it is asked.
                self._warn(f"did not hear {heard.what} said over an uninterruptible text")
            elif not heard.key and not keys:
                self._voice.stop()
                return CallerInput(InputKind.TURN, heard=heard.text)
            elif heard.key:
                self._voice.stop()
                if heard.text == FINISH_KEY:
                    return CallerInput(InputKind.TURN, heard=keys or None)
                keys, last_key = keys + heard.text, time.monotonic()
                if len(keys) == enough_keys:
                    return CallerInput(InputKind.TURN, heard=keys)

    def _silence_at(self, question: Question) -> float:
        """When silence answers the question: its timeout after the agent's last words
        (later while words are still being sent)."""
        return self._voice.quiet_at + question.timeout_seconds

    def _drop_early_input(self) -> None:
        """Words and keys sent while no question was open are not an answer."""
        while not self._heard.empty():
            if self._heard.get_nowait() is None:
                raise _HungUp()

    async def _next_heard(self, deadline: float) -> _Heard | None:
        """The caller's next words or key, or None at `deadline`; raises _HungUp."""
        if self._heard.empty():
            try:
                heard = await asyncio.wait_for(
                    self._heard.get(), max(0.0, deadline - time.monotonic())
                )
            except TimeoutError:
                return None
        else:
            heard = self._heard.get_nowait()
        if heard is None:
            raise _HungUp()
        return heard

    # ---------------------------------------------------------------- Twilio's messages

    async def _setup(self) -> tuple[str, str] | None:
        """The caller and callee of Twilio's first message, `setup`; None (said why)
        when the socket closes first or the message is not this call's setup."""
        try:
            message = await asyncio.wait_for(self._socket.receive(), SETUP_SECONDS)
        except TimeoutError:
            self._warn(f"no setup message within {SETUP_SECONDS:g} s")
            return None
        if message["type"] == "websocket.disconnect":
            return None
        data = _decoded(message)
        if data is None or data.get("type") != "setup":
            self._warn(f"the first message is not a setup: {_shown(message)}")
            return None
        if data.get("callSid") != self._sid:
            self._warn(f"the setup is for the call {data.get('callSid')!r}, not this one")
            return None
        return _text(data.get("from")), _text(data.get("to"))

    async def _read(self) -> None:
        """Reads Twilio's messages until the socket closes, then says so to the listener."""
        try:
            while True:
                message = await self._socket.receive()
                if message["type"] == "websocket.disconnect":
                    self._close_code = message.get("code")
                    return
                self._take(message)
        finally:
            self._closed.set()
            self._heard.put_nowait(None)

    def _take(self, message: Message) -> None:
        data = _decoded(message)
        if data is None:
            self._warn(f"ignored a message that is not a JSON object: {_shown(message)}")
            return
        kind = data.get("type")
        if kind == "prompt":
            words = data.get("voicePrompt")
            # `last: false` marks a partial transcript (partialPrompts): the final follows.
            if isinstance(words, str) and words.strip() and data.get("last") is not False:
                self._heard.put_nowait(_Heard(words.strip(), key=False))
        elif kind == "dtmf":
            key = data.get("digit")
            if isinstance(key, str) and key:
                self._heard.put_nowait(_Heard(key, key=True))
        elif kind == "interrupt":
            self._interrupted(data)
        elif kind == "error":
            self._warn(f"Twilio reports an error: {_text(data.get('description'))}")
        else:
            self._warn(f"ignored a message of type {kind!r}")

    def _interrupted(self, data: dict[str, JSON]) -> None:
        """The caller barged in: the words not sent yet are not said."""
        dropped = self._voice.stop()
        self._emit(
            Interrupted(
                heard_until=_text(data.get("utteranceUntilInterrupt")),
                duration_ms=_milliseconds(data.get("durationUntilInterruptMs")),
                dropped=dropped,
            )
        )

    # ---------------------------------------------------------------- helpers

    async def _close(self, code: int) -> None:
        socket = self._socket
        if (
            socket.application_state is WebSocketState.CONNECTED
            and socket.client_state is not WebSocketState.DISCONNECTED
        ):
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await socket.close(code)

    def _warn(self, message: str) -> None:
        self._served.log.warn(f"call {self._sid}: {message}")

    def _emit(self, record: EventRecord) -> None:
        event = record.stamped(self._sid, self._board.services.clock().isoformat())
        for sink in self._board.sinks:
            sink.emit(event)


def _decoded(message: Message) -> dict[str, JSON] | None:
    """The JSON object a text message holds; None for anything else."""
    text = message.get("text")
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _shown(message: Message) -> str:
    raw = message.get("text") if message.get("text") is not None else message.get("bytes")
    shown = repr(raw)
    return shown if len(shown) <= 120 else shown[:117] + "..."


def _text(value: JSON) -> str:
    return value if isinstance(value, str) else ""


def _milliseconds(value: JSON) -> int | None:
    """durationUntilInterruptMs, which Twilio's examples give as a number or a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
