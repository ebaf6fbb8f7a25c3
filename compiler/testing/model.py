"""A parsed `.flowtest` file: plain frozen records, each with the span it was written at.

docs/testing.md describes the format. A test names what it calls (a flow, or an
action with its inputs), the call's numbers, clock and environment, stubs for
what the outside world answers, the transcript it expects (the lines `flowc run`
prints, the caller's among them as the turns to play) and expectations beyond
the transcript (variables, events in the log).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from flowc_runtime.services import JSON

from ..ast import Ident
from ..source import Span

# What a delivery stub refuses.
Delivery = Literal["sms", "email", "transfer"]


class SubjectKind(StrEnum):
    FLOW = "flow"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class Subject:
    """`flow NAME from "file.flow"` or `action NAME from "file.flow"`; `file` as written,
    relative to the test file's folder."""

    kind: SubjectKind
    name: Ident
    file: str
    file_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class InputValue:
    """`input NAME = JSON`: an argument of the action under test."""

    name: Ident
    value: JSON
    span: Span


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: a status and, when given, a JSON body."""

    status: int
    body: JSON
    has_body: bool


class NoAnswer(StrEnum):
    """A request that gets no answer at all."""

    TIMEOUT = "timeout"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class RequestStub:
    """`stub NAME: ...` (the request step's variable) or `stub METHOD URL: ...`.

    Exactly one of `variable` and `method`/`url` is set; `url` may hold `*` wildcards.
    """

    variable: Ident | None
    method: str | None
    url: str | None
    answer: Answer | NoAnswer
    span: Span


@dataclass(frozen=True, slots=True)
class CodeStub:
    """`stub NAME: returns JSON` or `stub NAME: raises ErrorName "message"`."""

    variable: Ident
    returns: JSON
    raises: str | None
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class DeliveryStub:
    """`stub sms [to X]: fails "why"`, the same for `email` and `transfer`; `to` None is
    every recipient."""

    medium: Delivery
    to: str | None
    reason: str
    span: Span


@dataclass(frozen=True, slots=True)
class Line:
    """One expected transcript line, as `flowc run` prints it.

    `turn` is set on `caller:` lines: the words the caller says (None for silence).
    """

    text: str
    span: Span
    is_turn: bool = False
    turn: str | None = None


@dataclass(frozen=True, slots=True)
class ExitLine:
    """`exit: Output(field = JSON, ...)`: the output an action under test leaves through."""

    output: Ident
    fields: tuple[tuple[Ident, JSON], ...]
    span: Span

    @property
    def text(self) -> str:
        return exit_line_text(self.output.name, {name.name: value for name, value in self.fields})


@dataclass(frozen=True, slots=True)
class VariableExpectation:
    """`expect NAME = JSON`: the variable's value when the call is over."""

    name: Ident
    value: JSON
    span: Span


@dataclass(frozen=True, slots=True)
class EventExpectation:
    """`expect event KIND {fields}` / `expect no event KIND {fields}`: the log holds (or
    does not hold) an event of the kind whose fields include these."""

    kind: Ident
    fields: dict[str, JSON]
    present: bool
    span: Span


Expectation = VariableExpectation | EventExpectation
TranscriptLine = Line | ExitLine


@dataclass(frozen=True)
class FlowTest:
    path: str
    name: str
    subject: Subject
    inputs: tuple[InputValue, ...]
    caller: str
    callee: str
    clock: datetime
    env: dict[str, str]
    requests: tuple[RequestStub, ...]
    codes: tuple[CodeStub, ...]
    deliveries: tuple[DeliveryStub, ...]
    transcript: tuple[TranscriptLine, ...]
    expectations: tuple[Expectation, ...]

    @property
    def turns(self) -> list[str | None]:
        return [line.turn for line in self.transcript if isinstance(line, Line) and line.is_turn]


def exit_line_text(output: str, fields: dict[str, JSON]) -> str:
    """`exit: Fail(reason = "booking failed")`: how an action's way out is shown."""
    if not fields:
        return f"exit: {output}"
    shown = ", ".join(f"{name} = {json_text(value)}" for name, value in fields.items())
    return f"exit: {output}({shown})"


def json_text(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False)
