"""Plays Twilio Voice against a webhook server: signed form posts in, TwiML out.

    call = TwilioCall(server.url, server.auth_token, call_sid="CA...", from_="+15550001111")
    first = call.start()                 # POST /twilio/voice, as for an incoming call
    first.says, first.gather.prompt      # what the caller hears
    call.answer("Jane Doe")              # speech, posted to the current Gather's action
    call.press("42")                     # keypad digits, the same way
    call.silence()                       # neither: the Gather timed out (actionOnEmptyResult)
    call.dial_ended("busy")              # the <Dial>'s action, with DialCallStatus
    call.follow()                        # the <Redirect> (after a hold)
    call.hang_up()                       # the status callback: CallStatus=completed

Every request carries the fields Twilio sends (CallSid, AccountSid, From, To,
CallStatus, Direction, ApiVersion, Caller, Called and the empty geographic
ones Twilio sends for numbers it cannot place) and is signed as Twilio signs
it: `RequestValidator(token).compute_signature(url, params)` of the twilio
package, in X-Twilio-Signature, over the URL Twilio requested. With a
`public_url` (a server behind a proxy or tunnel) the TwiML's URLs point there:
requests are signed for those URLs and sent to `server_url` with the same path.

Each answer is parsed into a `TwiML`: the Say texts, the Gather (action,
timeout, hints, input, its Say), the Redirect, the Dial, the Hangup. An answer
that is not 200 leaves the call where it was, so `retry()` posts the same
request again, as Twilio does after a failed webhook.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "5" * 32
DEFAULT_FROM = "+15550001111"
DEFAULT_TO = "+15550002222"


def new_call_sid() -> str:
    """A fresh CallSid: "CA" and 32 hex digits, like Twilio's."""
    return "CA" + uuid.uuid4().hex


def new_phone_number() -> str:
    """A fresh caller number in the 555 range, E.164: one a call, to count its SMS."""
    return f"+1555{uuid.uuid4().int % 10**7:07d}"


@dataclass(frozen=True)
class Gather:
    action: str | None
    method: str | None
    input: str | None
    timeout: int | None
    hints: list[str]
    action_on_empty_result: bool
    speech_timeout: str | None
    says: list[str]
    num_digits: int | None = None
    finish_on_key: str | None = None

    @property
    def prompt(self) -> str | None:
        """The words said inside the Gather (the question): the last of them."""
        return self.says[-1] if self.says else None


@dataclass(frozen=True)
class Dial:
    number: str
    action: str | None
    method: str | None


@dataclass(frozen=True)
class TwiML:
    """A webhook's answer. `says` are the top-level Say texts in order (`spoken` adds
    the Gather's); `verbs` the names of the top-level verbs in order."""

    status_code: int
    text: str
    content_type: str
    elapsed: float  # seconds from sending the request to the end of the answer
    verbs: list[str] = field(default_factory=list)
    says: list[str] = field(default_factory=list)
    gather: Gather | None = None
    redirect: str | None = None
    dial: Dial | None = None
    hangup: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code == 200

    @property
    def spoken(self) -> list[str]:
        """Everything the caller hears, in order: the Says, then the Gather's."""
        inside = self.gather.says if self.gather is not None else []
        return [*self.says, *inside]

    @classmethod
    def parse(cls, response: httpx.Response) -> TwiML:
        content_type = response.headers.get("content-type", "")
        elapsed = response.elapsed.total_seconds()
        twiml = cls(response.status_code, response.text, content_type, elapsed)
        if response.status_code != 200:
            return twiml
        root = ElementTree.fromstring(response.text)
        if root.tag != "Response":
            raise AssertionError(f"TwiML must have a <Response> root, not <{root.tag}>")
        for verb in root:
            twiml.verbs.append(verb.tag)
            if verb.tag == "Say":
                twiml.says.append(verb.text or "")
            elif verb.tag == "Gather":
                object.__setattr__(twiml, "gather", _gather(verb))
            elif verb.tag == "Redirect":
                object.__setattr__(twiml, "redirect", (verb.text or "").strip())
            elif verb.tag == "Dial":
                number = verb.findtext("Number") or verb.text or ""
                dial = Dial(number.strip(), verb.get("action"), verb.get("method"))
                object.__setattr__(twiml, "dial", dial)
            elif verb.tag == "Hangup":
                object.__setattr__(twiml, "hangup", True)
        return twiml


def _gather(verb: ElementTree.Element) -> Gather:
    timeout = verb.get("timeout")
    hints = verb.get("hints")
    num_digits = verb.get("numDigits")
    return Gather(
        action=verb.get("action"),
        method=verb.get("method"),
        input=verb.get("input"),
        timeout=None if timeout is None else int(timeout),
        hints=[] if hints is None else [hint.strip() for hint in hints.split(",")],
        action_on_empty_result=verb.get("actionOnEmptyResult") == "true",
        speech_timeout=verb.get("speechTimeout"),
        says=[say.text or "" for say in verb.findall("Say")],
        num_digits=None if num_digits is None else int(num_digits),
        finish_on_key=verb.get("finishOnKey"),
    )


@dataclass(frozen=True)
class Posted:
    """One request as sent: the URL signed (Twilio's), the URL sent to, the form."""

    url: str
    sent_to: str
    params: dict[str, str]
    headers: dict[str, str]


