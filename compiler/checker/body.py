"""Names and types inside one body: variables, steps, arguments, and where secrets go.

The checker walks the steps of a body in source order. It gives every variable
one type (from its input, `collect`, `request ... expect`, `run`, `code` or
`set`), checks what each step does with its values (arguments against inputs,
parameters and output fields; numbers, addresses, URLs; secrets never spoken),
and has expressions.py type every expression and record each variable read for
the definite-assignment analysis that runs on the flow graph afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from flowc_runtime.services import DayPart

from .. import ast, codes
from .. import types as ty
from ..diagnostics import Diagnostic, Fix, Note, did_you_mean, error, rename_fix
from ..graph import Body, BodyKind, Destination, Leave
from ..resolve import ActionRef, ModuleScope, Symbol
from ..source import Span
from ..steps import kind_of, targets_of
from .expressions import ExpressionTyper, Use, article, moment_fix, names_read
from .forms import FormChecks, check_confirm, check_form, form_choices, merged_field_choices
from .model import ByNode, Variable, VariableKind


@dataclass(frozen=True, slots=True)
class Param:
    """Something an argument list must match: an action input, a python parameter, or an
    output field."""

    name: str
    type: ty.Type
    required: bool
    fixed: bool
    span: Span


_PHONE_LITERAL = re.compile(r"^\+?[0-9][0-9 ().-]{2,}$")
_EMAIL_LITERAL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class BodyFacts:
    """What the body checker hands on: variables and the uses of each step."""

    variables: dict[str, Variable]
    uses: list[list[Use]]
    # Uses in the targets of the body's default handlers, read on each edge they make.
    handler_uses: list[Use]
    # The flow's variables, seen (possibly unassigned) by its `after call` block.
    inherited: frozenset[str]
    # Variables assigned by this body's steps, and the inherited ones.
    assigned: list[str]
    # The type of every expression of the body.
    types: Mapping[ast.Expr, ty.Type]


class BodyChecker:
    """Checks one body; `check` returns what the later analyses need."""

    def __init__(
        self,
        body: Body,
        scope: ModuleScope,
        run_actions: Mapping[ast.Run, Symbol],
        inherited: Mapping[str, Variable],
        elsewhere: Callable[[str], str | None],
    ) -> None:
        self.body = body
        self.scope = scope
        self.run_actions = run_actions
        self.diagnostics: list[Diagnostic] = []
        self.variables: dict[str, Variable] = dict(inherited)
        self.python_calls: ByNode[ast.Code, ast.PythonDecl] = ByNode()
        self.expressions = ExpressionTyper(body, self.variables, elsewhere)

    @property
    def in_after_call(self) -> bool:
        return self.body.kind is BodyKind.AFTER_CALL

    def check(self, targets: Mapping[ast.Target, Destination]) -> BodyFacts:
        inherited = frozenset(self.variables)
        if isinstance(self.body.owner, ast.Action):
            self._declare_interface(self.body.owner)
        for step in self.body.steps:
            self._declare_from_step(step)
        typed_from = len(self.diagnostics)
        self._type_body(targets)
        if self.expressions.read_before_set:
            # A path read before its variable's `set` was typed read as json. Now that
            # every `set` is typed, type the body again with those types, so that an
            # operator on such a read is checked like any other; the second pass finds
            # all the first did, so its findings replace the first's.
            del self.diagnostics[typed_from:]
            self.expressions = ExpressionTyper(
                self.body, self.variables, self.expressions.elsewhere
            )
            self._type_body(targets)
        assigned = [
            name
            for name, var in self.variables.items()
            if var.kind is not VariableKind.INPUT and name not in inherited
        ]
        self.diagnostics += self.expressions.diagnostics
        self.expressions.settle()
        return BodyFacts(
            self.variables,
            self.expressions.uses,
            self.expressions.handler_uses,
            inherited,
            [*inherited, *assigned],
            self.expressions.types,
        )

    def _type_body(self, targets: Mapping[ast.Target, Destination]) -> None:
        self.expressions.step = -1  # uses in default handlers belong to no single step
        for handler in self.body.handlers:
            self._check_target(handler.target, targets, handler)
        for intent in self.body.intents:
            self._check_target(intent.target, targets, intent)
        for index, step in enumerate(self.body.steps):
            self.expressions.step = index
            self._check_step(step, targets)

    # -- variables -------------------------------------------------------------

    def _declare_interface(self, action: ast.Action) -> None:
        """The action's outputs (each once, fields once) and its inputs, as variables."""
        for out in action.outputs:
            self._check_duplicate_fields(out.fields, f"output '{out.name.name}'")
        seen: dict[str, ast.Output] = {}
        for out in action.outputs:
            if out.name.name in seen:
                self.diagnostics.append(
                    _duplicate(
                        codes.DUPLICATE_OUTPUT, "output", out.name, seen[out.name.name].name.span
                    )
                )
            seen.setdefault(out.name.name, out)
        for inp in action.inputs:
            if inp.name.name in self.variables:
                first = self.variables[inp.name.name].span
                self.diagnostics.append(_duplicate(codes.DUPLICATE_INPUT, "input", inp.name, first))
                continue
            declared = ty.from_syntax(inp.type)
            if inp.default is not None:
                self._check_default(inp, inp.default, declared)
            self.variables[inp.name.name] = Variable(
                inp.name.name, declared, VariableKind.INPUT, inp.name.span
            )

    def _check_default(self, inp: ast.Input, default: ast.Expr, declared: ty.Type) -> None:
        read = next(names_read(default), None)
        if read is not None:
            self.diagnostics.append(
                error(
                    codes.DEFAULT_READS_VARIABLE,
                    read.span,
                    f"the default of input '{inp.name.name}' reads '{read.ident.name}', "
                    "but defaults are fixed before the action starts",
                    help="use a literal, env(\"NAME\") or a `call.` value; or drop the "
                    "default and pass the value at each run",
                )
            )
        else:
            self._expect(default, declared, f"the default of input '{inp.name.name}'")

    def _check_duplicate_fields(self, fields: Sequence[ast.FieldType], owner: str) -> None:
        seen: dict[str, ast.Ident] = {}
        for f in fields:
            if f.name.name in seen:
                self.diagnostics.append(
                    _duplicate(
                        codes.DUPLICATE_OUTPUT, f"field of {owner}", f.name, seen[f.name.name].span
                    )
                )
            seen.setdefault(f.name.name, f.name)

    def _declare_from_step(self, step: ast.Step) -> None:
        """The type the step table's rule gives the step's variable, known before any
        expression is typed; a `set` has no rule and is typed in source order later."""
        assigns = kind_of(step).assigns
        if assigns is None:
            return
        variable = assigns.variable(step)
        if assigns.type_rule is None:
            # Typed when its value is checked; until then a use of it reads as json.
            self.expressions.pending_sets.add(variable.name)
        else:
            choices = _written_options(step) if isinstance(step, ast.Collect) else None
            fields = form_choices(step.form) if isinstance(step, ast.Collect) else None
            self._declare(
                variable, assigns.type_rule(step, self), assigns.kind, choices=choices,
                field_choices=fields,
            )  # fmt: skip

    def run_result(self, run: ast.Run) -> ty.Type:
        """The type of a `run`'s variable: the fields of whichever output it leaves through."""
        symbol = self.run_actions.get(run)
        if not isinstance(symbol, ActionRef):
            return ty.JSON
        outputs = tuple(
            (o.name.name, ty.Record(tuple((f.name.name, ty.from_syntax(f.type)) for f in o.fields)))
            for o in symbol.action.outputs
        )
        return ty.RunResult(symbol.name, outputs)

    def python_result(self, code: ast.Code) -> ty.Type:
        """The type of a `code` step's variable: what its python declaration returns."""
        decl = self._python(code)
        return ty.from_syntax(decl.returns) if decl is not None else ty.JSON

    def _python(self, code: ast.Code) -> ast.PythonDecl | None:
        decl = self.scope.pythons.get((code.module, code.function.name))
        if decl is not None:
            self.python_calls.record(code, decl)
            return decl
        wanted = f"{code.module}.{code.function.name}"
        known = [f"{m}.{f}" for m, f in self.scope.pythons]
        suggestion = did_you_mean(wanted, known)
        self.diagnostics.append(
            error(
                codes.UNDECLARED_PYTHON,
                code.function.span,
                f"'{wanted}' is not declared in this file",
                help=f"did you mean '{suggestion}'?" if suggestion else
                f"declare it at the top of the file: python {wanted}(name: type, ...) -> type",
                fixes=self._python_fix(code, suggestion),
            )
        )
        return None

    def _python_fix(self, code: ast.Code, suggestion: str | None) -> tuple[Fix, ...]:
        """A misspelt function of the right module is renamed; the span holds only the function."""
        module, _, function = (suggestion or "").rpartition(".")
        if module != code.module:
            return ()
        functions = [f for m, f in self.scope.pythons if m == module]
        return rename_fix(code.function.span, code.function.name, function, functions)

    def _declare(
        self,
        var: ast.Ident,
        new: ty.Type,
        kind: VariableKind,
        value: ast.Expr | None = None,
        choices: tuple[str, ...] | None = None,
        field_choices: tuple[tuple[str, tuple[str, ...]], ...] | None = None,
    ) -> None:
        """Give a variable its type, or check a later assignment (`value`: what a `set`
        assigns, so that `set p = "+15551230000"` fits a phone like any phone literal;
        `choices`: the texts a `collect` can give it)."""
        name = var.name
        existing = self.variables.get(name)
        if existing is None:
            self.variables[name] = Variable(name, new, kind, var.span, choices, field_choices)
            return
        if existing.choices is not None:
            # Each further assignment may give it other values: all its collects' options.
            merged = (tuple(dict.fromkeys((*existing.choices, *choices)))
                      if choices is not None else None)
            self.variables[name] = replace(existing, choices=merged)
        if existing.field_choices is not None:
            fields = merged_field_choices(existing.field_choices, field_choices)
            self.variables[name] = replace(self.variables[name], field_choices=fields)
        if not (
            self._fits(value, new, existing.type)
            if value is not None
            else ty.is_assignable(new, existing.type)
        ):
            self.diagnostics.append(
                error(
                    codes.VARIABLE_TYPE_CLASH,
                    var.span,
                    f"'{name}' holds {article(existing.type)} and cannot also hold "
                    f"{article(new)}",
                    notes=[Note(f"'{name}' gets its type ({ty.display(existing.type)}) here",
                                existing.span)],
                    help="a variable keeps one type; use a new name for this value",
                )
            )

    # -- steps -----------------------------------------------------------------

    def _check_step(self, step: ast.Step, targets: Mapping[ast.Target, Destination]) -> None:
        self._check_placement(step)
        for target, clause in targets_of(step):
            self._check_target(target, targets, clause)
        match step:
            case ast.Talk():
                self._spoken(step.text, "talk")
            case ast.Collect():
                self._check_collect(step)
            case ast.Request():
                self._check_request(step)
            case ast.Run():
                self._check_run(step)
            case ast.Code():
                self._check_code(step)
            case ast.Set():
                value = self.expressions.type_of(step.value)
                self._declare(step.var, value, VariableKind.SET, step.value)
            case ast.If():
                self._condition(step.condition)
            case ast.SendSms():
                self._expect_spoken(step.to, ty.PHONE, "the number of an sms", "sms")
                self._spoken(step.text, "sms")
            case ast.SendEmail():
                self._expect_spoken(step.to, ty.EMAIL, "the address of an email", "email")
                for part in (step.subject, step.body):
                    self._spoken(part, "email")
            case ast.Transfer():
                self._expect_spoken(step.to, ty.PHONE, "the number of a transfer", "transfer")
                if step.say is not None:
                    self._spoken(step.say, "transfer")
            case ast.End():
                if step.text is not None:
                    self._spoken(step.text, "end")
            case ast.Exit():
                self._check_exit(step)
            case ast.Jump():
                pass  # its target is checked above, like every step's
            case _:
                assert_never(step)  # mypy: a new kind of step must be checked here

    def _check_placement(self, step: ast.Step) -> None:
        """`after call` runs when nobody is on the line: no step that needs the caller."""
        kind = kind_of(step)
        if self.in_after_call and kind.needs_caller:
            self.diagnostics.append(
                error(
                    codes.CALLER_STEP_AFTER_CALL,
                    step.span,
                    f"'{kind.keyword}' cannot be used in 'after call': the call is already over",
                    notes=[Note("only request, send, code, set, if and jumps run after the call")],
                    help="move it into the flow's steps, before the call ends",
                )
            )

    def _check_counts(
        self, count: ast.NumberLit | None, least: int, what: str, timeout: ast.DurationLit | None
    ) -> None:
        if count is not None and (not isinstance(count.value, int) or count.value < least):
            self.diagnostics.append(
                error(
                    codes.INVALID_COUNT,
                    count.span,
                    f"{what} must be a whole number of at least {least}",
                    help=f"write e.g. `{what} {least + 1}`",
                )
            )
        if timeout is not None and timeout.milliseconds <= 0:
            self.diagnostics.append(
                error(
                    codes.INVALID_COUNT,
                    timeout.span,
                    "a timeout must be longer than zero",
                    help="write e.g. `timeout 5s`",
                )
            )

    def _check_collect(self, step: ast.Collect) -> None:
        self._check_counts(step.attempts, 1, "attempts", step.timeout)
        asked = ty.from_syntax(step.type)
        if step.form is not None:
            self._check_form(step, step.form)
        elif asked not in ty.COLLECTABLE:
            self.diagnostics.append(
                error(
                    codes.UNSAYABLE_TYPE,
                    step.type.span,
                    f"a caller cannot say {article(asked)}",
                    notes=[Note("collect understands " + ", ".join(
                        ty.display(t) for t in ty.COLLECTABLE))],
                    help="collect the parts one by one, or collect a text and send it on",
                )
            )
        if step.options is not None:
            if asked != ty.TEXT:
                self.diagnostics.append(
                    error(
                        codes.OPTIONS_NOT_TEXT,
                        step.options.span,
                        f"options need a text answer, but 'collect {step.var.name}' asks for "
                        f"{article(asked)}",
                        help="give a field of the form its options: `{size: text in [...]}`"
                        if step.form is not None
                        else f"write `collect {step.var.name}: text in [...]`",
                    )
                )
            self._check_options(step.options)
        if step.day_part is not None:
            self._check_day_part(step, step.day_part, asked)
        if step.digits is not None:
            self._check_digits(step, step.digits, asked)
        self._spoken(step.prompt, "collect")
        if step.reprompt is not None:
            self._spoken(step.reprompt, "collect")

    def _check_form(self, step: ast.Collect, form: ast.Form) -> None:
        """A collect of a record (checker/forms.py)."""
        checks = FormChecks(
            self.expressions.type_of,
            lambda expr: self._spoken(expr, "collect"),
            self.diagnostics.append,
        )
        uses = self.expressions.uses[self.expressions.step]
        check_form(step, form, checks, uses)
        if form.confirm is not None:
            check_confirm(step, form.confirm, checks, uses)

    def _check_digits(self, step: ast.Collect, count: ast.NumberLit, asked: ty.Type) -> None:
        """`expect N digits` counts at least one digit, on a collect of a text or a secret
        (digits keep their leading zeros there) without options."""
        if not isinstance(count.value, int) or count.value < 1:
            self.diagnostics.append(
                error(
                    codes.INVALID_COUNT,
                    count.span,
                    "the number of digits must be a whole number of at least 1",
                    help="write e.g. `expect 4 digits`",
                )
            )
        if asked in (ty.TEXT, ty.SECRET) and step.options is None:
            return
        if step.options is not None:
            asks = "chooses among options"
            advice = "remove the clause: the options are keyed by their place (1 is the first)"
        elif step.form is not None:
            asks = "is a form"
            advice = ("remove the clause: a form's fields are read by their own types (a "
                      "count of digits for one field is not supported)")
        else:
            asks = f"asks for {article(asked)}"
            advice = (f"collect a text (`collect {step.var.name}: text`) or a secret, "
                      "or remove the clause")
        self.diagnostics.append(
            error(
                codes.DIGITS_NOT_A_TEXT,
                count.span,
                f"'expect {count.value} digits' gives a text of digits, but "
                f"'collect {step.var.name}' {asks}",
                notes=[Note("an account number or a PIN keeps its leading zeros as a text "
                            "(\"0042\")")],
                help=advice,
            )
        )

    def _check_day_part(self, step: ast.Collect, part: ast.Ident, asked: ty.Type) -> None:
        """`expect evening` names a part of the day, on a collect of a time or datetime."""
        parts = [known.value for known in DayPart]
        if part.name not in parts:
            suggestion = did_you_mean(part.name, parts)
            self.diagnostics.append(
                error(
                    codes.UNKNOWN_DAY_PART,
                    part.span,
                    f"there is no part of the day '{part.name}'",
                    notes=[Note("the parts of the day: " + ", ".join(parts))],
                    help=f"did you mean '{suggestion}'?" if suggestion else (
                        "write the part the answer's hour falls in, e.g. `expect evening`"),
                    fixes=rename_fix(part.span, part.name, suggestion, parts),
                )
            )
        if asked not in (ty.TIME, ty.DATETIME):
            self.diagnostics.append(
                error(
                    codes.DAY_PART_NOT_A_TIME,
                    part.span,
                    f"'expect {part.name}' reads the hour of a time, but "
                    f"'collect {step.var.name}' asks for {article(asked)}",
                    notes=[Note("a part of the day tells how to read an hour said without "
                                "am/pm (\"seven\" is 19:00 in the evening)")],
                    help=(f"remove `expect {part.name}`: a form's fields are read by their "
                          "own types (a part of the day for one field is not supported)")
                    if step.form is not None else
                    f"collect a time (`collect {step.var.name}: time`) or a datetime, "
                    f"or remove `expect {part.name}`",
                )
            )

    def _check_options(self, options: ast.Expr) -> None:
        """Each written option is a text; options from an expression are a list of texts."""
        if isinstance(options, ast.ListLit):
            if not options.items:
                self.diagnostics.append(
                    error(
                        codes.NO_OPTIONS,
                        options.span,
                        "a collect with no options can never be answered",
                        help='write the options the caller chooses from: `in ["yes", "no"]`, '
                        "or leave `in [...]` out to take any answer",
                    )
                )
            for item in options.items:
                self._expect_spoken(item, ty.TEXT, "an option of a collect", "collect")
            return
        found = self.expressions.type_of(options)
        if self._reveals_secret(options, "collect"):
            return
        if found != ty.JSON and not ty.is_assignable(found, ty.ListOf(ty.TEXT)):
            self._mismatch(options, found, ty.ListOf(ty.TEXT), "the options of a collect")

    def _check_request(self, step: ast.Request) -> None:
        self._check_counts(step.retries, 0, "retries", step.timeout)
        url = self.expressions.type_of(step.url)
        if not ty.is_assignable(url, ty.TEXT) and url != ty.SECRET:
            self._mismatch(step.url, url, ty.TEXT, "a request URL")
        for span in self.expressions.secret_spans(step.url):
            self.diagnostics.append(
                error(
                    codes.SECRET_IN_URL,
                    span,
                    "a secret in a request URL ends up in logs and proxies",
                    help="send it in `headers { ... }` (or `query { ... }`, which the "
                    "runtime masks in its log)",
                )
            )
        for entry in (*step.headers, *step.query, *(step.body or ())):
            self._check_key(entry.key)
            self.expressions.type_of_data(entry.value)

    def _check_key(self, key: ast.StringLit) -> None:
        for part in key.parts:
            if isinstance(part, ast.TemplatePart):
                self.expressions.type_of(part.expr, in_template=True)

    def _check_run(self, run: ast.Run) -> None:
        symbol = self.run_actions.get(run)
        if not isinstance(symbol, ActionRef):
            for arg in run.args:
                self.expressions.type_of(arg.value)
            return
        params = [
            Param(
                i.name.name,
                ty.from_syntax(i.type),
                required=i.default is None,
                fixed=i.default is not None and not i.configurable,
                span=i.name.span,
            )
            for i in symbol.action.inputs
        ]
        self._check_args(run.args, params, f"action '{symbol.name}'", "input", run.action.span)

    def _check_code(self, code: ast.Code) -> None:
        decl = self.python_calls.get(code)
        if decl is None:
            for arg in code.args:
                self.expressions.type_of(arg.value)
            return
        params = [
            Param(p.name.name, ty.from_syntax(p.type), True, False, p.name.span)
            for p in decl.params
        ]
        what = f"'{decl.module}.{decl.function.name}'"
        self._check_args(code.args, params, what, "parameter", code.function.span)

    def _check_exit(self, step: ast.Exit) -> None:
        owner = self.body.owner
        if not isinstance(owner, ast.Action):
            self.diagnostics.append(
                error(
                    codes.EXIT_OUTSIDE_ACTION,
                    step.span,
                    f"'exit' leaves an action, but this is {self.body.describe()}",
                    help="end the call with `end \"...\"`, or hand it over with `transfer to`",
                )
            )
            return
        output = next((o for o in owner.outputs if o.name.name == step.output.name), None)
        if output is not None:
            self._check_output_args(step.args, output, step.output.span)

    def _check_target(
        self,
        target: ast.Target,
        targets: Mapping[ast.Target, Destination],
        clause: ast.Handler | ast.Intent | None = None,
    ) -> None:
        self.expressions.clause = clause
        destination = targets.get(target)
        if isinstance(destination, Leave):
            self._check_output_args(target.args or (), destination.output, target.name.span)
        elif target.args is not None:
            for arg in target.args:
                self.expressions.type_of(arg.value)
        self.expressions.clause = None

    def _check_output_args(
        self, args: Sequence[ast.Arg], output: ast.Output, at: Span
    ) -> None:
        params = [
            Param(f.name.name, ty.from_syntax(f.type), True, False, f.name.span)
            for f in output.fields
        ]
        self._check_args(args, params, f"output '{output.name.name}'", "field", at)

    # -- arguments ---------------------------------------------------------------

    def _check_args(
        self,
        args: Sequence[ast.Arg],
        params: Sequence[Param],
        owner: str,
        noun: str,
        at: Span,
    ) -> None:
        by_name = {p.name: p for p in params}
        given: dict[str, ast.Arg] = {}
        # Params a misspelt argument stands for: not also reported as missing.
        meant: set[str] = set()
        for arg in args:
            name = arg.name.name
            actual = self.expressions.type_of(arg.value)
            if name in given:
                first = given[name].name.span
                self.diagnostics.append(
                    _duplicate(codes.DUPLICATE_ARGUMENT, "argument", arg.name, first, "given")
                )
                continue
            given[name] = arg
            param = by_name.get(name)
            if param is None:
                suggestion = did_you_mean(name, [p.name for p in params if not p.fixed])
                self.diagnostics.append(_unknown_arg(arg, owner, noun, params, suggestion))
                if suggestion is not None:
                    meant.add(suggestion)
            elif param.fixed:
                self.diagnostics.append(_fixed_arg(arg, owner, param))
            elif not self._fits(arg.value, actual, param.type):
                self.diagnostics.append(_mistyped_arg(arg, actual, owner, noun, param))
        missing = [p for p in params if p.required and p.name not in given.keys() | meant]
        if missing:
            self.diagnostics.append(_missing_args(missing, owner, noun, at))

    # -- expressions ---------------------------------------------------------------

    def _condition(self, expr: ast.Expr) -> None:
        found = self.expressions.type_of(expr)
        if found not in (ty.BOOL, ty.JSON):
            self.diagnostics.append(
                error(
                    codes.NOT_A_BOOL,
                    expr.span,
                    f"a condition must be a bool, but this is {article(found)}",
                    help="compare it with something, e.g. `x == \"yes\"`",
                )
            )

    def _expect(self, expr: ast.Expr, expected: ty.Type, what: str) -> None:
        actual = self.expressions.type_of(expr)
        if not self._fits(expr, actual, expected):
            self._mismatch(expr, actual, expected, what)

    def _expect_spoken(
        self, expr: ast.Expr, expected: ty.Type, what: str, where: str
    ) -> None:
        """`_expect` for a value that is also said or sent: a secret there is reported
        as revealed (E0601), not also as of the wrong type."""
        actual = self.expressions.type_of(expr)
        if not self._reveals_secret(expr, where) and not self._fits(expr, actual, expected):
            self._mismatch(expr, actual, expected, what)

    def _mismatch(self, expr: ast.Expr, actual: ty.Type, expected: ty.Type, what: str) -> None:
        self.diagnostics.append(
            error(
                codes.VALUE_TYPE,
                expr.span,
                f"{what} must be {article(expected)}, but this is {article(actual)}",
                help=_conversion_help(expr, actual, expected),
                fixes=literal[1] if (literal := moment_fix(expr, expected)) else (),
            )
        )

    @staticmethod
    def _fits(expr: ast.Expr, actual: ty.Type, expected: ty.Type) -> bool:
        if ty.is_assignable(actual, expected):
            return True
        # A plain literal is checked by its text: "+15551230000" is a fine phone number.
        if isinstance(expr, ast.StringLit) and expr.is_plain:
            text = expr.plain_text
            if expected == ty.PHONE:
                return bool(_PHONE_LITERAL.match(text))
            if expected == ty.EMAIL:
                return bool(_EMAIL_LITERAL.match(text))
        return False

    def _spoken(self, expr: ast.Expr, where: str) -> None:
        """Type an expression whose value is said, shown or sent: no secret may be in it."""
        if self.expressions.type_of(expr) == ty.BOOL and isinstance(
            expr, ast.Compare | ast.Logic | ast.Not
        ):
            self.diagnostics.append(_condition_as_words(expr, where))
        self._reveals_secret(expr, where)

    def _reveals_secret(self, expr: ast.Expr, where: str) -> bool:
        """Report each secret in an expression already typed; whether there was one."""
        spans = self.expressions.secret_spans(expr)
        for span in spans:
            self.diagnostics.append(
                error(
                    codes.SECRET_REVEALED,
                    span,
                    f"a secret would be revealed in {_WHERE[where]}",
                    notes=[Note("the transcript and the event log would show it too")],
                    help="secrets can go only to request headers, query or body, to "
                    "`secret` inputs and to `secret` parameters of code",
                )
            )
        return bool(spans)


