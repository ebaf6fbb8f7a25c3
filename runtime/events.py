"""The structured event log of a call: one typed record per thing that happened.

Each kind of event is a frozen record below, with its kind (`event`) and its
typed fields: the one schema of the log, for the runtime and the server alike.
docs/runtime.md ("Event log") lists them, and a test keeps that list and these
records in step. Sinks get JSON objects, never records: `event` (the kind),
`call` (the call id) and `at` (ISO time), then the record's fields by name; that
is the `--log` JSON-lines format and what the transcript printer reads.

Secrets are masked before any sink sees an event of a call: every known secret
value is replaced by "***" wherever it appears in a string, however it got there.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, ClassVar, Literal, Protocol

from .services import JSON

Event = dict[str, JSON]
MASK = "***"
Medium = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event before it is stamped: its kind, named `event` as in the JSON (the
    step event has a field `kind`), and its fields, each a JSON value by name."""

    event: ClassVar[str]

    def field_names(self) -> tuple[str, ...]:
        """The fields the JSON object holds, in order: every field, for most kinds."""
        return _FIELD_NAMES[type(self)]

    def fields(self) -> Event:
        return {name: getattr(self, name) for name in self.field_names()}

    def stamped(self, call: str, at: str) -> Event:
        """The JSON object of an event outside a call's own log (the server's events,
        which hold no secret of a call, so nothing is masked)."""
        return {"event": self.event, "call": call, "at": at, **self.fields()}


# --------------------------------------------------------------------------
# A call's events (EventLog.emit)


@dataclass(frozen=True, slots=True)
class CallStarted(EventRecord):
    event = "call_started"
    flow: str
    caller: str
    callee: str


@dataclass(frozen=True, slots=True)
class CallResumed(EventRecord):
    """A stored call continues; `step` is `file.flow:LINE`, where it goes on."""

    event = "call_resumed"
    flow: str
    step: str


@dataclass(frozen=True, slots=True)
class StepEntered(EventRecord):
    """A step starts; `kind` is its kind as generated code names it (`talk`, `sms`)."""

    event = "step"
    file: str
    line: int
    kind: str


@dataclass(frozen=True, slots=True)
class Say(EventRecord):
    event = "say"
    text: str


@dataclass(frozen=True, slots=True)
class Heard(EventRecord):
    """The caller's turn; `text` is None for silence."""

    event = "heard"
    text: str | None


@dataclass(frozen=True, slots=True)
class IntentHeard(EventRecord):
    """The caller's answer said a global intent, by `phrase`: the call goes on at the
    intent's target in the body `body`, leaving the actions `left` (innermost first)."""

    event = "intent_heard"
    intent: str
    phrase: str
    body: str
    left: list[str]


@dataclass(frozen=True, slots=True)
class NoAnswer(EventRecord):
    event = "no_answer"
    variable: str
    attempts: int


@dataclass(frozen=True, slots=True)
class FieldFilled(EventRecord):
    """An answer gave a field of the form `variable` that had no value yet."""

    event = "field_filled"
    variable: str
    field: str
    value: JSON


@dataclass(frozen=True, slots=True)
class FieldCorrected(EventRecord):
    """An answer changed a field of the form `variable` ("no, make it 60")."""

    event = "field_corrected"
    variable: str
    field: str
    was: JSON
    value: JSON


@dataclass(frozen=True, slots=True)
class FormConfirmed(EventRecord):
    """The caller said yes to the read-back of the form `variable`."""

    event = "form_confirmed"
    variable: str


@dataclass(frozen=True, slots=True)
class VariableSet(EventRecord):
    event = "variable_set"
    name: str
    value: JSON


@dataclass(frozen=True, slots=True)
class RequestSent(EventRecord):
    event = "request_sent"
    method: str
    url: str


@dataclass(frozen=True, slots=True)
class RequestAnswered(EventRecord):
    event = "request_answered"
    method: str
    url: str
    status: int
    duration_ms: float
    attempts: int


