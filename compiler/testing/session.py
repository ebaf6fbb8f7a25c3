"""One test, played: the call on the scripted channel with the stubs, then the verdict.

The actual transcript is made of the call's events by the runtime's own
transcript lines (`flowc_runtime.transcript`), so it reads exactly as `flowc
run` prints it; the caller's lines show the turns as the test wrote them (a
secret answer too, which `flowc run` shows as ***). An action under test runs
inside a small harness flow that enters it and stops when it leaves; its
`end: ended` line is then the `exit: Output(...)` line it left through.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from flowc_runtime import Body, MemorySink
from flowc_runtime.driver import drive, start_call
from flowc_runtime.events import Event
from flowc_runtime.program import ENDED, Enter, Move, Step, Vars
from flowc_runtime.services import JSON, Services
from flowc_runtime.transcript import transcript_line
from flowc_runtime.understanding import RuleBasedUnderstanding

from .check import CheckedTest, code_functions
from .model import (
    EventExpectation,
    FlowTest,
    SubjectKind,
    VariableExpectation,
    exit_line_text,
    json_text,
)
from .programs import Program, Programs
from .stubs import StepTracker, StubHttp, StubMessages, TestChannel, Unanswered, patched_code

HARNESS_VARIABLE = "output"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a test failed: a message, the line of the test file it is about, a diff."""

    message: str
    line: int | None = None
    diff: str | None = None


@dataclass
class Played:
    """A test's call: what happened (its events) and what differed from the test."""

    events: list[Event]
    transcript: list[str]
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def play(checked: CheckedTest, programs: Programs, loop: asyncio.Runner) -> Played:
    """Runs the checked test's call (on `loop`, which a run of tests shares) and judges
    it. Raises flowc.run.RunError when the program cannot be loaded."""
    test, program = checked.test, checked.program
    assert test is not None and program is not None and checked.ok
    body = programs.body(program, test.subject.name.name)
    if test.subject.kind is SubjectKind.ACTION:
        body = _harness(test, body, _output_names(program, test.subject.name.name))
    return loop.run(_play(test, program, body))


async def _play(test: FlowTest, program: Program, body: Body) -> Played:
    tracker, log = StepTracker(), MemorySink()
    http = StubHttp(test.requests, program.steps, tracker)
    messages = StubMessages(test.deliveries)
    env = dict(test.env)
    services = Services(
        http=http,
        mailer=messages,
        sms=messages,
        understanding=RuleBasedUnderstanding(),
        clock=lambda: test.clock,
        env=env.get,
    )
    channel = TestChannel(test.turns, test.deliveries)
    call = start_call(
        body, services, channel, caller=test.caller, callee=test.callee,
        sinks=[tracker, log], call_id="flowtest",
    )
    with patched_code(test.codes, code_functions(program)):
        result = await drive(call)
    transcript = transcript_of(log.events, channel.heard, test.subject.kind, call.frames[0].vars)
    played = Played(log.events, transcript)
    played.failures += _judge(test, transcript, log.events, http.unanswered, result.fault)
    return played


def _harness(test: FlowTest, action: Body, outputs: list[str]) -> Body:
    """A flow of one `run` of the action, with the test's inputs, stopping at any output."""
    line = test.subject.span.line
    args: Vars = {given.name.name: given.value for given in test.inputs}

    def enter(call: object, v: Vars) -> Move:
        return Enter(action, HARNESS_VARIABLE, args, {name: 1 for name in outputs})

    def stop(call: object, v: Vars) -> Move:
        return ENDED

    return Body(
        module=__name__,
        name=f"test of {action.name}",
        source=test.path,
        steps=(Step(line, "run", enter), Step(line, "end", stop)),
    )


def _output_names(program: Program, action: str) -> list[str]:
    declared = next(a for a in program.module().actions if a.name.name == action)
    return [output.name.name for output in declared.outputs]


# --------------------------------------------------------------------------
# The transcript and the verdict


def transcript_of(
    events: list[Event],
    heard: list[str | None],
    subject: SubjectKind = SubjectKind.FLOW,
    variables: Vars | None = None,
) -> list[str]:
    """The transcript lines of a call's events, the caller's lines showing the turns
    `heard`; for an action under test, the output it left through (`variables` of the
    harness) in place of `end: ended`."""
    turns = iter(heard)
    lines: list[str] = []
    left: str | None = None
    depth = 0
    for event in events:
        kind = event["event"]
        if kind == "action_entered":
            depth += 1
        elif kind == "action_left":
            depth -= 1
            if depth == 0:
                left = str(event["output"])
        if kind == "heard":
            turn = next(turns, None)
            lines.append(f"caller: {'(silence)' if turn is None else turn}")
            continue
        line = transcript_line(event)
        if line is None:
            continue
        if kind == "call_ended" and subject is SubjectKind.ACTION and left is not None:
            fields = (variables or {}).get(HARNESS_VARIABLE)
            line = exit_line_text(left, fields if isinstance(fields, dict) else {})
        lines.append(line)
    return lines