def _condition_as_words(expr: ast.Compare | ast.Logic | ast.Not, where: str) -> Diagnostic:
    """A comparison where words belong: the caller would hear 'true' or 'false'."""
    help = "write the words as a string; a template can hold a value: \"... {{name}} ...\""
    if where == "collect" and isinstance(expr, ast.Compare) and expr.op is ast.CompareOp.IN:
        help = (
            "a collect's options come right after its type, before the prompt:\n"
            '    collect NAME: text in ["a", "b"] prompt "..."'
        )
    return error(
        codes.CONDITION_AS_WORDS,
        expr.span,
        f"{_WHERE[where]} is a true/false condition, not words",
        notes=[Note("the caller would hear 'true' or 'false'")],
        help=help,
    )


_WHERE = {
    "talk": "what the agent says ('talk')",
    "collect": "what the agent asks ('collect')",
    "end": "the last words of the call ('end')",
    "transfer": "a transfer",
    "sms": "a text message",
    "email": "an email",
}


def _conversion_help(expr: ast.Expr, actual: ty.Type, expected: ty.Type) -> str | None:
    literal = moment_fix(expr, expected)
    if literal is not None:  # `input closes: time = "17:00"`
        return literal[0]
    if isinstance(expr, ast.EnvRef) and expr.as_type is None and isinstance(expected, ty.Scalar):
        # A bare env() is a secret by default; the author most likely meant a plain value.
        shown = ty.display(expected)
        return (f"if it is no secret, read it as {article(expected)}: "
                f'`env("{expr.variable}") as {shown}`')
    if actual == ty.SECRET:
        return "a secret can go only where a secret is expected (a `secret` input, " \
            "request headers, query or body, code arguments)"
    if expected == ty.TEXT and actual != ty.JSON:
        return "render it into a text: \"{{...}}\""
    if expected == ty.PHONE:
        return "write a phone number, e.g. \"+15551230000\", or use a phone variable"
    if expected == ty.EMAIL:
        return "write an address, e.g. \"desk@example.com\", or use an email variable"
    if expected == ty.ListOf(ty.TEXT):
        return 'write the options, `in ["a", "b"]`, or name a list of texts'
    return None