@dataclass(frozen=True, slots=True)
class RequestFailed(EventRecord):
    """`status` is None when no answer came (a timeout, a refused connection)."""

    event = "request_failed"
    method: str
    url: str
    reason: str
    status: int | None
    duration_ms: float
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSent(EventRecord):
    """An SMS (with its `text`) or an email (with its `subject`) handed over; `via`
    names the sender: "Outbox" when nothing is configured, "TwilioSms", "SmtpMailer"."""

    event = "message_sent"
    medium: Medium
    to: str
    text: str | None = None
    subject: str | None = None
    via: str

    def field_names(self) -> tuple[str, ...]:
        # An email's body is not logged, and an SMS has no subject.
        return _SMS_SENT if self.medium == "sms" else _EMAIL_SENT


_SMS_SENT = ("medium", "to", "text", "via")
_EMAIL_SENT = ("medium", "to", "subject", "via")


@dataclass(frozen=True, slots=True)
class MessageFailed(EventRecord):
    event = "message_failed"
    medium: Medium
    to: str
    reason: str


@dataclass(frozen=True, slots=True)
class CodeCalled(EventRecord):
    event = "code_called"
    function: str


@dataclass(frozen=True, slots=True)
class CodeFailed(EventRecord):
    event = "code_failed"
    function: str
    reason: str
    duration_ms: float


@dataclass(frozen=True, slots=True)
class ActionEntered(EventRecord):
    """`variable` is the caller's, which receives the output; `inputs` are all of
    them, defaults filled."""

    event = "action_entered"
    action: str
    variable: str
    inputs: dict[str, JSON]


@dataclass(frozen=True, slots=True)
class ActionLeft(EventRecord):
    event = "action_left"
    action: str
    output: str


@dataclass(frozen=True, slots=True)
class Transfer(EventRecord):
    event = "transfer"
    to: str


@dataclass(frozen=True, slots=True)
class TransferFailed(EventRecord):
    event = "transfer_failed"
    to: str
    reason: str


@dataclass(frozen=True, slots=True)
class Fault(EventRecord):
    """A runtime fault; `where` is `file.flow:LINE`."""

    event = "fault"
    where: str
    message: str


@dataclass(frozen=True, slots=True)
class HangUpFailed(EventRecord):
    event = "hang_up_failed"
    reason: str


@dataclass(frozen=True, slots=True)
class CallEnded(EventRecord):
    """`outcome` is an `Outcome`: "ended", "transferred", "hangup" or "error"."""

    event = "call_ended"
    outcome: str


# --------------------------------------------------------------------------
# The server's events (flowc serve: EventRecord.stamped)


@dataclass(frozen=True, slots=True)
class CallAbandoned(EventRecord):
    """The call cannot go on (its build is gone, its state cannot be resumed)."""

    event = "call_abandoned"
    build: str
    reason: str


@dataclass(frozen=True, slots=True)
class TurnLost(EventRecord):
    """A turn ran, but another process had taken the call over meanwhile."""

    event = "turn_lost"
    turn: int
    reason: str


@dataclass(frozen=True, slots=True)
class TurnTakenOver(EventRecord):
    """The caller hung up while another process ran a turn, and that process died
    (its lease lapsed): this one ends the call from the state before the turn."""

    event = "turn_taken_over"
    turn: int
    reason: str


@dataclass(frozen=True, slots=True)
class StoreUnavailable(EventRecord):
    event = "store_unavailable"
    reason: str


@dataclass(frozen=True, slots=True)
class WebhookRefused(EventRecord):
    """A webhook or WebSocket upgrade whose signature does not hold, answered 403."""

    event = "webhook_refused"
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Interrupted(EventRecord):
    """The caller barged in (ConversationRelay): what they heard until then, how
    long it took (None when Twilio did not say) and how many texts were dropped."""

    event = "interrupted"
    heard_until: str
    duration_ms: int | None
    dropped: int