def _judge(
    test: FlowTest,
    actual: list[str],
    events: list[Event],
    unanswered: list[Unanswered],
    fault: str | None,
) -> list[Failure]:
    failures = [_unanswered(test, request) for request in unanswered]
    expected = [line.text for line in test.transcript]
    if expected != actual:
        failures.append(_transcript_failure(test, expected, actual, fault))
    variables = _final_variables(events, test)
    for expectation in test.expectations:
        failure = (
            _check_variable(expectation, variables)
            if isinstance(expectation, VariableExpectation)
            else _check_event(expectation, events)
        )
        if failure is not None:
            failures.append(failure)
    return failures


def _unanswered(test: FlowTest, request: Unanswered) -> Failure:
    named = f"request '{request.variable}' " if request.variable else "a request "
    stub = request.variable or f"{request.method.upper()} {request.url}"
    return Failure(
        f"{named}({request.method.upper()} {request.url}) has no stub; add one, such as "
        f"`stub {stub}: 200 {{...}}` or `stub {stub}: timeout`",
        test.subject.span.line,
    )


def _transcript_failure(
    test: FlowTest, expected: list[str], actual: list[str], fault: str | None
) -> Failure:
    """The diff, at the test's line where the transcripts part. A runtime fault (which a
    test expecting `end: error` passes with) is said, as it is why the call went so."""
    first = next(
        (i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
        min(len(expected), len(actual)),
    )
    lines = test.transcript
    line = lines[min(first, len(lines) - 1)].span.line if lines else test.subject.span.line
    diff = "\n".join(
        difflib.unified_diff(expected, actual, f"{test.path} (expected)", "actual", lineterm="")
    )
    message = "the transcript differs"
    if fault is not None:
        message += f" (the call hit a runtime fault: {fault})"
    return Failure(message, line, diff)


def _final_variables(events: list[Event], test: FlowTest) -> dict[str, JSON]:
    """Each variable of the tested body, with the last value it was set to."""
    body_depth = 1 if test.subject.kind is SubjectKind.ACTION else 0
    depth = 0
    values: dict[str, JSON] = {}
    for event in events:
        kind = event["event"]
        if kind == "action_entered":
            depth += 1
        elif kind == "action_left":
            depth -= 1
        elif kind == "variable_set" and depth == body_depth:
            name = event["name"]
            assert isinstance(name, str)
            values[name] = event["value"]
    return values


def _check_variable(
    expectation: VariableExpectation, variables: Mapping[str, JSON]
) -> Failure | None:
    name = expectation.name.name
    if name not in variables:
        return Failure(f"'{name}' was never set", expectation.span.line)
    if variables[name] != expectation.value:
        return Failure(
            f"'{name}' is {json_text(variables[name])}, not {json_text(expectation.value)}",
            expectation.span.line,
        )
    return None


def _check_event(expectation: EventExpectation, events: list[Event]) -> Failure | None:
    kind = expectation.kind.name
    matching = [
        e for e in events if e["event"] == kind and contains(e, expectation.fields)
    ]
    shown = f"{kind} {json_text(expectation.fields)}" if expectation.fields else kind
    if expectation.present and not matching:
        of_kind = [e for e in events if e["event"] == kind]
        seen = "; ".join(json_text(_fields(e)) for e in of_kind[:3]) or "none"
        return Failure(f"no event {shown} in the log (events {kind}: {seen})",
                       expectation.span.line)
    if not expectation.present and matching:
        return Failure(f"the log has an event {shown}: {json_text(_fields(matching[0]))}",
                       expectation.span.line)
    return None


def contains(value: JSON, part: JSON) -> bool:
    """Whether `value` holds `part`: every key of a record part with a value it holds."""
    if isinstance(part, dict):
        return isinstance(value, dict) and all(
            key in value and contains(value[key], item) for key, item in part.items()
        )
    return value == part


def _fields(event: Event) -> dict[str, JSON]:
    return {k: v for k, v in event.items() if k not in ("call", "at")}