def _duplicate(
    code: str, what: str, name: ast.Ident, first: Span, verb: str = "declared"
) -> Diagnostic:
    return error(
        code,
        name.span,
        f"the {what} '{name.name}' is {verb} twice",
        notes=[Note(f"first {verb} here", first)],
        help="remove or rename one of them",
    )


def _unknown_arg(
    arg: ast.Arg, owner: str, noun: str, params: Sequence[Param], suggestion: str | None
) -> Diagnostic:
    open_params = [p for p in params if not p.fixed]
    listing = ", ".join(p.name for p in open_params) or "none"
    return error(
        codes.UNKNOWN_ARGUMENT,
        arg.name.span,
        f"{owner} has no {noun} named '{arg.name.name}'",
        notes=[Note(f"its {noun}s: {listing}")],
        help=f"did you mean '{suggestion}'?" if suggestion else f"remove '{arg.name.name} = ...'",
        fixes=rename_fix(arg.name.span, arg.name.name, suggestion, [p.name for p in open_params]),
    )


def _missing_args(missing: Sequence[Param], owner: str, noun: str, at: Span) -> Diagnostic:
    names = ", ".join(f"'{p.name}'" for p in missing)
    plural = noun + ("s" if len(missing) > 1 else "")
    example = ", ".join(f"{p.name} = <{ty.display(p.type)}>" for p in missing)
    return error(
        codes.MISSING_ARGUMENT,
        at,
        f"{owner} needs the {plural} {names}",
        notes=[Note(f"'{p.name}' declared here", p.span) for p in missing],
        help=f"add: {example}",
    )