# Every kind of event: what docs/runtime.md lists (a test compares the two).
EVENT_RECORDS: tuple[type[EventRecord], ...] = (
    CallStarted,
    CallResumed,
    StepEntered,
    Say,
    Heard,
    IntentHeard,
    NoAnswer,
    FieldFilled,
    FieldCorrected,
    FormConfirmed,
    VariableSet,
    RequestSent,
    RequestAnswered,
    RequestFailed,
    MessageSent,
    MessageFailed,
    CodeCalled,
    CodeFailed,
    ActionEntered,
    ActionLeft,
    Transfer,
    TransferFailed,
    Fault,
    HangUpFailed,
    CallEnded,
    CallAbandoned,
    TurnLost,
    TurnTakenOver,
    StoreUnavailable,
    WebhookRefused,
    Interrupted,
)
# Looked up for every event, so worked out once (a record missing above has none).
_FIELD_NAMES = {
    record: tuple(field.name for field in dataclasses.fields(record)) for record in EVENT_RECORDS
}


# --------------------------------------------------------------------------
# Sinks, masking and the log


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class MemorySink:
    """Keeps events in a list (tests, and callers that ship the log elsewhere)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [event for event in self.events if event["event"] == kind]


class JsonLinesSink:
    """Writes one JSON object per line to a text stream (the `--log FILE` format)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def emit(self, event: Event) -> None:
        line = json.dumps(event, ensure_ascii=False)
        try:
            self._stream.write(line + "\n")
        except UnicodeEncodeError:
            # A lone surrogate (from an API's "\ud800") cannot be written as UTF-8:
            # the same event with every non-ASCII character escaped.
            self._stream.write(json.dumps(event) + "\n")
        self._stream.flush()


class Secrets:
    """The secret values of a call, and the masking of strings that contain them."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = {value for value in values if value}
        self._longest_first: list[str] = sorted(self._values, key=len, reverse=True)

    def add(self, value: JSON) -> None:
        if isinstance(value, str) and value and value not in self._values:
            self._values.add(value)
            self._longest_first = sorted(self._values, key=len, reverse=True)

    def __bool__(self) -> bool:
        """Whether there is anything to mask."""
        return bool(self._values)

    def holds(self, value: JSON) -> bool:
        return isinstance(value, str) and value in self._values

    def mask(self, value: JSON) -> JSON:
        """The value with every secret replaced by "***", in strings at any depth."""
        if not self._values:
            return value
        if isinstance(value, str):
            for secret in self._longest_first:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, list):
            return [self.mask(item) for item in value]
        if isinstance(value, dict):
            return {self._mask_text(key): self.mask(item) for key, item in value.items()}
        return value

    def _mask_text(self, text: str) -> str:
        masked = self.mask(text)
        assert isinstance(masked, str)
        return masked


class EventLog:
    """Stamps, masks and hands events to the sinks; does nothing when there are none."""

    def __init__(
        self,
        call_id: str,
        sinks: Iterable[EventSink],
        clock: Callable[[], datetime],
        secrets: Secrets,
    ) -> None:
        self._call_id = call_id
        self._sinks = list(sinks)
        # Hot paths (every step, every variable set) test this before building an
        # event, so a call with no sinks pays one attribute read per event.
        self.active = bool(self._sinks)
        self._clock = clock
        self.secrets = secrets

    def emit(self, record: EventRecord) -> None:
        if not self._sinks:
            return
        event: Event = {
            "event": record.event,
            "call": self._call_id,
            "at": self._clock().isoformat(),
        }
        # Field by field rather than through record.fields(): this runs for every step.
        if self.secrets:
            mask = self.secrets.mask
            for name in record.field_names():
                event[name] = mask(getattr(record, name))
        else:
            for name in record.field_names():
                event[name] = getattr(record, name)
        for sink in self._sinks:
            sink.emit(event)
