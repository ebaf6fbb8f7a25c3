"""Names and types inside one body: variables, expressions, arguments, and where secrets go.

The checker walks the steps of a body in source order. It gives every variable
one type (from its `collect`, `request ... expect`, `run`, `code` or `set`),
types every expression, and records each variable use with the step it occurs
in, for the definite-assignment analysis that runs on the flow graph afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .. import ast
from .. import types as ty
from ..diagnostics import Diagnostic, Note, did_you_mean, error
from ..graph import Body, BodyKind, Destination, Leave
from ..resolve import ActionRef, ModuleScope, Symbol
from ..source import Span
from .model import Variable, VariableKind


@dataclass(frozen=True, slots=True)
class Use:
    """A variable read by a step: `root` or `root.field...`."""

    root: str
    field: str | None
    span: Span
    # Inside the left side of `??`: an unassigned value is fine there.
    guarded: bool
    # In the arguments of a handler's target (`on Fail -> Fail(reason = r.why)`): read
    # on that handler's edge, after the step, rather than before the step.
    clause: ast.Handler | None


@dataclass(frozen=True, slots=True)
class Param:
    """Something an argument list must match: an action input, a python parameter, or an
    output field."""

    name: str
    type: ty.Type
    required: bool
    fixed: bool
    span: Span


# Steps that talk to the caller; `after call` runs when nobody is on the line.
_CALLER_STEPS: dict[type[ast.Step], str] = {
    ast.Talk: "talk",
    ast.Collect: "collect",
    ast.Transfer: "transfer",
    ast.End: "end",
    ast.Run: "run",
}
_PHONE_LITERAL = re.compile(r"^\+?[0-9][0-9 ().-]{2,}$")
_EMAIL_LITERAL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class BodyFacts:
    """What the body checker hands on: variables and the uses of each step."""

    variables: dict[str, Variable]
    uses: list[list[Use]]
    # Uses in the targets of the body's default handlers, read on each edge they make.
    handler_uses: list[Use]
    # Variables assigned by this body's own steps (for after call: plus the flow's).
    assigned: list[str]


class BodyChecker:
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
        self.elsewhere = elsewhere
        self.diagnostics: list[Diagnostic] = []
        self.variables: dict[str, Variable] = dict(inherited)
        self.python_calls: dict[ast.Code, ast.PythonDecl] = {}
        self.uses: list[list[Use]] = [[] for _ in body.steps]
        self.handler_uses: list[Use] = []
        self._clause: ast.Handler | None = None
        self._quiet = False
        self._reported_names: set[str] = set()
        self._pending_sets: set[str] = set()
        self._step = 0

    @property
    def in_after_call(self) -> bool:
        return self.body.kind is BodyKind.AFTER_CALL

    def check(self, targets: Mapping[ast.Target, Destination]) -> BodyFacts:
        own_start = set(self.variables)
        if isinstance(self.body.owner, ast.Action) and not self.in_after_call:
            self._declare_inputs(self.body.owner)
        for step in self.body.steps:
            self._declare_from_step(step)
        self._step = -1  # uses in default handlers belong to no single step
        for handler in self.body.handlers:
            self._check_target(handler.target, targets, handler)
        for index, step in enumerate(self.body.steps):
            self._step = index
            self._check_step(step, targets)
        assigned = [
            name
            for name, var in self.variables.items()
            if var.kind is not VariableKind.INPUT and name not in own_start
        ]
        return BodyFacts(
            self.variables, self.uses, self.handler_uses, [*own_start, *assigned]
        )

    # -- variables -------------------------------------------------------------

    def _declare_inputs(self, action: ast.Action) -> None:
        for out in action.outputs:
            self._check_duplicate_fields(out.fields, f"output '{out.name.name}'")
        seen: dict[str, ast.Output] = {}
        for out in action.outputs:
            if out.name.name in seen:
                self.diagnostics.append(
                    _duplicate("E0108", "output", out.name, seen[out.name.name].name.span)
                )
            seen.setdefault(out.name.name, out)
        for inp in action.inputs:
            if inp.name.name in self.variables:
                first = self.variables[inp.name.name].span
                self.diagnostics.append(_duplicate("E0107", "input", inp.name, first))
                continue
            declared = ty.from_syntax(inp.type)
            if inp.default is not None:
                self._check_default(inp, declared)
            self.variables[inp.name.name] = Variable(
                inp.name.name, declared, VariableKind.INPUT, inp.name.span
            )

    def _check_default(self, inp: ast.Input, declared: ty.Type) -> None:
        read = next(_names_read(inp.default), None) if inp.default is not None else None
        if read is not None:
            self.diagnostics.append(
                error(
                    "E0516",
                    read.span,
                    f"the default of input '{inp.name.name}' reads '{read.ident.name}', "
                    "but defaults are fixed before the action starts",
                    help="use a literal, env(\"NAME\") or a `call.` value; or drop the "
                    "default and pass the value at each run",
                )
            )
        elif inp.default is not None:
            self._expect(inp.default, declared, f"the default of input '{inp.name.name}'")

    def _check_duplicate_fields(self, fields: Sequence[ast.FieldType], owner: str) -> None:
        seen: dict[str, ast.Ident] = {}
        for f in fields:
            if f.name.name in seen:
                self.diagnostics.append(
                    _duplicate("E0108", f"field of {owner}", f.name, seen[f.name.name].span)
                )
            seen.setdefault(f.name.name, f.name)

    def _declare_from_step(self, step: ast.Step) -> None:
        """Types known without looking at expressions; `set` is typed in source order later."""
        match step:
            case ast.Collect():
                declared = ty.TEXT if step.options is not None else ty.from_syntax(step.type)
                self._declare(step.var, declared, VariableKind.COLLECT)
            case ast.Request():
                shape = ty.from_syntax(step.expect) if step.expect is not None else ty.JSON
                self._declare(step.var, shape, VariableKind.REQUEST)
            case ast.Run():
                self._declare(step.var, self._run_type(step), VariableKind.RUN)
            case ast.Code():
                decl = self._python(step)
                returns = ty.from_syntax(decl.returns) if decl is not None else ty.JSON
                self._declare(step.var, returns, VariableKind.CODE)
            case ast.Set():
                # Typed when its value is checked; until then a use of it reads as json.
                self._pending_sets.add(step.var.name)
            case _:
                pass

    def _run_type(self, run: ast.Run) -> ty.Type:
        symbol = self.run_actions.get(run)
        if not isinstance(symbol, ActionRef):
            return ty.JSON
        outputs = tuple(
            (o.name.name, ty.Record(tuple((f.name.name, ty.from_syntax(f.type)) for f in o.fields)))
            for o in symbol.action.outputs
        )
        return ty.RunResult(symbol.name, outputs)

    def _python(self, code: ast.Code) -> ast.PythonDecl | None:
        decl = self.scope.pythons.get((code.module, code.function.name))
        if decl is not None:
            self.python_calls[code] = decl
            return decl
        wanted = f"{code.module}.{code.function.name}"
        known = [f"{m}.{f}" for m, f in self.scope.pythons]
        suggestion = did_you_mean(wanted, known)
        self.diagnostics.append(
            error(
                "E0105",
                code.function.span,
                f"'{wanted}' is not declared in this file",
                help=f"did you mean '{suggestion}'?" if suggestion else
                f"declare it at the top of the file: python {wanted}(name: type, ...) -> type",
            )
        )
        return None

    def _declare(self, var: ast.Ident, new: ty.Type, kind: VariableKind) -> None:
        name = var.name
        existing = self.variables.get(name)
        if existing is None:
            self.variables[name] = Variable(name, new, kind, var.span)
        elif not ty.is_assignable(new, existing.type):
            self.diagnostics.append(
                error(
                    "E0503",
                    var.span,
                    f"'{name}' holds {_a(existing.type)} and cannot also hold {_a(new)}",
                    notes=[Note(f"'{name}' gets its type ({ty.display(existing.type)}) here",
                                existing.span)],
                    help="a variable keeps one type; use a new name for this value",
                )
            )

    # -- steps -----------------------------------------------------------------

    def _check_step(self, step: ast.Step, targets: Mapping[ast.Target, Destination]) -> None:
        self._check_placement(step)
        for target, clause in _targets_of(step):
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
                value = self.type_of(step.value)
                self._declare(step.var, value, VariableKind.SET)
            case ast.If():
                self._condition(step.condition)
            case ast.SendSms():
                self._expect(step.to, ty.PHONE, "the number of an sms")
                self._spoken(step.to, "sms")
                self._spoken(step.text, "sms")
            case ast.SendEmail():
                self._expect(step.to, ty.EMAIL, "the address of an email")
                for part in (step.to, step.subject, step.body):
                    self._spoken(part, "email")
            case ast.Transfer():
                self._expect(step.to, ty.PHONE, "the number of a transfer")
                self._spoken(step.to, "transfer")
                if step.say is not None:
                    self._spoken(step.say, "transfer")
            case ast.End():
                if step.text is not None:
                    self._spoken(step.text, "end")
            case ast.Exit():
                self._check_exit(step)
            case ast.Jump():
                pass

    def _check_placement(self, step: ast.Step) -> None:
        keyword = _CALLER_STEPS.get(type(step))
        if self.in_after_call and keyword is not None:
            self.diagnostics.append(
                error(
                    "E0603",
                    step.span,
                    f"'{keyword}' cannot be used in 'after call': the call is already over",
                    notes=[Note("only request, send, code, set, if and jumps run after the call")],
                    help="move it into the flow's steps, before the call ends",
                )
            )
        if isinstance(step, ast.Exit) and not isinstance(self.body.owner, ast.Action):
            self.diagnostics.append(
                error(
                    "E0604",
                    step.span,
                    f"'exit' leaves an action, but this is {self.body.describe()}",
                    help="end the call with `end \"...\"`, or hand it over with `transfer to`",
                )
            )

    def _check_counts(
        self, count: ast.NumberLit | None, least: int, what: str, timeout: ast.DurationLit | None
    ) -> None:
        if count is not None and (not isinstance(count.value, int) or count.value < least):
            self.diagnostics.append(
                error(
                    "E0517",
                    count.span,
                    f"{what} must be a whole number of at least {least}",
                    help=f"write e.g. `{what} {least + 1}`",
                )
            )
        if timeout is not None and timeout.milliseconds <= 0:
            self.diagnostics.append(
                error(
                    "E0517",
                    timeout.span,
                    "a timeout must be longer than zero",
                    help="write e.g. `timeout 5s`",
                )
            )

    def _check_collect(self, step: ast.Collect) -> None:
        self._check_counts(step.attempts, 1, "attempts", step.timeout)
        if step.options is not None:
            if ty.from_syntax(step.type) != ty.TEXT:
                self.diagnostics.append(
                    error(
                        "E0515",
                        step.options.span,
                        f"options need a text answer, but 'collect {step.var.name}' asks for "
                        f"{_a(ty.from_syntax(step.type))}",
                        help=f"write `collect {step.var.name}: text in [...]`",
                    )
                )
            for item in step.options.items:
                self._expect(item, ty.TEXT, "an option of a collect")
                self._spoken(item, "collect")
        self._spoken(step.prompt, "collect")
        if step.reprompt is not None:
            self._spoken(step.reprompt, "collect")

    def _check_request(self, step: ast.Request) -> None:
        self._check_counts(step.retries, 0, "retries", step.timeout)
        url = self.type_of(step.url)
        if not ty.is_assignable(url, ty.TEXT) and url != ty.SECRET:
            self._mismatch(step.url, url, ty.TEXT, "a request URL")
        for span in self._secret_spans(step.url):
            self.diagnostics.append(
                error(
                    "E0602",
                    span,
                    "a secret in a request URL ends up in logs and proxies",
                    help="send it in `headers { ... }` (or `query { ... }`, which the "
                    "runtime masks in its log)",
                )
            )
        for entry in (*step.headers, *step.query, *(step.body or ())):
            self._check_key(entry.key)
            self.type_of(entry.value)

    def _check_key(self, key: ast.StringLit) -> None:
        for part in key.parts:
            if isinstance(part, ast.TemplatePart):
                self.type_of(part.expr, in_template=True)

    def _check_run(self, run: ast.Run) -> None:
        symbol = self.run_actions.get(run)
        if not isinstance(symbol, ActionRef):
            for arg in run.args:
                self.type_of(arg.value)
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
                self.type_of(arg.value)
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
            return
        output = next((o for o in owner.outputs if o.name.name == step.output.name), None)
        if output is not None:
            self._check_output_args(step.args, output, step.output.span)

    def _check_target(
        self,
        target: ast.Target,
        targets: Mapping[ast.Target, Destination],
        clause: ast.Handler | None = None,
    ) -> None:
        self._clause = clause
        destination = targets.get(target)
        if isinstance(destination, Leave):
            self._check_output_args(target.args or (), destination.output, target.name.span)
        elif target.args is not None:
            for arg in target.args:
                self.type_of(arg.value)
        self._clause = None

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
        for arg in args:
            name = arg.name.name
            actual = self.type_of(arg.value)
            if name in given:
                self.diagnostics.append(
                    _duplicate("E0111", "argument", arg.name, given[name].name.span, "given")
                )
                continue
            given[name] = arg
            param = by_name.get(name)
            if param is None:
                self.diagnostics.append(_unknown_arg(arg, owner, noun, params))
            elif param.fixed:
                self.diagnostics.append(_fixed_arg(arg, owner, param))
            elif not self._fits(arg.value, actual, param.type):
                self.diagnostics.append(_mistyped_arg(arg, actual, owner, noun, param))
        missing = [p for p in params if p.required and p.name not in given]
        if missing:
            self.diagnostics.append(_missing_args(missing, owner, noun, at))

    # -- expressions ---------------------------------------------------------------

    def _condition(self, expr: ast.Expr) -> None:
        found = self.type_of(expr)
        if found not in (ty.BOOL, ty.JSON):
            self.diagnostics.append(
                error(
                    "E0504",
                    expr.span,
                    f"a condition must be a bool, but this is {_a(found)}",
                    help="compare it with something, e.g. `x == \"yes\"`",
                )
            )

    def _expect(self, expr: ast.Expr, expected: ty.Type, what: str) -> None:
        actual = self.type_of(expr)
        if not self._fits(expr, actual, expected):
            self._mismatch(expr, actual, expected, what)

    def _mismatch(self, expr: ast.Expr, actual: ty.Type, expected: ty.Type, what: str) -> None:
        self.diagnostics.append(
            error(
                "E0514",
                expr.span,
                f"{what} must be {_a(expected)}, but this is {_a(actual)}",
                help=_conversion_help(actual, expected),
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
        self.type_of(expr)
        for span in self._secret_spans(expr):
            self.diagnostics.append(
                error(
                    "E0601",
                    span,
                    f"a secret would be revealed in {_WHERE[where]}",
                    notes=[Note("the transcript and the event log would show it too")],
                    help="secrets can go only to request headers, query or body, to "
                    "`secret` inputs and to `secret` parameters of code",
                )
            )

    def _secret_spans(self, expr: ast.Expr) -> list[Span]:
        if isinstance(expr, ast.StringLit):
            return [
                part.span
                for part in expr.parts
                if isinstance(part, ast.TemplatePart)
                and ty.holds_secret(self._quiet_type(part.expr))
            ]
        return [expr.span] if ty.holds_secret(self._quiet_type(expr)) else []

    def _quiet_type(self, expr: ast.Expr) -> ty.Type:
        """The type of an expression already checked, without reporting or recording again."""
        saved = self.diagnostics
        self.diagnostics, self._quiet = [], True
        try:
            return self.type_of(expr)
        finally:
            self.diagnostics, self._quiet = saved, False

    def type_of(
        self, expr: ast.Expr, *, guarded: bool = False, in_template: bool = False
    ) -> ty.Type:
        match expr:
            case ast.StringLit():
                return self._string(expr, guarded)
            case ast.NumberLit():
                return ty.NUMBER
            case ast.BoolLit():
                return ty.BOOL
            case ast.DurationLit():
                return ty.DURATION
            case ast.ListLit():
                return self._list(expr, guarded)
            case ast.Name() | ast.FieldAccess() | ast.IndexAccess():
                self._record_use(expr, guarded)
                return self._path_type(expr) or ty.JSON
            case ast.Compare():
                return self._compare(expr, guarded)
            case ast.Logic():
                for side in (expr.left, expr.right):
                    self._bool_operand(side, expr.op.value, guarded)
                return ty.BOOL
            case ast.Not():
                self._bool_operand(expr.operand, "not", guarded)
                return ty.BOOL
            case ast.Fallback():
                return self._fallback(expr, in_template)
            case ast.EnvRef():
                return ty.from_syntax(expr.as_type) if expr.as_type is not None else ty.SECRET

    def _string(self, expr: ast.StringLit, guarded: bool) -> ty.Type:
        found = ty.TEXT
        for part in expr.parts:
            if isinstance(part, ast.TemplatePart):
                inner = self.type_of(part.expr, guarded=guarded, in_template=True)
                # Rendering a secret into a text keeps it secret.
                if ty.holds_secret(inner):
                    found = ty.SECRET
        return found

    def _list(self, expr: ast.ListLit, guarded: bool) -> ty.Type:
        element: ty.Type | None = None
        for item in expr.items:
            item_type = self.type_of(item, guarded=guarded)
            element = item_type if element is None else (ty.join(element, item_type) or ty.JSON)
        return ty.ListOf(element or ty.JSON)

    def _bool_operand(self, expr: ast.Expr, op: str, guarded: bool) -> None:
        found = self.type_of(expr, guarded=guarded)
        if found not in (ty.BOOL, ty.JSON):
            self.diagnostics.append(
                error(
                    "E0504",
                    expr.span,
                    f"'{op}' needs a bool, but this is {_a(found)}",
                    help="compare it with something first, e.g. `x == \"yes\"`",
                )
            )

    def _compare(self, expr: ast.Compare, guarded: bool) -> ty.Type:
        left = self.type_of(expr.left, guarded=guarded)
        right = self.type_of(expr.right, guarded=guarded)
        op = expr.op
        if op in (ast.CompareOp.EQ, ast.CompareOp.NE):
            if not ty.comparable(left, right):
                self.diagnostics.append(_unrelated(expr, left, right))
        elif op is ast.CompareOp.IN:
            if not _membership_ok(left, right):
                self.diagnostics.append(
                    error(
                        "E0507",
                        expr.span,
                        f"'in' looks for {_a(left)} in {_a(right)}, which cannot hold it",
                        help="the right side of `in` is a list like `[\"a\", \"b\"]`",
                    )
                )
        elif not (ty.is_ordered(left) and ty.is_ordered(right) and ty.comparable(left, right)):
            self.diagnostics.append(
                error(
                    "E0507",
                    expr.span,
                    f"'{op.value}' cannot order {_a(left)} and {_a(right)}",
                    help="order numbers, dates, times, datetimes or texts, each with its own kind",
                )
            )
        return ty.BOOL

    def _fallback(self, expr: ast.Fallback, in_template: bool) -> ty.Type:
        left = self.type_of(expr.left, guarded=True, in_template=in_template)
        right = self.type_of(expr.right, in_template=in_template)
        joined = ty.join(left, right)
        if joined is not None:
            return joined
        if in_template:
            # Both sides are rendered as text anyway: `{{score ?? "none"}}` is fine.
            return ty.SECRET if ty.holds_secret(left) or ty.holds_secret(right) else ty.TEXT
        self.diagnostics.append(
            error(
                "E0505",
                expr.span,
                f"the two sides of '??' have different types: {ty.display(left)} and "
                f"{ty.display(right)}",
                help=f"make the fallback {_a(left)}",
            )
        )
        return left

    # -- paths -------------------------------------------------------------------

    def _record_use(
        self, expr: ast.Name | ast.FieldAccess | ast.IndexAccess, guarded: bool
    ) -> None:
        if self._quiet:
            return
        chain: list[ast.Expr] = [expr]
        while isinstance(chain[-1], ast.FieldAccess | ast.IndexAccess):
            inner = chain[-1]
            assert isinstance(inner, ast.FieldAccess | ast.IndexAccess)
            chain.append(inner.target)
        root = chain[-1]
        if not isinstance(root, ast.Name):
            return
        first = chain[-2] if len(chain) > 1 else None
        field = first.field.name if isinstance(first, ast.FieldAccess) else None
        use = Use(root.ident.name, field, expr.span, guarded, self._clause)
        if self._step < 0:
            self.handler_uses.append(use)
        else:
            self.uses[self._step].append(use)

    def _path_type(self, expr: ast.Expr) -> ty.Type | None:
        """The type of a path; None when a mistake in it was already reported."""
        if isinstance(expr, ast.Name):
            return self._variable_type(expr.ident)
        if isinstance(expr, ast.FieldAccess):
            base = self._path_type(expr.target)
            return None if base is None else self._field_type(expr, base)
        if isinstance(expr, ast.IndexAccess):
            base = self._path_type(expr.target)
            if base is None or base == ty.JSON:
                return base
            if isinstance(base, ty.ListOf):
                return base.element
            self.diagnostics.append(
                error("E0506", expr.span, f"{_a(base)} cannot be indexed",
                      help="only lists (and json) hold items at positions")
            )
            return None
        return self.type_of(expr)

    def _variable_type(self, ident: ast.Ident) -> ty.Type | None:
        if ident.name == "call":
            return ty.CALL
        var = self.variables.get(ident.name)
        if var is not None:
            return var.type
        if ident.name in self._pending_sets:
            return ty.JSON
        if ident.name not in self._reported_names:
            self._reported_names.add(ident.name)
            self.diagnostics.append(self._undefined(ident))
        return None

    def _undefined(self, ident: ast.Ident) -> Diagnostic:
        name = ident.name
        notes: list[Note] = []
        suggestion = did_you_mean(name, [*self.variables, "call"])
        hint = f"did you mean '{suggestion}'?" if suggestion else None
        owner = self.elsewhere(name)
        if owner is not None:
            notes.append(Note(f"'{name}' is a variable of {owner}"))
            if self.body.kind is BodyKind.ACTION:
                hint = hint or f"an action sees only its inputs: add `input {name}: <type>` " \
                    "and pass it at the run"
        return error(
            "E0101",
            ident.span,
            f"there is no variable '{name}' in {self.body.describe()}",
            notes=notes,
            help=hint,
        )

    def _field_type(self, expr: ast.FieldAccess, base: ty.Type) -> ty.Type | None:
        name = expr.field.name
        if base == ty.JSON:
            return ty.JSON
        if base is ty.CALL and name == "outcome" and not self.in_after_call:
            self.diagnostics.append(
                error(
                    "E0605",
                    expr.span,
                    "'call.outcome' is known only once the call is over",
                    help="read it in the flow's 'after call { ... }' block",
                )
            )
            return None
        if isinstance(base, ty.Record | ty.RunResult):
            found = base.field(name)
            if found is not None:
                return found
            names = base.field_names if isinstance(base, ty.RunResult) else [
                n for n, _ in base.fields]
            self.diagnostics.append(_unknown_field(expr, base, names))
            return None
        self.diagnostics.append(
            error("E0506", expr.field.span, f"{_a(base)} has no fields",
                  help=f"'.{name}' reads a field of a record (or of json)")
        )
        return None


def _names_read(expr: ast.Expr) -> Iterator[ast.Name]:
    """The variables an expression reads (`call` is not a variable)."""
    match expr:
        case ast.Name():
            if expr.ident.name != "call":
                yield expr
        case ast.FieldAccess() | ast.IndexAccess():
            yield from _names_read(expr.target)
        case ast.StringLit():
            for part in expr.parts:
                if isinstance(part, ast.TemplatePart):
                    yield from _names_read(part.expr)
        case ast.ListLit():
            for item in expr.items:
                yield from _names_read(item)
        case ast.Compare() | ast.Logic() | ast.Fallback():
            yield from _names_read(expr.left)
            yield from _names_read(expr.right)
        case ast.Not():
            yield from _names_read(expr.operand)
        case _:
            pass


def _targets_of(step: ast.Step) -> Iterator[tuple[ast.Target, ast.Handler | None]]:
    handlers: Sequence[ast.Handler | None] = ()
    match step:
        case ast.If() | ast.Jump():
            yield step.target, None
        case ast.Run():
            handlers = step.handlers
        case ast.Collect():
            handlers = (step.on_no_answer,)
        case ast.Request() | ast.Code() | ast.SendSms() | ast.SendEmail() | ast.Transfer():
            handlers = (step.on_error,)
        case _:
            pass
    for handler in handlers:
        if handler is not None:
            yield handler.target, handler


_WHERE = {
    "talk": "what the agent says ('talk')",
    "collect": "what the agent asks ('collect')",
    "end": "the last words of the call ('end')",
    "transfer": "a transfer",
    "sms": "a text message",
    "email": "an email",
}


def _a(t: ty.Type) -> str:
    """'a text', 'an email', 'a list[text]', 'the result of X'."""
    shown = ty.display(t)
    if isinstance(t, ty.RunResult):
        return shown
    if isinstance(t, ty.Record):
        return f"a record {shown}"
    return f"{'an' if shown[0] in 'aeiou' else 'a'} {shown}"


def _membership_ok(left: ty.Type, right: ty.Type) -> bool:
    if right == ty.JSON:
        return True
    if isinstance(right, ty.ListOf):
        return ty.comparable(left, right.element)
    return right == ty.TEXT and ty.is_assignable(left, ty.TEXT)


def _conversion_help(actual: ty.Type, expected: ty.Type) -> str | None:
    if actual == ty.SECRET:
        return "a secret can go only where a secret is expected (a `secret` input, " \
            "request headers, query or body, code arguments)"
    if expected == ty.TEXT and actual != ty.JSON:
        return "render it into a text: \"{{...}}\""
    if expected == ty.PHONE:
        return "write a phone number, e.g. \"+15551230000\", or use a phone variable"
    if expected == ty.EMAIL:
        return "write an address, e.g. \"desk@example.com\", or use an email variable"
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


def _unrelated(expr: ast.Compare, left: ty.Type, right: ty.Type) -> Diagnostic:
    return error(
        "E0501",
        expr.span,
        f"'{expr.op.value}' compares {_a(left)} with {_a(right)}: they can never be equal",
        help="compare values of the same type",
    )


def _unknown_field(
    expr: ast.FieldAccess, base: ty.Record | ty.RunResult, names: Sequence[str]
) -> Diagnostic:
    name = expr.field.name
    suggestion = did_you_mean(name, names)
    if isinstance(base, ty.RunResult):
        message = f"no output of {base.action} has a field '{name}'"
    elif base is ty.CALL:
        message = f"'call' has no field '{name}'"
    else:
        message = f"the record {ty.display(base)} has no field '{name}'"
    return error(
        "E0502",
        expr.field.span,
        message,
        notes=[Note(f"its fields: {', '.join(names) or 'none'}")],
        help=f"did you mean '{suggestion}'?" if suggestion else None,
    )


def _unknown_arg(arg: ast.Arg, owner: str, noun: str, params: Sequence[Param]) -> Diagnostic:
    suggestion = did_you_mean(arg.name.name, [p.name for p in params])
    listing = ", ".join(p.name for p in params if not p.fixed) or "none"
    return error(
        "E0510",
        arg.name.span,
        f"{owner} has no {noun} named '{arg.name.name}'",
        notes=[Note(f"its {noun}s: {listing}")],
        help=f"did you mean '{suggestion}'?" if suggestion else f"remove '{arg.name.name} = ...'",
    )


def _missing_args(missing: Sequence[Param], owner: str, noun: str, at: Span) -> Diagnostic:
    names = ", ".join(f"'{p.name}'" for p in missing)
    plural = noun + ("s" if len(missing) > 1 else "")
    example = ", ".join(f"{p.name} = <{ty.display(p.type)}>" for p in missing)
    return error(
        "E0511",
        at,
        f"{owner} needs the {plural} {names}",
        notes=[Note(f"'{p.name}' declared here", p.span) for p in missing],
        help=f"add: {example}",
    )


def _fixed_arg(arg: ast.Arg, owner: str, param: Param) -> Diagnostic:
    return error(
        "E0512",
        arg.name.span,
        f"the input '{param.name}' of {owner} is fixed by its author and cannot be set here",
        notes=[Note("it has a default and is not `configurable`", param.span)],
        help=f"remove '{param.name} = ...', or mark the input `configurable` in the action",
    )


def _mistyped_arg(
    arg: ast.Arg, actual: ty.Type, owner: str, noun: str, param: Param
) -> Diagnostic:
    return error(
        "E0513",
        arg.value.span,
        f"the {noun} '{param.name}' of {owner} is {_a(param.type)}, but this is {_a(actual)}",
        notes=[Note(f"'{param.name}' declared here", param.span)],
        help=_conversion_help(actual, param.type),
    )

