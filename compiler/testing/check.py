"""The checker of tests: a `.flowtest` against the program it calls (E0702-E0709).

Everything is looked up in what the compiler's checker recorded (the program's
modules, the bodies of its model): the flow or action named, the inputs and
outputs it declares, its request and code steps by variable, and each
request's `expect` shape. Diagnostics point into the test file, with notes
pointing into the .flow files, and render as `flowc check` renders.

`check_flowtest` is the entry point, for `flowc test` and for the editor.
"""

from __future__ import annotations

import ast as python_ast
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flowc_runtime import ops
from flowc_runtime.events import EVENT_RECORDS

from .. import ast, codes
from ..codegen.expressions import shape
from ..diagnostics import Diagnostic, Note, did_you_mean, error, rename_fix
from ..loader import read_source
from ..source import SourceFile
from .model import (
    Answer,
    EventExpectation,
    ExitLine,
    FlowTest,
    SubjectKind,
)
from .parse import parse_flowtest
from .programs import Program, Programs

EVENT_KINDS = tuple(record.event for record in EVENT_RECORDS)


class TestInputError(Exception):
    """A test file cannot be read: a usage or I/O error, not a test's failure."""

    __test__ = False


@dataclass(frozen=True)
class CheckedTest:
    """A test file, parsed and checked: `test` and `program` are set when it can run."""

    __test__ = False

    path: str
    test: FlowTest | None
    program: Program | None
    diagnostics: tuple[Diagnostic, ...]
    sources: Mapping[str, SourceFile]

    @property
    def ok(self) -> bool:
        return self.test is not None and self.program is not None and not self.diagnostics


def check_flowtest(
    path: str, text: str | None = None, programs: Programs | None = None
) -> CheckedTest:
    """Parses and checks the test file at `path` (or `text`, an editor's unsaved buffer).

    Raises TestInputError when the file cannot be read. `programs` shares the
    built programs between tests; a fresh one is used without it.
    """
    if text is None:
        try:
            source, undecodable = read_source(path)
        except OSError as exc:
            raise TestInputError(f"cannot read '{path}': {exc.strerror or exc}") from exc
        if undecodable is not None:
            raise TestInputError(f"'{path}' is not UTF-8 text")
        text = source.text
    sources: dict[str, SourceFile] = {path: SourceFile(path, text)}
    test, found = parse_flowtest(path, text)
    if test is None:
        return CheckedTest(path, None, None, tuple(found), sources)
    found += _unknown_event_kinds(test)
    flow_file = os.path.normpath(os.path.join(os.path.dirname(path), test.subject.file))
    if not os.path.isfile(flow_file):
        found.append(_file_not_found(test, flow_file))
        return CheckedTest(path, test, None, tuple(found), sources)
    program = (programs or Programs()).get(flow_file)
    sources.update(program.build.check.sources)
    if not program.ok:
        # The program's own errors: the test cannot run until they are fixed.
        found += [d for d in program.build.check.diagnostics if d.is_error]
        return CheckedTest(path, test, None, tuple(found), sources)
    found += _TestChecker(test, program).diagnostics()
    return CheckedTest(path, test, program, tuple(found), sources)


def _file_not_found(test: FlowTest, flow_file: str) -> Diagnostic:
    return error(
        codes.TEST_FILE_NOT_FOUND,
        test.subject.file_span,
        f"'{test.subject.file}' does not exist (looked for '{flow_file}')",
        help="the path is relative to the folder of the test file",
    )


def _unknown_event_kinds(test: FlowTest) -> list[Diagnostic]:
    return [
        error(
            codes.TEST_SYNTAX,
            e.kind.span,
            f"'{e.kind.name}' is not a kind of event of the call's log",
            help=f"did you mean '{meant}'?" if (meant := did_you_mean(e.kind.name, EVENT_KINDS))
            else "the kinds are listed in docs/runtime.md (Event log)",
            fixes=rename_fix(e.kind.span, e.kind.name, meant, EVENT_KINDS),
        )
        for e in test.expectations
        if isinstance(e, EventExpectation) and e.kind.name not in EVENT_KINDS
    ]