def _fixed_arg(arg: ast.Arg, owner: str, param: Param) -> Diagnostic:
    return error(
        codes.FIXED_INPUT_PASSED,
        arg.name.span,
        f"the input '{param.name}' of {owner} is fixed by its author and cannot be set here",
        notes=[Note("it has a default and is not `configurable`", param.span)],
        help=f"remove '{param.name} = ...', or mark the input `configurable` in the action",
    )


def _mistyped_arg(
    arg: ast.Arg, actual: ty.Type, owner: str, noun: str, param: Param
) -> Diagnostic:
    return error(
        codes.ARGUMENT_TYPE,
        arg.value.span,
        f"the {noun} '{param.name}' of {owner} is {article(param.type)}, "
        f"but this is {article(actual)}",
        notes=[Note(f"'{param.name}' declared here", param.span)],
        help=_conversion_help(arg.value, actual, param.type),
    )



def _written_options(collect: ast.Collect) -> tuple[str, ...] | None:
    """The texts a `collect` can give its variable: its options, when they are written as
    plain texts (`in ["pizza", "pasta"]`); None when they come from an expression."""
    options = collect.options
    if not isinstance(options, ast.ListLit):
        return None
    texts = [item.plain_text for item in options.items
             if isinstance(item, ast.StringLit) and item.is_plain]
    return tuple(texts) if len(texts) == len(options.items) else None
