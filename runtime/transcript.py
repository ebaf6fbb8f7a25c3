"""The transcript: the event log as a person reads it (LANGUAGE.md section 10).

One line per event that a caller or an operator would notice:

    agent: TEXT
    caller: TEXT                 (silence: "caller: (silence)"; a secret answer: "caller: ***")
    intent: NAME ("PHRASE")      (the caller's answer said a global intent)
    sms to NUMBER: TEXT
    email to ADDRESS: SUBJECT
    transfer to NUMBER
    end: OUTCOME

Everything else in the log (steps, variables, requests) stays out of it.
The printer is an event sink, so it only ever sees masked events.
"""

from __future__ import annotations

from typing import IO

from .events import CallEnded, Event, Heard, IntentHeard, MessageSent, Say, Transfer
from .services import JSON


def transcript_line(event: Event, *, show_caller: bool = True) -> str | None:
    """The transcript line for one event, or None when the event is not shown."""
    kind = event["event"]
    if kind == Say.event:
        return f"agent: {_text(event['text'])}"
    if kind == Heard.event and show_caller:
        heard = event["text"]
        return f"caller: {'(silence)' if heard is None else _text(heard)}"
    if kind == IntentHeard.event:
        return f'intent: {_text(event["intent"])} ("{_text(event["phrase"])}")'
    if kind == MessageSent.event:
        detail = event["text"] if event["medium"] == "sms" else event["subject"]
        return f"{_text(event['medium'])} to {_text(event['to'])}: {_text(detail)}"
    if kind == Transfer.event:
        return f"transfer to {_text(event['to'])}"
    if kind == CallEnded.event:
        return f"end: {_text(event['outcome'])}"
    return None


def _text(value: JSON) -> str:
    # Spoken text may hold newlines ("""...""" strings); a transcript line stays one line.
    return str(value).replace("\r\n", "\n").replace("\n", " / ")


class TranscriptPrinter:
    """Prints transcript lines to a stream as events arrive.

    With `show_caller=False` the caller's own turns are left out: at a terminal
    the person has just typed them.
    """

    def __init__(self, stream: IO[str], *, show_caller: bool = True) -> None:
        self._stream = stream
        self._show_caller = show_caller

    def emit(self, event: Event) -> None:
        line = transcript_line(event, show_caller=self._show_caller)
        if line is not None:
            self._stream.write(line + "\n")
            self._stream.flush()
