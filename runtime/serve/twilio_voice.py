"""Twilio Voice webhooks: the default transport, each turn a request answered with TwiML.

    POST /twilio/voice                    the incoming call (the number's voice URL)
    POST /twilio/calls/{sid}/{turn}       a caller turn (Gather) or a dial's end (Dial)
    POST /twilio/calls/{sid}/{turn}/wait  the rest of a turn after a hold (Redirect)
    POST /twilio/status                   the status callback: the call is over

Every URL but the first and the last comes from the TwiML the server returned,
which is all Twilio follows; each carries the turn's number, so a retried
request is told from a new turn (see switchboard.py). Every request must carry
a valid `X-Twilio-Signature`, computed by Twilio from the URL it requested and
the form fields with the account's auth token; the twilio package checks it.

TwiML is written with the twilio package: `talk` is `<Say>`; a `collect` is a
`<Gather input="speech dtmf">` holding its prompt, so the caller may answer
over it (by keys too: one for a menu of up to nine options, N and `#` for
`expect N digits`); `end` is `<Hangup/>`; `transfer` is a `<Dial>` whose action reports how
the dial went.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from ..events import WebhookRefused
from .store import StoreUnavailable
from .switchboard import HOLD_PHRASE, StaleTurn, UnknownCall
from .turns import HUNG_UP, CallerInput, InputKind, Next, Reply, keys_that_answer

if TYPE_CHECKING:
    from ..services import Question
    from .app import Served
    from .settings import ServeConfig

# CallStatus values of a status callback that mean the call is over.
CALL_OVER = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# The characters XML 1.0 has no place for (the markup itself never holds them).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CHARACTER_REFERENCE = re.compile("&#([0-9]+);")
# Twilio's webhooks are a few kilobytes of form fields.
MAX_BODY_BYTES = 256 * 1024
# What a CallSid may be: it goes into the turn URLs (and the store's keys) as it is.
CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
Handler = Callable[[Request], Awaitable[Response]]


def routes(served: Callable[[], Served]) -> list[BaseRoute]:
    return [
        Route("/twilio/voice", signed(served, _incoming), methods=["POST"]),
        Route("/twilio/calls/{sid}/{turn:int}", signed(served, _turn), methods=["POST"]),
        Route("/twilio/calls/{sid}/{turn:int}/wait", signed(served, _wait), methods=["POST"]),
        Route("/twilio/status", signed(served, status), methods=["POST"]),
    ]


Webhook = Callable[["Served", Request, dict[str, str]], Awaitable[Response]]


def signed(served: Callable[[], Served], webhook: Webhook) -> Handler:
    """The handler with the form parsed and the signature checked first: a request that
    fails the check is answered 403 and changes nothing."""

    async def handle(request: Request) -> Response:
        context = served()
        raw = await _body(request)
        if raw is None:
            context.log.warn(f"refused {request.method} {request.url.path}: a body too large")
            return PlainTextResponse(
                f"a webhook's body is at most {MAX_BODY_BYTES} bytes\n", status_code=413
            )
        body = raw.decode("utf-8", "replace")
        # Empty fields are kept: Twilio signs every field it sends (CallerCity=, ...).
        form = dict(parse_qsl(body, keep_blank_values=True))
        refusal = signature_refusal(context, request, form)
        if refusal is not None:
            context.log.warn(f"refused {request.method} {request.url.path}: {refusal}")
            at = context.switchboard.services.clock().isoformat()
            refused = WebhookRefused(request.url.path, refusal)
            context.log.emit(refused.stamped(form.get("CallSid", ""), at))
            return PlainTextResponse(f"forbidden: {refusal}\n", status_code=403)
        try:
            return await webhook(context, request, form)
        except StaleTurn as exc:
            return PlainTextResponse(f"stale turn: {exc}\n", status_code=409)
        except UnknownCall as exc:
            return PlainTextResponse(f"no call {exc} in the store\n", status_code=404)
        except StoreUnavailable as exc:
            context.log.warn(f"{request.url.path}: {exc}")
            return PlainTextResponse(
                f"call store unavailable: {exc}\n", status_code=503, headers={"Retry-After": "1"}
            )

    return handle


async def _body(request: Request) -> bytes | None:
    """The request's body, or None once it is longer than MAX_BODY_BYTES: a body is read
    before its signature can be checked, so an unsigned one must not fill the memory."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def signature_refusal(served: Served, request: Request, form: dict[str, str]) -> str | None:
    """Why the request's X-Twilio-Signature is not valid, or None when it is."""
    url = public_url_of(request, served.config.public_url)
    return refusal_of(served.config, url, form, request.headers.get("X-Twilio-Signature"))


def refusal_of(
    config: ServeConfig, url: str, params: dict[str, str], signature: str | None
) -> str | None:
    """Why `signature` is not Twilio's for `url` and `params`, or None when it is (or
    signatures are not checked); both transports' requests go through here."""
    if not config.check_signatures:
        return None
    if signature is None:
        return "no X-Twilio-Signature header"
    if config.auth_token is None:
        return "TWILIO_AUTH_TOKEN is not set, so no signature can be checked"
    if not RequestValidator(config.auth_token).validate(url, params, signature):
        return f"the X-Twilio-Signature does not match {url}"
    return None


def public_url_of(request: Request, public_url: str | None) -> str:
    """The URL Twilio requested: the public base URL (a proxy's, a tunnel's) with this
    request's path and query, or the URL the server received when there is none."""
    if public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def base_url(served: Served, request: Request) -> str:
    """Where the URLs in TwiML point: the public URL, else the address requested."""
    if served.config.public_url is not None:
        return served.config.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


# ------------------------------------------------------------------- webhooks


