"""A Twilio Voice webhook server for testing `flowc call`: a real uvicorn server on
127.0.0.1, in a thread, that plays one scripted conversation in TwiML written with
the twilio package, and records every request it receives.

Like a real deployment it checks each request's `X-Twilio-Signature` with the
twilio package's `RequestValidator` and answers 403 when it does not match (the
request is still recorded, with `signed=False`). The conversation:

    /twilio/voice   "Welcome to Test Dental." <Gather speech dtmf> "Your name, please?"
    /turns/name     speech: "Thanks, NAME.\\nOne moment." <Redirect>../menu
                    silence: "Sorry, I did not catch that." <Redirect>/twilio/voice
    /menu           <Gather dtmf, GET> "Press 1 for billing, 2 for the assistant, or
                    enter your account number and the pound key.", then (no input)
                    "No choice made. Goodbye." <Hangup>
    /turns/menu     1: "Transferring you to billing." <Dial action=/turns/dial>
                    2: <Connect action=/turns/relay><ConversationRelay url=wss://.../relay>
                    3: the same, to a relay that closes at once (/relay-closed)
                    else: "Account DIGITS. Goodbye." <Hangup>
    /turns/dial     completed: <Hangup>; else "Billing is STATUS. Goodbye." <Hangup>
    /turns/relay    handed off: "Back from the assistant." <Dial>+15550009999 (no action)
                    failed: "The assistant is unavailable. Goodbye." <Hangup>
    /twilio/status  204

and, called as the incoming URL by tests of failures: /loop (redirects to
itself), /broken (TwiML that does not parse), /play (a verb flowc call does
not play).

The ConversationRelay at /relay speaks Twilio's WebSocket protocol: after
`setup` it answers "What are your hours?" with two text tokens and then
"Anything else?", once the first utterance has had its time; keypad digits
up to "#" with "You pressed DIGITS.", "sing" with a message of a type Twilio
does not know and "I only talk.", "goodbye" with "Let me get a person." and an
`end` with handoff data; after IDLE_SECONDS without a caller message it asks
"Are you still there?". It records the messages it receives.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

AUTH_TOKEN = "peer-auth-token"
IDLE_SECONDS = 1.5
# How fast the peer takes its words to be spoken: faster than the phone's --speech-rate
# in the tests, so the phone always hears an utterance out before the next one comes.
PACE = 80.0
HANDOFF = json.dumps({"reason": "caller asked for a person"})
MENU = "Press 1 for billing, 2 for the assistant, or enter your account number and the pound key."


@dataclass(frozen=True, slots=True)
class Received:
    """One webhook request: its fields are the form (POST) or the query (GET)."""

    method: str
    path: str
    fields: dict[str, str]
    signed: bool


Script = Callable[[Request, dict[str, str]], VoiceResponse]


class TwimlPeer:
    """The server; `url` is its base, e.g. "http://127.0.0.1:40123"."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.relay_messages: list[dict[str, Any]] = []
        self.relay_signed: list[bool] = []
        self._validator = RequestValidator(AUTH_TOKEN)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self._app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def paths(self) -> list[str]:
        return [f"{request.method} {request.path}" for request in self.requests]

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the peer's server did not start")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def _app(self) -> Starlette:
        scripts: dict[str, Script] = {
            "/twilio/voice": _incoming,
            "/turns/name": _name,
            "/menu": _menu,
            "/turns/menu": _menu_choice,
            "/turns/dial": _dial_ended,
            "/turns/relay": _relay_ended,
            "/loop": _loop,
        }
        routes: list[Any] = [
            Route(path, self._webhook(script), methods=["GET", "POST"])
            for path, script in scripts.items()
        ]
        routes += [
            Route(
                "/broken", self._webhook(None, body="<Response><Say>Oops</Say>"), methods=["POST"]
            ),
            Route("/play", self._webhook(None, body=_play()), methods=["POST"]),
            Route("/twilio/status", self._webhook(None), methods=["POST"]),
            WebSocketRoute("/relay", self._relay),
            WebSocketRoute("/relay-closed", self._closed_relay),
        ]
        return Starlette(routes=routes)

    def _webhook(
        self, script: Script | None, *, body: str | None = None
    ) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            raw = (await request.body()).decode()
            fields = dict(parse_qsl(raw if request.method == "POST" else request.url.query))
            form = fields if request.method == "POST" else {}
            signature = request.headers.get("X-Twilio-Signature", "")
            signed = self._validator.validate(str(request.url), form, signature)
            self.requests.append(Received(request.method, request.url.path, fields, signed))
            if not signed:
                return PlainTextResponse("forbidden: bad X-Twilio-Signature\n", status_code=403)
            if script is not None:
                return Response(str(script(request, fields)), media_type="application/xml")
            if body is not None:
                return Response(body, media_type="application/xml")
            return Response(status_code=204)

        return handle

    async def _relay(self, websocket: WebSocket) -> None:
        if not await self._accept_signed(websocket):
            return
        session = _RelayPeer(websocket)
        try:
            while True:
                message = await session.next_message()
                if message is None:
                    await session.say("Are you still there?")
                    continue
                self.relay_messages.append(message)
                if not await session.answer(message):
                    return
        except WebSocketDisconnect:
            return

    async def _closed_relay(self, websocket: WebSocket) -> None:
        if await self._accept_signed(websocket):
            self.relay_messages.append(await websocket.receive_json())
            await websocket.close()

    async def _accept_signed(self, websocket: WebSocket) -> bool:
        """Twilio signs the WebSocket request with the URL in the TwiML (wss://)."""
        advertised = str(websocket.url.replace(scheme="wss"))
        signature = websocket.headers.get("X-Twilio-Signature", "")
        signed = self._validator.validate(advertised, {}, signature)
        self.relay_signed.append(signed)
        if not signed:
            await websocket.close(code=1008)
            return False
        await websocket.accept()
        return True


