"""The structured event log of a call: JSON objects, one per thing that happened.

Every event has `event` (its kind), `call` (the call id) and `at` (ISO time),
plus the fields of its kind:

    call_started    flow, caller, callee
    call_resumed    flow, step ("file.flow:LINE" where the stored call continues)
    step            file, line, kind
    say             text
    heard           text (null for silence)
    no_answer       variable, attempts
    variable_set    name, value
    request_sent    method, url
    request_answered method, url, status, duration_ms, attempts
    request_failed  method, url, reason, status, duration_ms, attempts
    message_sent    medium ("sms" | "email"), to, text | subject, via (the sender:
                    "Outbox" when nothing is configured, "TwilioSms", "SmtpMailer")
    message_failed  medium, to, reason
    code_called     function
    code_failed     function, reason, duration_ms
    action_entered  action, variable (the caller's, for the output), inputs
    action_left     action, output
    transfer        to
    transfer_failed to, reason
    fault           where ("file.flow:LINE"), message
    hang_up_failed  reason
    call_ended      outcome ("ended" | "transferred" | "hangup" | "error")

Secrets are masked before any sink sees an event: every known secret value is
replaced by "***" wherever it appears in a string, however it got there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Protocol

from .services import JSON

Event = dict[str, JSON]
MASK = "***"


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

    def emit(self, kind: str, /, **fields: JSON) -> None:
        if not self._sinks:
            return
        event: Event = {
            "event": kind,
            "call": self._call_id,
            "at": self._clock().isoformat(),
        }
        for name, value in fields.items():
            event[name] = self.secrets.mask(value)
        for sink in self._sinks:
            sink.emit(event)