class TwilioCall:
    """One phone call as Twilio drives it; `last` is the latest 200 answer."""

    def __init__(
        self,
        server_url: str,
        auth_token: str | None,
        *,
        call_sid: str | None = None,
        from_: str = DEFAULT_FROM,
        to: str = DEFAULT_TO,
        account_sid: str = ACCOUNT_SID,
        public_url: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.public_url = public_url.rstrip("/") if public_url else None
        self.auth_token = auth_token
        self.call_sid = call_sid or new_call_sid()
        self.from_ = from_
        self.to = to
        self.account_sid = account_sid
        self.client = httpx.Client(timeout=timeout)
        self.last: TwiML | None = None
        self.answers: list[TwiML] = []
        self.posted: list[Posted] = []
        self.status = "ringing"

    def __enter__(self) -> TwilioCall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------- what Twilio does

    def start(self) -> TwiML:
        """The incoming call: the number's voice URL, /twilio/voice."""
        self.status = "ringing"
        answer = self.post(self._base() + "/twilio/voice")
        self.status = "in-progress"
        return answer

    def answer(self, speech: str, confidence: float = 0.91) -> TwiML:
        """The caller said `speech`: the current Gather's action with SpeechResult."""
        return self.post(
            self._gather_action(), {"SpeechResult": speech, "Confidence": f"{confidence}"}
        )

    def press(self, digits: str) -> TwiML:
        """The caller pressed keys: the current Gather's action with Digits."""
        return self.post(self._gather_action(), {"Digits": digits, "FinishedOnKey": ""})

    def silence(self) -> TwiML:
        """The Gather timed out with nothing heard (actionOnEmptyResult): no input fields."""
        return self.post(self._gather_action())

    def dial_ended(self, status: str, duration: int = 30) -> TwiML:
        """The transfer's dial is over: the current Dial's action with DialCallStatus."""
        if self.last is None or self.last.dial is None or self.last.dial.action is None:
            raise AssertionError(f"the last answer has no <Dial action=...>: {self._last_text()}")
        fields = {
            "DialCallStatus": status,
            "DialCallSid": "CA" + "d" * 32,
            "DialCallDuration": str(duration if status == "completed" else 0),
        }
        return self.post(self.last.dial.action, fields)

    def follow(self) -> TwiML:
        """The current <Redirect>: posted as Twilio does once the Says before it are said."""
        if self.last is None or self.last.redirect is None:
            raise AssertionError(f"the last answer has no <Redirect>: {self._last_text()}")
        return self.post(self.last.redirect)

    def follow_redirects(self, limit: int = 20) -> TwiML:
        """Follows Redirects until an answer without one; returns that answer."""
        assert self.last is not None
        for _ in range(limit):
            if self.last.redirect is None:
                return self.last
            self.follow()
        raise AssertionError(f"still redirecting after {limit} redirects")

    def hang_up(self, status: str = "completed") -> httpx.Response:
        """The status callback: the call is over (completed, busy, no-answer, ...)."""
        self.status = status
        extra = {"CallDuration": "12", "CallbackSource": "call-progress-events"}
        extra["SequenceNumber"] = "0"
        url = self._base() + "/twilio/status"
        return self.send(url, self.fields(extra))

    def retry(self) -> TwiML:
        """Posts the last request again, unchanged (Twilio's retry of a webhook)."""
        if not self.posted:
            raise AssertionError("nothing was posted yet")
        previous = self.posted[-1]
        return self._record(self.send(previous.url, previous.params))

    # ------------------------------------------------------------- requests

    def fields(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The form fields Twilio sends with every voice request, and `extra`."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": self.status,
            "Called": self.to,
            "CalledCity": "",
            "CalledCountry": "US",
            "CalledState": "",
            "CalledZip": "",
            "Caller": self.from_,
            "CallerCity": "",
            "CallerCountry": "US",
            "CallerState": "",
            "CallerZip": "",
            "Direction": "inbound",
            "From": self.from_,
            "FromCity": "",
            "FromCountry": "US",
            "FromState": "",
            "FromZip": "",
            "To": self.to,
            "ToCity": "",
            "ToCountry": "US",
            "ToState": "",
            "ToZip": "",
        }
        params.update(extra or {})
        return params

    def post(self, url: str, extra: dict[str, str] | None = None) -> TwiML:
        """Posts the call's fields and `extra` to `url`, signed; the parsed answer."""
        return self._record(self.send(url, self.fields(extra)))

    def send(
        self,
        url: str,
        params: dict[str, str],
        *,
        signature: str | None = None,
        signed_url: str | None = None,
        unsigned: bool = False,
    ) -> httpx.Response:
        """One POST to `url` (a URL as Twilio knows it), signed for `signed_url` (default:
        `url`) unless `signature` is given or `unsigned`; the raw response."""
        headers = {"User-Agent": "TwilioProxy/1.1", "I-Twilio-Idempotency-Token": "t"}
        if not unsigned:
            headers["X-Twilio-Signature"] = signature or self.signature(signed_url or url, params)
        sent_to = self._local(url)
        self.posted.append(Posted(url, sent_to, dict(params), dict(headers)))
        return self.client.post(sent_to, data=params, headers=headers)

    def signature(self, url: str, params: dict[str, str]) -> str:
        if self.auth_token is None:
            raise AssertionError("no auth token to sign with")
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def _record(self, response: httpx.Response) -> TwiML:
        answer = TwiML.parse(response)
        self.answers.append(answer)
        if answer.ok:
            self.last = answer
        return answer

    def _gather_action(self) -> str:
        if self.last is None or self.last.gather is None or self.last.gather.action is None:
            raise AssertionError(f"the last answer has no <Gather action=...>: {self._last_text()}")
        return self.last.gather.action

    def _last_text(self) -> str:
        return "(none)" if self.last is None else self.last.text

    def _base(self) -> str:
        """The base URL Twilio knows the server by."""
        return self.public_url or self.server_url

    def _local(self, url: str) -> str:
        """Where a request for `url` really goes: the server, with the same path."""
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return self.server_url + parts.path + query