class _TestChecker:
    def __init__(self, test: FlowTest, program: Program) -> None:
        self.test = test
        self.program = program
        self.found: list[Diagnostic] = []
        bodies = program.build.check.model.bodies.values()
        self.steps = [step for model in bodies for step in model.body.steps]

    def diagnostics(self) -> list[Diagnostic]:
        subject = self._subject()
        if subject is not None:
            self._inputs(subject)
            self._exits(subject)
        self._request_stubs()
        self._code_stubs()
        return self.found

    def _subject(self) -> ast.Flow | ast.Action | None:
        subject = self.test.subject
        module = self.program.module()
        wanted = module.flows if subject.kind is SubjectKind.FLOW else module.actions
        other = module.actions if subject.kind is SubjectKind.FLOW else module.flows
        for declaration in wanted:
            if declaration.name.name == subject.name.name:
                return declaration
        names = [d.name.name for d in wanted]
        meant = did_you_mean(subject.name.name, names)
        if subject.name.name in {d.name.name for d in other}:
            other_kind = "action" if subject.kind is SubjectKind.FLOW else "flow"
            article = "an" if other_kind == "action" else "a"
            hint = (f"'{subject.name.name}' is {article} {other_kind}: write "
                    f"`{other_kind} {subject.name.name} from \"{subject.file}\"`")
        elif meant:
            hint = f"did you mean '{meant}'?"
        else:
            hint = f"its {subject.kind}s: {', '.join(names) or 'none'}"
        self.found.append(
            error(
                codes.TEST_SUBJECT_NOT_FOUND,
                subject.name.span,
                f"'{self.program.path}' has no {subject.kind} named '{subject.name.name}'",
                help=hint,
                fixes=rename_fix(subject.name.span, subject.name.name, meant, names),
            )
        )
        return None

    def _inputs(self, subject: ast.Flow | ast.Action) -> None:
        inputs = subject.inputs if isinstance(subject, ast.Action) else ()
        declared = {i.name.name: i for i in inputs}
        for given in self.test.inputs:
            if given.name.name not in declared:
                self.found.append(self._unknown_input(subject, given.name, declared))
        given_names = {i.name.name for i in self.test.inputs}
        missing = [i for i in declared.values() if i.default is None and
                   i.name.name not in given_names]
        for declaration in missing:
            self.found.append(
                error(
                    codes.TEST_MISSING_INPUT,
                    self.test.subject.span,
                    f"the test gives no value for input '{declaration.name.name}' of "
                    f"{_describe(subject)}",
                    notes=[Note("declared here, without a default", declaration.span)],
                    help=f"add a line: input {declaration.name.name} = <JSON value>",
                )
            )

    def _unknown_input(
        self, subject: ast.Flow | ast.Action, name: ast.Ident, declared: Mapping[str, ast.Input]
    ) -> Diagnostic:
        meant = did_you_mean(name.name, declared)
        if meant:
            hint = f"did you mean '{meant}'?"
        elif isinstance(subject, ast.Action):
            hint = "remove the line"
        else:
            hint = "only an action has inputs; a flow's test sets `env` and `call from`"
        return error(
            codes.TEST_UNKNOWN_INPUT,
            name.span,
            f"{_describe(subject)} has no input named '{name.name}'",
            notes=[Note(f"its inputs: {', '.join(declared) or 'none'}")],
            help=hint,
            fixes=rename_fix(name.span, name.name, meant, declared),
        )

    def _exits(self, subject: ast.Flow | ast.Action) -> None:
        exits = [line for line in self.test.transcript if isinstance(line, ExitLine)]
        for line in exits:
            if not isinstance(subject, ast.Action):
                self.found.append(
                    error(
                        codes.TEST_UNKNOWN_OUTPUT,
                        line.output.span,
                        f"{_describe(subject)} has no outputs: 'exit:' ends the test of "
                        "an action",
                        help="a flow's call ends with an `end: OUTCOME` line",
                    )
                )
                continue
            self._exit_of(subject, line)

    def _exit_of(self, action: ast.Action, line: ExitLine) -> None:
        outputs = {o.name.name: o for o in action.outputs}
        output = outputs.get(line.output.name)
        if output is None:
            meant = did_you_mean(line.output.name, outputs)
            self.found.append(
                error(
                    codes.TEST_UNKNOWN_OUTPUT,
                    line.output.span,
                    f"action '{action.name.name}' has no output named '{line.output.name}'",
                    notes=[Note(f"its outputs: {', '.join(outputs)}")],
                    help=f"did you mean '{meant}'?" if meant else None,
                    fixes=rename_fix(line.output.span, line.output.name, meant, outputs),
                )
            )
            return
        fields = [f.name.name for f in output.fields]
        for name, _ in line.fields:
            if name.name not in fields:
                meant = did_you_mean(name.name, fields)
                self.found.append(
                    error(
                        codes.TEST_UNKNOWN_OUTPUT,
                        name.span,
                        f"output '{output.name.name}' of action '{action.name.name}' has no "
                        f"field named '{name.name}'",
                        notes=[Note("output declared here", output.span)],
                        help=f"did you mean '{meant}'?" if meant else
                        f"its fields: {', '.join(fields) or 'none'}",
                        fixes=rename_fix(name.span, name.name, meant, fields),
                    )
                )

    def _request_stubs(self) -> None:
        requests = [s for s in self.steps if isinstance(s, ast.Request)]
        for stub in self.test.requests:
            if stub.variable is None:
                continue
            named = [r for r in requests if r.var.name == stub.variable.name]
            if not named:
                self.found.append(
                    self._no_step(stub.variable, "request", [r.var.name for r in requests],
                                  codes.STUB_WITHOUT_REQUEST)
                )
            elif isinstance(stub.answer, Answer) and stub.answer.has_body:
                self._body_matches(stub.variable, stub.answer, named)

    def _body_matches(
        self, variable: ast.Ident, answer: Answer, requests: Iterable[ast.Request]
    ) -> None:
        if not 200 <= answer.status < 300:
            return  # a failed request's body is never read
        for request in requests:
            if request.expect is None:
                continue
            mismatch = ops.shape_mismatch(answer.body, _shape(request.expect))
            if mismatch is not None:
                self.found.append(
                    error(
                        codes.STUB_BODY_MISMATCH,
                        variable.span,
                        f"the stub's body does not match what request '{variable.name}' "
                        f"expects: {mismatch}",
                        notes=[Note("expected here", request.expect.span)],
                        help="answer with the shape of `expect`, or stub a failure "
                        "(503, timeout) to test the error path",
                    )
                )
                return

    def _code_stubs(self) -> None:
        steps = [s for s in self.steps if isinstance(s, ast.Code)]
        for stub in self.test.codes:
            if not any(s.var.name == stub.variable.name for s in steps):
                self.found.append(
                    self._no_step(stub.variable, "code", [s.var.name for s in steps],
                                  codes.STUB_WITHOUT_CODE)
                )

    def _no_step(
        self, variable: ast.Ident, kind: str, names: list[str], code: codes.Code
    ) -> Diagnostic:
        meant = did_you_mean(variable.name, names)
        listed = ", ".join(sorted(set(names))) or "none"
        return error(
            code,
            variable.span,
            f"no {kind} step of '{self.program.path}' or its imports sets '{variable.name}'",
            notes=[Note(f"its {kind} steps set: {listed}")],
            help=f"did you mean '{meant}'?" if meant else
            "a stub names the variable of a step: `request NAME = ...`, `code NAME = ...`",
            fixes=rename_fix(variable.span, variable.name, meant, names),
        )


def _describe(subject: ast.Flow | ast.Action) -> str:
    kind = "action" if isinstance(subject, ast.Action) else "flow"
    return f"{kind} '{subject.name.name}'"


def _shape(type_expr: ast.TypeExpr) -> ops.Shape:
    """The run-time shape of an `expect` type: the code generator's, read back from the
    Python literal it emits, so that the two never disagree."""
    value: ops.Shape = python_ast.literal_eval(shape(type_expr))
    return value


def code_functions(program: Program) -> Callable[[str], list[ast.PythonDecl]]:
    """The Python declarations the code steps setting a variable call."""
    calls = program.build.check.model.python_calls

    def functions(variable: str) -> list[ast.PythonDecl]:
        return [decl for step, decl in calls.items() if step.var.name == variable]

    return functions