async def _incoming(served: Served, request: Request, form: dict[str, str]) -> Response:
    sid = form.get("CallSid", "")
    refusal = bad_call_sid(sid)
    if refusal is not None:
        return refusal
    board = served.switchboard
    reply = await board.start(sid, form.get("From", ""), form.get("To", ""))
    return twiml(reply, base_url(served, request), sid, 0)


async def _turn(served: Served, request: Request, form: dict[str, str]) -> Response:
    sid, turn = request.path_params["sid"], request.path_params["turn"]
    refusal = sid_mismatch(sid, form)
    if refusal is not None:
        return refusal
    reply = await served.switchboard.turn(sid, turn, caller_input(form))
    return twiml(reply, base_url(served, request), sid, turn)


async def _wait(served: Served, request: Request, form: dict[str, str]) -> Response:
    sid, turn = request.path_params["sid"], request.path_params["turn"]
    refusal = sid_mismatch(sid, form)
    if refusal is not None:
        return refusal
    reply = await served.switchboard.wait(sid, turn)
    return twiml(reply, base_url(served, request), sid, turn)


async def status(served: Served, request: Request, form: dict[str, str]) -> Response:
    sid = form.get("CallSid", "")
    if sid and form.get("CallStatus") in CALL_OVER:
        await served.switchboard.hang_up(sid)
    return Response(status_code=204)


def bad_call_sid(sid: str) -> Response | None:
    """400 for an incoming call without a CallSid, or with one that cannot be a path
    segment of the turn URLs (Twilio's are CA and 32 hex digits)."""
    if not sid:
        return PlainTextResponse("the request has no CallSid\n", status_code=400)
    if CALL_SID.fullmatch(sid) is None:
        return PlainTextResponse(
            f"the CallSid {sid[:80]!r} is not a call SID (letters, digits, - and _ only)\n",
            status_code=400,
        )
    return None


def sid_mismatch(sid: str, form: dict[str, str]) -> Response | None:
    if form.get("CallSid") != sid:
        return PlainTextResponse(
            f"the CallSid of the form is not the call of the URL ({sid})\n", status_code=400
        )
    return None


def caller_input(form: dict[str, str]) -> CallerInput:
    """A Gather's answer (speech, else keypad digits, else silence) or a Dial's end.

    A Dial's action with CallStatus=completed means the caller hung up while the
    dial rang: the call ends as a hang-up, whatever became of the dial.
    """
    if "DialCallStatus" in form and form.get("CallStatus") == "completed":
        return HUNG_UP
    if "DialCallStatus" in form:
        return CallerInput(InputKind.DIAL, dial_status=form["DialCallStatus"])
    heard = form.get("SpeechResult") or form.get("Digits") or None
    return CallerInput(InputKind.TURN, heard=heard)


# ------------------------------------------------------------------- TwiML


def twiml(reply: Reply, base: str, sid: str, turn: int) -> Response:
    """The reply as TwiML; the next turn's URLs carry turn + 1, a hold's the same turn."""
    response = VoiceResponse()
    says = list(reply.says)
    next_turn = f"{base}/twilio/calls/{sid}/{turn + 1}"
    if reply.next is Next.LISTEN:
        # The last words are the question: inside the Gather, so the caller may
        # answer while it is being said. Words before it are outside, where speech
        # is not heard, and so is an uninterruptible text that came last.
        last = len(says) - 1
        prompt = says.pop() if says and last not in reply.uninterruptible else None
        _say_all(response, says)
        response.append(_gather(reply, next_turn, prompt))
    elif reply.next is Next.DIAL:
        _say_all(response, says)
        response.dial(reply.number, action=next_turn, method="POST")
    elif reply.next is Next.HOLD:
        _say_all(response, [*says, HOLD_PHRASE])
        response.redirect(f"{base}/twilio/calls/{sid}/{turn}/wait", method="POST")
    else:
        _say_all(response, says)
        if reply.next is Next.HANG_UP:
            response.hangup()
    return twiml_response(response)


def twiml_response(response: VoiceResponse) -> Response:
    """The TwiML document, without the characters XML 1.0 does not allow (control
    characters in an API's data said by `talk`), which would make Twilio refuse it all."""
    text = NOT_IN_XML.sub("", str(response))
    # A lone surrogate (JSON allows "\ud800") is written as a character reference.
    text = CHARACTER_REFERENCE.sub(_valid_reference, text)
    return Response(text, media_type="application/xml")


def _valid_reference(match: re.Match[str]) -> str:
    return "" if 0xD800 <= int(match.group(1)) <= 0xDFFF else match.group(0)


def _say_all(response: VoiceResponse, says: Sequence[str]) -> None:
    for text in says:
        response.say(text)


def _keys(question: Question) -> dict[str, str | int]:
    """How keying ends (`keys_that_answer`): after that many keys, or on `#`, which
    Twilio leaves out of Digits; without a count, on `#` or the timeout (Twilio's
    defaults)."""
    count = keys_that_answer(question)
    return {} if count is None else {"num_digits": count, "finish_on_key": "#"}


def _gather(reply: Reply, action: str, prompt: str | None) -> Gather:
    question = reply.question
    assert question is not None  # a LISTEN reply always has its question
    # Choice options help the speech recognizer: hints are phrases it should expect.
    hints = {"hints": ", ".join(question.options)} if question.options else {}
    gather = Gather(
        input="speech dtmf",
        action=action,
        method="POST",
        action_on_empty_result=True,
        timeout=max(1, math.ceil(question.timeout_seconds)),
        speech_timeout="auto",
        **hints,
        **_keys(question),
    )
    if prompt is not None:
        gather.say(prompt)
    return gather

