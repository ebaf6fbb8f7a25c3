"""The `.flowtest` parser: text to a `FlowTest`, or diagnostics (E0701) with spans.

The format is line-based (docs/testing.md): each line starts with what it is
(`flow`, `stub`, `expect`, `agent:`, ...). JSON values (stub bodies, inputs,
expected values) may run over several lines: they are decoded from the text
where they start, and the next line after they close is read on. A mistake
is reported at its place and the parser goes on with the next line, so one
run shows every malformed line.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flowc_runtime.services import JSON

from .. import codes
from ..ast import Ident
from ..diagnostics import Diagnostic, did_you_mean, error
from ..source import Span
from .model import (
    Answer,
    CodeStub,
    Delivery,
    DeliveryStub,
    EventExpectation,
    ExitLine,
    Expectation,
    FlowTest,
    InputValue,
    Line,
    NoAnswer,
    RequestStub,
    Subject,
    SubjectKind,
    TranscriptLine,
    VariableExpectation,
)

DEFAULT_CALLER = "+15550000000"  # as `flowc run`
DEFAULT_CALLEE = "+15550000001"
# A fixed default clock: a test without `clock` means the same thing on any day.
DEFAULT_CLOCK = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)

KEYWORDS = ("test", "flow", "action", "input", "call", "clock", "env", "stub", "expect")
TRANSCRIPT_STARTS = (
    "agent:", "caller:", "intent:", "sms to", "email to", "transfer to", "end:", "exit:",
)  # fmt: skip
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SILENCE = "(silence)"
EXAMPLE_SUBJECTS = {
    SubjectKind.FLOW: 'flow LegalIntake from "../legal_intake.flow"',
    SubjectKind.ACTION: 'action MakeAppointment from "../lib/appointments.flow"',
}


class _LineError(Exception):
    """A malformed line: the message, and the columns (0-based, end exclusive) it is about."""

    def __init__(self, message: str, start: int, end: int, help: str | None = None) -> None:
        super().__init__(message)
        self.start, self.end, self.help = start, end, help


@dataclass
class _Collected:
    name: str | None = None
    subject: Subject | None = None
    inputs: list[InputValue] = field(default_factory=list)
    caller: str = DEFAULT_CALLER
    callee: str = DEFAULT_CALLEE
    clock: datetime = DEFAULT_CLOCK
    env: dict[str, str] = field(default_factory=dict)
    requests: list[RequestStub] = field(default_factory=list)
    codes: list[CodeStub] = field(default_factory=list)
    deliveries: list[DeliveryStub] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)


def parse_flowtest(path: str, text: str) -> tuple[FlowTest | None, list[Diagnostic]]:
    """The test in `text` (read from `path`), or None and the reasons it is malformed."""
    return _Parser(path, text).parse()


class _Parser:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.diagnostics: list[Diagnostic] = []
        self.found = _Collected()
        self.index = 0  # the line being read (0-based)
        self.readers = self._readers()

    def parse(self) -> tuple[FlowTest | None, list[Diagnostic]]:
        while self.index < len(self.lines):
            line = self.lines[self.index].rstrip("\r")
            stripped = line.strip()
            next_index = self.index + 1
            if stripped and not stripped.startswith("#"):
                try:
                    next_index = self._line(line, len(line) - len(line.lstrip()))
                except _LineError as problem:
                    self._report(problem)
                    # A value that ran over lines is skipped up to the line of its mistake.
                    next_index = self.index + 1
            self.index = next_index
        return self._test(), self.diagnostics

    def _report(self, problem: _LineError) -> None:
        line = self.index + 1
        span = Span(self.path, line, problem.start + 1, line, max(problem.end, problem.start) + 1)
        self.diagnostics.append(error(codes.TEST_SYNTAX, span, str(problem), help=problem.help))

    def _span(self, start: int, end: int, line: int | None = None) -> Span:
        number = (self.index if line is None else line) + 1
        return Span(self.path, number, start + 1, number, end + 1)

    def _test(self) -> FlowTest | None:
        found = self.found
        if found.subject is None:
            if not self.diagnostics:
                self.diagnostics.append(
                    error(
                        codes.TEST_SYNTAX,
                        Span(self.path, 1, 1, 1, 1),
                        "the test does not say what it calls",
                        help='start it with `flow NAME from "file.flow"` '
                        'or `action NAME from "file.flow"`',
                    )
                )
            return None
        if self.diagnostics:
            return None
        stem = self.path.rsplit("/", 1)[-1].removesuffix(".flowtest")
        return FlowTest(
            path=self.path,
            name=found.name if found.name is not None else stem,
            subject=found.subject,
            inputs=tuple(found.inputs),
            caller=found.caller,
            callee=found.callee,
            clock=found.clock,
            env=found.env,
            requests=tuple(found.requests),
            codes=tuple(found.codes),
            deliveries=tuple(found.deliveries),
            transcript=tuple(found.transcript),
            expectations=tuple(found.expectations),
        )

    # -- one line ------------------------------------------------------------

    def _line(self, line: str, start: int) -> int:
        """Reads the line starting at column `start`; returns the index of the next line."""
        body = line[start:]
        for prefix in TRANSCRIPT_STARTS:
            if body.startswith(prefix):
                return self._transcript(line, start)
        word = re.match(r"\S+", body)
        assert word is not None
        keyword = word.group(0)
        reader = self.readers.get(keyword)
        if reader is None:
            known = [*KEYWORDS, *(s.split()[0].rstrip(":") for s in TRANSCRIPT_STARTS)]
            meant = did_you_mean(keyword.rstrip(":"), known)
            raise _LineError(
                f"'{keyword}' does not start a test line",
                start,
                start + len(keyword),
                help=f"did you mean '{meant}'?" if meant else
                "a line is a header (flow, action, input, call, clock, env), a stub, "
                "an expect, or a transcript line (agent:, caller:, intent:, sms to, "
                "email to, transfer to, end:, exit:)",
            )
        return reader(line, start + len(keyword))

    def _readers(self) -> dict[str, Callable[[str, int], int]]:
        return {
            "test": self._name,
            "flow": lambda line, at: self._subject(line, at, SubjectKind.FLOW),
            "action": lambda line, at: self._subject(line, at, SubjectKind.ACTION),
            "input": self._input,
            "call": self._call,
            "clock": self._clock,
            "env": self._env,
            "stub": self._stub,
            "expect": self._expect,
        }

    # -- header ---------------------------------------------------------------

    def _name(self, line: str, at: int) -> int:
        value, after = self._json(line, at, "the test's name, in quotes")
        if not isinstance(value, str):
            raise _LineError("a test's name is a quoted string", at, len(line))
        if self.found.name is not None:
            raise _LineError("the test is named twice", 0, len(line))
        self.found.name = value
        return after

    def _subject(self, line: str, at: int, kind: SubjectKind) -> int:
        match = re.compile(rf"\s+({NAME})\s+from\s+").match(line, at)
        if match is None:
            raise _LineError(
                f'expected `{kind} NAME from "file.flow"`', at, len(line),
                help=f'for example: {EXAMPLE_SUBJECTS[kind]}',
            )
        if self.found.subject is not None:
            raise _LineError(
                "a test calls one flow or action; this is a second one", 0, len(line)
            )
        file_at = match.end()
        file, after = self._json(line, file_at, "the .flow file's path, in quotes")
        if not isinstance(file, str):
            raise _LineError("the .flow file's path is a quoted string", file_at, len(line))
        name = Ident(match.group(1), self._span(match.start(1), match.end(1)))
        file_span = self._span(file_at, len(line.rstrip()))
        self.found.subject = Subject(kind, name, file, file_span, self._span(0, len(line)))
        return after

    def _input(self, line: str, at: int) -> int:
        name, value_at = self._name_equals(line, at, "input NAME = VALUE")
        value, after = self._json(line, value_at, "the input's value (JSON)")
        self.found.inputs.append(InputValue(name, value, self._span(0, len(line))))
        return after

    def _call(self, line: str, at: int) -> int:
        match = re.compile(r"\s+from\s+(\S+)(?:\s+to\s+(\S+))?\s*$").match(line, at)
        if match is None:
            raise _LineError(
                "expected `call from NUMBER [to NUMBER]`", at, len(line),
                help="for example: call from +15550001111 to +15550000001",
            )
        self.found.caller = match.group(1)
        if match.group(2) is not None:
            self.found.callee = match.group(2)
        return self.index + 1

    def _clock(self, line: str, at: int) -> int:
        match = re.compile(r"\s+(\S+)(?:\s+(\S+))?\s*$").match(line, at)
        if match is None:
            raise _LineError("expected `clock YYYY-MM-DDTHH:MM [ZONE]`", at, len(line))
        try:
            moment = datetime.fromisoformat(match.group(1))
        except ValueError:
            raise _LineError(
                f"'{match.group(1)}' is not a date and time",
                match.start(1), match.end(1),
                help="write it as 2030-03-14T09:30, optionally followed by a time zone",
            ) from None
        zone_name = match.group(2)
        if zone_name is not None:
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise _LineError(
                    f"'{zone_name}' is not a time zone", match.start(2), match.end(2),
                    help="name an IANA zone such as Europe/London or America/New_York",
                ) from None
            moment = moment.replace(tzinfo=zone)
        elif moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.found.clock = moment
        return self.index + 1

    def _env(self, line: str, at: int) -> int:
        name, value_at = self._name_equals(line, at, 'env NAME = "value"')
        value, after = self._json(line, value_at, "the variable's value, in quotes")
        if not isinstance(value, str):
            raise _LineError("an environment variable's value is a quoted string",
                             value_at, len(line))
        self.found.env[name.name] = value
        return after

    def _name_equals(self, line: str, at: int, form: str) -> tuple[Ident, int]:
        match = re.compile(rf"\s+({NAME})\s*=\s*").match(line, at)
        if match is None:
            raise _LineError(f"expected `{form}`", at, len(line))
        return Ident(match.group(1), self._span(match.start(1), match.end(1))), match.end()

    # -- stubs ------------------------------------------------------------------

    def _stub(self, line: str, at: int) -> int:
        match = re.compile(r"\s+(.+?):(?:\s+|$)").match(line, at)
        if match is None:
            raise _LineError(
                "expected `stub WHAT: ANSWER`", at, len(line),
                help="for example: stub slots: 200 {\"first\": \"9:00\"}",
            )
        target, answer_at = match.group(1), match.end()
        medium = re.fullmatch(r"(sms|email|transfer)(?:\s+to\s+(\S+))?", target)
        if medium is not None:
            return self._delivery_stub(line, medium.group(1), medium.group(2), answer_at)
        request = re.fullmatch(rf"({'|'.join(HTTP_METHODS)})\s+(\S+)", target)
        if request is not None:
            answer, after = self._http_answer(line, answer_at)
            stub = RequestStub(None, request.group(1), request.group(2), answer,
                               self._span(0, len(line)))
            self.found.requests.append(stub)
            return after
        if re.fullmatch(NAME, target) is None:
            raise _LineError(
                f"'{target}' is not what a stub answers for", match.start(1), match.end(1),
                help="a stub names a request or code step by its variable, a request by "
                "METHOD URL, or sms, email or transfer",
            )
        variable = Ident(target, self._span(match.start(1), match.end(1)))
        if re.match(r"(returns|raises)\b", line[answer_at:]):
            return self._code_stub(line, variable, answer_at)
        answer, after = self._http_answer(line, answer_at)
        self.found.requests.append(
            RequestStub(variable, None, None, answer, self._span(0, len(line)))
        )
        return after

    def _http_answer(self, line: str, at: int) -> tuple[Answer | NoAnswer, int]:
        rest = line[at:].rstrip()
        if rest in (NoAnswer.TIMEOUT, NoAnswer.REFUSED):
            return NoAnswer(rest), self.index + 1
        status = re.compile(r"(\d{3})\b\s*").match(line, at)
        if status is None:
            raise _LineError(
                "a request's stub answers with a status and a JSON body, or timeout, or refused",
                at, len(line), help='for example: 200 {"id": "T-1"}, 503, timeout',
            )
        if not line[status.end():].strip():
            return Answer(int(status.group(1)), None, False), self.index + 1
        body, after = self._json(line, status.end(), "the answer's JSON body")
        return Answer(int(status.group(1)), body, True), after

    def _code_stub(self, line: str, variable: Ident, at: int) -> int:
        span = self._span(0, len(line))
        if line.startswith("returns", at):
            value, after = self._json(line, at + len("returns"), "the value it returns (JSON)")
            self.found.codes.append(CodeStub(variable, value, None, "", span))
            return after
        raised = re.compile(rf"raises\s+({NAME})\s*").match(line, at)
        if raised is None:
            raise _LineError("expected `raises ErrorName \"message\"`", at, len(line))
        message = ""
        after = self.index + 1
        if line[raised.end():].strip():
            text, after = self._json(line, raised.end(), "the error's message, in quotes")
            if not isinstance(text, str):
                raise _LineError("the error's message is a quoted string", raised.end(),
                                 len(line))
            message = text
        self.found.codes.append(CodeStub(variable, None, raised.group(1), message, span))
        return after

    def _delivery_stub(self, line: str, medium: str, to: str | None, at: int) -> int:
        fails = re.compile(r"fails\s*").match(line, at)
        if fails is None:
            raise _LineError(
                f"a stub for {medium} says how it fails: fails \"reason\"", at, len(line)
            )
        reason, after = f"{medium} refused", self.index + 1
        if line[fails.end():].strip():
            text, after = self._json(line, fails.end(), "the reason, in quotes")
            if not isinstance(text, str):
                raise _LineError("the reason is a quoted string", fails.end(), len(line))
            reason = text
        stub = DeliveryStub(cast(Delivery, medium), to, reason, self._span(0, len(line)))
        self.found.deliveries.append(stub)
        return after

    # -- expectations ---------------------------------------------------------------

    def _expect(self, line: str, at: int) -> int:
        event = re.compile(rf"\s+(no\s+)?event\s+({NAME})\s*").match(line, at)
        if event is not None:
            return self._expect_event(line, event)
        name, value_at = self._name_equals(line, at, "expect NAME = VALUE")
        value, after = self._json(line, value_at, "the expected value (JSON)")
        self.found.expectations.append(
            VariableExpectation(name, value, self._span(0, len(line)))
        )
        return after

    def _expect_event(self, line: str, event: re.Match[str]) -> int:
        kind = Ident(event.group(2), self._span(event.start(2), event.end(2)))
        fields: JSON = {}
        after = self.index + 1
        if line[event.end():].strip():
            fields, after = self._json(line, event.end(), "the event's fields (a JSON object)")
        if not isinstance(fields, dict):
            raise _LineError("an event's fields are a JSON object", event.end(), len(line))
        present = event.group(1) is None
        self.found.expectations.append(
            EventExpectation(kind, fields, present, self._span(0, len(line)))
        )
        return after

    # -- transcript ---------------------------------------------------------------

    def _transcript(self, line: str, start: int) -> int:
        text = line[start:].rstrip()
        span = self._span(start, len(line.rstrip()))
        if text.startswith("exit:"):
            self.found.transcript.append(self._exit(line, start + len("exit:")))
        elif text.startswith("caller:"):
            said = text.removeprefix("caller:").strip()
            turn = None if said in (SILENCE, "") else said
            shown = f"caller: {SILENCE if turn is None else said}"
            self.found.transcript.append(Line(shown, span, is_turn=True, turn=turn))
        else:
            self.found.transcript.append(Line(text, span))
        return self.index + 1

    def _exit(self, line: str, at: int) -> ExitLine:
        match = re.compile(rf"\s*({NAME})\s*(\()?").match(line, at)
        if match is None:
            raise _LineError("expected `exit: Output(field = value, ...)`", at, len(line))
        output = Ident(match.group(1), self._span(match.start(1), match.end(1)))
        span = self._span(len(line) - len(line.lstrip()), len(line.rstrip()))
        if match.group(2) is None:
            if line[match.end():].strip():
                raise _LineError("expected `(` or the end of the line", match.end(), len(line))
            return ExitLine(output, (), span)
        fields: list[tuple[Ident, JSON]] = []
        position = match.end()
        while True:
            field_match = re.compile(rf"\s*({NAME})\s*=\s*").match(line, position)
            if field_match is None:
                raise _LineError("expected `field = value`", position, len(line))
            value, position = self._json_in_line(line, field_match.end())
            name = Ident(field_match.group(1),
                         self._span(field_match.start(1), field_match.end(1)))
            fields.append((name, value))
            separator = re.compile(r"\s*([,)])\s*").match(line, position)
            if separator is None:
                raise _LineError("expected `,` or `)`", position, len(line))
            position = separator.end()
            if separator.group(1) == ")":
                break
        if line[position:].strip():
            raise _LineError("unexpected text after `)`", position, len(line))
        return ExitLine(output, tuple(fields), span)

    # -- JSON ------------------------------------------------------------------------

    def _json(self, line: str, at: int, what: str) -> tuple[JSON, int]:
        """A JSON value starting at column `at` of the current line, possibly running over
        the following lines; returns it and the index of the line after it."""
        offset = self.starts[self.index] + at
        offset += len(self.text[offset:]) - len(self.text[offset:].lstrip(" \t"))
        if offset >= len(self.text) or self.text[offset] in "\r\n":
            raise _LineError(f"expected {what}", at, len(line))
        value, end = self._decode(offset, what)
        end_line = bisect.bisect_right(self.starts, end - 1) - 1
        rest_start = end - self.starts[end_line]
        rest = self.lines[end_line][rest_start:].rstrip("\r")
        if rest.strip() and not rest.strip().startswith("#"):
            self.index = end_line
            raise _LineError("unexpected text after the value", rest_start, len(rest) + rest_start)
        return value, end_line + 1

    def _json_in_line(self, line: str, at: int) -> tuple[JSON, int]:
        """A JSON value inside the current line (an `exit:` field); returns its end column."""
        value, end = self._decode(self.starts[self.index] + at, "a value (JSON)")
        return value, end - self.starts[self.index]

    def _decode(self, offset: int, what: str) -> tuple[JSON, int]:
        try:
            value, end = json.JSONDecoder().raw_decode(self.text, offset)
        except json.JSONDecodeError as problem:
            line = bisect.bisect_right(self.starts, problem.pos) - 1
            column = problem.pos - self.starts[line]
            self.index = max(self.index, line)
            raise _LineError(
                f"{what} is not valid JSON: {problem.msg}", column, column + 1,
                help='JSON: "text" in double quotes, 12.5, true, null, [...], {"key": ...}',
            ) from None
        json_value: JSON = value
        return json_value, end