class _RelayPeer:
    """One ConversationRelay session of the peer. Like a real server it sends each
    utterance once the one before has had the time to be said (at PACE characters
    a second), and takes silence to be IDLE_SECONDS passing after its last words."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._quiet_at = time.monotonic()
        self._keys: list[str] = []  # keypad digits so far

    async def next_message(self) -> dict[str, Any] | None:
        """The caller's next message, or None when the caller stays silent."""
        idle = max(0.0, self._quiet_at - time.monotonic()) + IDLE_SECONDS
        try:
            message: dict[str, Any] = await asyncio.wait_for(self._websocket.receive_json(), idle)
        except TimeoutError:
            return None
        return message

    async def say(self, text: str, *tokens: str) -> None:
        """Says `text`, or the utterance made of it and `tokens`, after the words before."""
        await asyncio.sleep(max(0.0, self._quiet_at - time.monotonic()))
        parts = [text, *tokens]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self._websocket.send_json({"type": "text", "token": part, "last": last})
        self._quiet_at = time.monotonic() + len("".join(parts)) / PACE

    async def answer(self, message: dict[str, Any]) -> bool:
        """Answers one caller message; False once the session is handed back."""
        kind, words = message.get("type"), message.get("voicePrompt")
        if kind == "prompt" and words == "What are your hours?":
            await self.say("We are open ", "nine to five.")
            await self.say("Anything else?")
        elif kind == "prompt" and words == "sing":
            await self._websocket.send_json({"type": "sing"})  # not a message Twilio accepts
            await self.say("I only talk.")
        elif kind == "prompt" and words == "goodbye":
            await self.say("Let me get a person.")
            await self._websocket.send_json({"type": "end", "handoffData": HANDOFF})
            return False
        elif kind == "dtmf" and message.get("digit") == "#":
            await self.say(f"You pressed {''.join(self._keys)}.")
            self._keys.clear()
        elif kind == "dtmf":
            self._keys.append(str(message.get("digit")))
        return True


# -- the conversation -------------------------------------------------------------------


def _incoming(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    response.say("Welcome to Test Dental.")
    gather = response.gather(
        input="speech dtmf", action="/turns/name", action_on_empty_result=True, hints="Ada"
    )
    gather.say("Your name, please?")
    return response


def _name(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    name = fields.get("SpeechResult")
    if name is None:
        response.say("Sorry, I did not catch that.")
        response.redirect("/twilio/voice")
        return response
    response.say(f"Thanks, {name}.\nOne moment.")
    response.redirect("../menu")  # relative to /turns/name: /menu
    return response


def _menu(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(input="dtmf", action="/turns/menu", method="GET", finish_on_key="#")
    gather.say(MENU)
    response.say("No choice made. Goodbye.")
    response.hangup()
    return response


def _menu_choice(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    digits = fields.get("Digits", "")
    if digits == "1":
        response.say("Transferring you to billing.")
        response.dial("+15550001234", action="/turns/dial")
    elif digits in ("2", "3"):
        path = "/relay" if digits == "2" else "/relay-closed"
        relay_url = str(request.url.replace(scheme="wss", path=path, query=""))
        connect = response.connect(action="/turns/relay")
        relay = connect.conversation_relay(
            url=relay_url, welcome_greeting="Hi, this is the assistant.", dtmf_detection=True
        )
        relay.parameter(name="account", value="42")
    else:
        response.say(f"Account {digits}. Goodbye.")
        response.hangup()
    return response


def _dial_ended(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    status = fields.get("DialCallStatus")
    if status != "completed":
        response.say(f"Billing is {status}. Goodbye.")
    response.hangup()
    return response


def _relay_ended(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    if fields.get("SessionStatus") == "ended" and fields.get("HandoffData") == HANDOFF:
        response.say("Back from the assistant.")
        response.dial("+15550009999")
    else:
        response.say("The assistant is unavailable. Goodbye.")
        response.hangup()
    return response


def _loop(request: Request, fields: dict[str, str]) -> VoiceResponse:
    response = VoiceResponse()
    response.redirect("/loop")
    return response


def _play() -> str:
    response = VoiceResponse()
    response.play("https://example.com/music.mp3")
    return str(response)


@contextmanager
def running_peer() -> Iterator[TwimlPeer]:
    peer = TwimlPeer()
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()
