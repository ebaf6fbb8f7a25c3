"""Typing the expressions of one body, and recording which variables each step reads.

Every expression gets a type (types.py); a mistake in it is reported once and
the expression then counts as `json`, which fits anywhere, so that one mistake
does not cascade. Every type is recorded (`types`, for the model), so nothing
after this types an expression again: not the secret checks, not codegen.
Each read of a variable is recorded as a `Use` with the step (or default
handler) it belongs to, for the definite-assignment analysis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypedDict

from .. import ast, codes
from .. import types as ty
from ..diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    Note,
    did_you_mean,
    error,
    rename_fix,
    warning,
)
from ..graph import Body, BodyKind
from ..source import Span
from ..walk import walk
from .model import ByNode, Variable


@dataclass(frozen=True, slots=True)
class Use:
    """A variable read by a step: `root` or `root.field...`."""

    root: str
    field: str | None
    # The whole path as written (`r.items[0].name`), for a suggested fix.
    path: str
    span: Span
    # Inside the left side of `??`: an unassigned value is fine there.
    guarded: bool
    # In the arguments of a handler's or an intent's target (`on Fail -> Fail(reason =
    # r.why)`): read on that handler's edges, after the step, rather than before it.
    clause: ast.Handler | ast.Intent | None
    # Inside `{{ }}` (so a suggested fix is written as a template too).
    in_template: bool


class ExpressionTyper:
    """Types expressions against a body's variables (a dict the body checker fills)."""

    def __init__(
        self,
        body: Body,
        variables: dict[str, Variable],
        elsewhere: Callable[[str], str | None],
    ) -> None:
        self.body = body
        self.variables = variables
        self.elsewhere = elsewhere
        self.diagnostics: list[Diagnostic] = []
        self.uses: list[list[Use]] = [[] for _ in body.steps]
        self.handler_uses: list[Use] = []
        # Where reads are recorded: the step being checked (-1: a default handler), and
        # the handler whose target arguments are being typed.
        self.step = 0
        self.clause: ast.Handler | ast.Intent | None = None
        # Variables assigned by a `set` not yet typed (they read as json until then).
        self.pending_sets: set[str] = set()
        # The type of every expression typed, for the model: codegen reads it.
        self.types: ByNode[ast.Expr, ty.Type] = ByNode()
        # Paths read before the `set` of their variable was typed (see `settle`).
        self._deferred: list[ast.Name | ast.FieldAccess | ast.IndexAccess] = []
        self._reported_names: set[str] = set()
        # Typing a request's header, query or body value: sent as itself, so the two
        # sides of a `??` may differ (`"dob": birthday ?? ""`).
        self._sent_as_data = False
        # Typing anything inside such a value: a list there may mix kinds of items (JSON).
        self._in_request = False

    @property
    def in_after_call(self) -> bool:
        return self.body.kind is BodyKind.AFTER_CALL

    @property
    def read_before_set(self) -> bool:
        """Whether a path was read before its variable's `set` was typed (as json)."""
        return bool(self._deferred)

    def type_of_data(self, expr: ast.Expr) -> ty.Type:
        """The type of a value a request sends (a header, query or body entry)."""
        # Only the `??` chain at the top of the value is sent as it is: what is inside
        # (a comparison, a template) is checked as anywhere else.
        self._sent_as_data = isinstance(expr, ast.Fallback)
        self._in_request = True
        try:
            return self.type_of(expr)
        finally:
            self._sent_as_data = self._in_request = False

    def secret_spans(self, expr: ast.Expr) -> list[Span]:
        """Where an expression already typed holds a secret: each template of a string that
        renders one, or the whole expression."""
        if isinstance(expr, ast.StringLit):
            return [
                part.span
                for part in expr.parts
                if isinstance(part, ast.TemplatePart) and ty.holds_secret(self.types[part.expr])
            ]
        return [expr.span] if ty.holds_secret(self.types[expr]) else []

    def type_of(
        self, expr: ast.Expr, *, guarded: bool = False, in_template: bool = False
    ) -> ty.Type:
        """The type of an expression (a mistake in it is reported here, once), recorded."""
        found = self._type(expr, guarded, in_template)
        self.types.record(expr, found)
        return found

    def settle(self) -> None:
        """Give the paths read before their variable's `set` was typed their real type.

        While checking, such a read is json (nothing is reported on a guess); once
        every `set` of the body is typed, the model records what the path holds, so
        that code generation sees one type per expression, the one it will have.
        """
        for path in self._deferred:
            self._settled(path)

    def _settled(self, expr: ast.Expr) -> ty.Type | None:
        """The type of a deferred path from its variable's type, recorded for each part."""
        match expr:
            case ast.Name():
                variable = self.variables.get(expr.ident.name)
                found = variable.type if variable is not None else None
            case ast.FieldAccess():
                base = self._settled(expr.target)
                found = None if base is None else member_type(base, expr.field.name)
            case ast.IndexAccess():
                base = self._settled(expr.target)
                found = None if base is None else element_type(base)
            case _:
                return self.types.get(expr)
        self.types.record(expr, found or ty.JSON)
        return found

    def _type(self, expr: ast.Expr, guarded: bool, in_template: bool) -> ty.Type:
        match expr:
            case ast.StringLit():
                return self._string(expr, guarded)
            case ast.NumberLit():
                return ty.NUMBER
            case ast.BoolLit():
                return ty.BOOL
            case ast.DurationLit():
                return ty.DURATION
            case ast.MomentLit():
                return ty.Scalar(expr.kind.value)
            case ast.Clock():
                return ty.Scalar(expr.word.kind.value)
            case ast.ListLit():
                return self._list(expr, guarded)
            case ast.RecordLit():
                return self._record(expr, guarded)
            case ast.FunctionCall():
                return self._function_call(expr, guarded)
            case ast.Arithmetic():
                return self._arithmetic(expr, guarded)
            case ast.Negative():
                return self._negative(expr, guarded)
            case ast.Formatted():
                return self._formatted(expr, guarded)
            case ast.Name() | ast.FieldAccess() | ast.IndexAccess():
                root = self._record_use(expr, guarded, in_template)
                if root is not None and self._pending(root):
                    self._deferred.append(expr)
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
                return self._fallback(expr, guarded, in_template)
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
        mixed: tuple[ty.Type, ast.Expr] | None = None
        for item in expr.items:
            item_type = self.type_of(item, guarded=guarded)
            joined = item_type if element is None else ty.join(element, item_type)
            if joined is None and mixed is None and element is not None:
                mixed = (element, item)
            element = joined or ty.JSON
        if mixed is not None and not self._in_request:
            self.diagnostics.append(_mixed_list(expr, *mixed, self.types[mixed[1]]))
        return ty.ListOf(element or ty.JSON)

    def _record(self, expr: ast.RecordLit, guarded: bool) -> ty.Type:
        typed = [(f.name.name, self.type_of(f.value, guarded=guarded)) for f in expr.fields]
        return ty.Record(tuple(typed))

    def _bool_operand(self, expr: ast.Expr, op: str, guarded: bool) -> None:
        found = self.type_of(expr, guarded=guarded)
        if found not in (ty.BOOL, ty.JSON):
            self.diagnostics.append(
                error(
                    codes.NOT_A_BOOL,
                    expr.span,
                    f"'{op}' needs a bool, but this is {article(found)}",
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
            self._compare_choice(expr.left, [expr.right], op)
            self._compare_choice(expr.right, [expr.left], op)
        elif op is ast.CompareOp.IN:
            if isinstance(expr.right, ast.ListLit):
                self._compare_choice(expr.left, list(expr.right.items), op)
            if not _membership_ok(left, right):
                self.diagnostics.append(
                    error(
                        codes.ORDERING_CANNOT_HOLD,
                        expr.span,
                        f"'in' looks for {article(left)} in {article(right)}, which cannot hold it",
                        help="the right side of `in` is a list like `[\"a\", \"b\"]`",
                    )
                )
        elif not ty.can_order(left, right):
            self.diagnostics.append(_unordered(expr, left, right))
        return ty.BOOL

    def _compare_choice(
        self, side: ast.Expr, texts: Sequence[ast.Expr], op: ast.CompareOp
    ) -> None:
        """Warn where a variable that holds one of its collect's options is compared with a
        text that is none of them: `food == "Sushi"` is never true; so is `order.size ==
        "huge"` for a form's field with options."""
        known = self._choices_of(side)
        if known is None:
            return
        what, variable, choices = known
        for text in texts:
            if not (isinstance(text, ast.StringLit) and text.is_plain):
                continue
            if text.plain_text not in choices:
                self.diagnostics.append(_never_an_option(what, variable, choices, text, op))

    def _choices_of(self, side: ast.Expr) -> tuple[str, Variable, tuple[str, ...]] | None:
        """What the compared side is called, its variable and the only texts it holds."""
        if isinstance(side, ast.Name):
            variable = self.variables.get(side.ident.name)
            if variable is not None and variable.choices is not None:
                return variable.name, variable, variable.choices
        elif isinstance(side, ast.FieldAccess) and isinstance(side.target, ast.Name):
            variable = self.variables.get(side.target.ident.name)
            fields = dict(variable.field_choices or ()) if variable is not None else {}
            if variable is not None and side.field.name in fields:
                return f"{variable.name}.{side.field.name}", variable, fields[side.field.name]
        return None

    def _fallback(self, expr: ast.Fallback, guarded: bool, in_template: bool) -> ty.Type:
        sent_as_data = self._sent_as_data
        self._sent_as_data = sent_as_data and isinstance(expr.left, ast.Fallback)
        left = self.type_of(expr.left, guarded=True, in_template=in_template)
        self._sent_as_data = False
        # In `a ?? b ?? "none"` (read `(a ?? b) ?? "none"`) b is guarded by the outer `??`.
        right = self.type_of(expr.right, guarded=guarded, in_template=in_template)
        self._sent_as_data = sent_as_data
        joined = ty.join(left, right)
        if joined is not None:
            return joined
        if in_template or self._sent_as_data:
            # Both sides are rendered as text anyway (`{{score ?? "none"}}`), or sent to an
            # API as themselves, which the JSON of a body can hold (`birthday ?? ""`).
            if ty.holds_secret(left) or ty.holds_secret(right):
                return ty.SECRET
            return ty.TEXT if in_template else ty.JSON
        self.diagnostics.append(
            error(
                codes.FALLBACK_TYPE,
                expr.span,
                f"the two sides of '??' have different types: {ty.display(left)} and "
                f"{ty.display(right)}",
                **_literal_help(expr.right, left, f"make the fallback {article(left)}"),
            )
        )
        return left

    # -- paths -------------------------------------------------------------------

    def _record_use(
        self, expr: ast.Name | ast.FieldAccess | ast.IndexAccess, guarded: bool, in_template: bool
    ) -> ast.Name | None:
        """Record a read of the variable at the root of a path; that root, if it is a name."""
        # Walk down to the root name; the step just above it is the first field read.
        root: ast.Expr = expr
        first: ast.Expr | None = None
        while isinstance(root, ast.FieldAccess | ast.IndexAccess):
            first, root = root, root.target
        if not isinstance(root, ast.Name):
            return None
        field = first.field.name if isinstance(first, ast.FieldAccess) else None
        use = Use(
            root.ident.name, field, path_text(expr), expr.span, guarded, self.clause, in_template
        )
        if self.step < 0:
            self.handler_uses.append(use)
        else:
            self.uses[self.step].append(use)
        return root

    def _pending(self, name: ast.Name) -> bool:
        """Whether the name is a `set` variable not typed yet (it reads as json for now)."""
        return name.ident.name not in self.variables and name.ident.name in self.pending_sets

    def _part_type(self, expr: ast.Expr) -> ty.Type | None:
        """`_path_type` of what a field or an index is read from, recorded (type_of
        records the whole path)."""
        found = self._path_type(expr)
        self.types.record(expr, found or ty.JSON)
        return found

    def _path_type(self, expr: ast.Expr) -> ty.Type | None:
        """The type of a path; None when a mistake in it was already reported."""
        if isinstance(expr, ast.Name):
            return self._variable_type(expr.ident)
        if isinstance(expr, ast.FieldAccess):
            base = self._part_type(expr.target)
            return None if base is None else self._field_type(expr, base)
        if isinstance(expr, ast.IndexAccess):
            base = self._part_type(expr.target)
            self._index_position(expr.index)
            if base is None:
                return None
            element = element_type(base)
            if element is not None:
                return element
            self.diagnostics.append(
                error(
                    codes.FIELD_OF_SCALAR,
                    expr.span,
                    f"'{path_text(expr.target)}' is {article(base)}, which cannot be indexed",
                    help="only lists (and json) hold items at positions",
                )
            )
            return None
        return self.type_of(expr)

    def _variable_type(self, ident: ast.Ident) -> ty.Type | None:
        if ident.name == "call":
            return ty.CALL
        var = self.variables.get(ident.name)
        if var is not None:
            return var.type
        if ident.name in self.pending_sets:
            return ty.JSON
        if ident.name not in self._reported_names:
            self._reported_names.add(ident.name)
            self.diagnostics.append(self._undefined(ident))
        return None

    def _undefined(self, ident: ast.Ident) -> Diagnostic:
        name = ident.name
        notes: list[Note] = []
        if ty.CALL.field(name) is not None and (name != "outcome" or self.in_after_call):
            suggestion: str | None = f"call.{name}"  # `caller` for `call.caller`
        else:
            suggestion = did_you_mean(name, [*self.variables, "call"])
        fixes = rename_fix(ident.span, name, suggestion, [*self.variables, "call"])
        hint = f"did you mean '{suggestion}'?" if suggestion else None
        owner = self.elsewhere(name)
        if owner is not None:
            notes.append(Note(f"'{name}' is a variable of {owner}"))
            if self.body.kind is BodyKind.ACTION:
                hint = hint or f"an action sees only its inputs: add `input {name}: <type>` " \
                    "and pass it at the run"
        return error(
            codes.UNDEFINED_VARIABLE,
            ident.span,
            f"there is no variable '{name}' in {self.body.describe()}",
            notes=notes,
            help=hint,
            fixes=fixes,
        )

    def _field_type(self, expr: ast.FieldAccess, base: ty.Type) -> ty.Type | None:
        name = expr.field.name
        if base is ty.CALL and name == "outcome" and not self.in_after_call:
            self.diagnostics.append(
                error(
                    codes.OUTCOME_DURING_CALL,
                    expr.span,
                    "'call.outcome' is known only once the call is over",
                    help="read it in the flow's 'after call { ... }' block",
                )
            )
            return None
        found = member_type(base, name)
        if found is not None:
            return found
        # A list of records: the field of each element (member_type), so the element's fields.
        record = base.element if isinstance(base, ty.ListOf) else base
        if isinstance(record, ty.Record | ty.RunResult):
            names = record.field_names if isinstance(record, ty.RunResult) else [
                n for n, _ in record.fields]
            self.diagnostics.append(_unknown_field(expr, record, names))
            return None
        self.diagnostics.append(
            error(
                codes.FIELD_OF_SCALAR,
                expr.field.span,
                f"'{path_text(expr.target)}' is {article(base)}, which has no fields",
                help="a datetime has only '.date' and '.time'" if base == ty.DATETIME
                else f"'.{name}' reads a field of a record (or of json)",
            )
        )
        return None


    # -- operators, functions, formats --------------------------------------------

    def _arithmetic(self, expr: ast.Arithmetic, guarded: bool) -> ty.Type:
        left = self.type_of(expr.left, guarded=guarded)
        right = self.type_of(expr.right, guarded=guarded)
        found = ty.arithmetic(expr.op.value, left, right)
        if found is None:
            self.diagnostics.append(_cannot_combine(expr, left, right))
            return ty.JSON
        if found == ty.DATE and ty.DURATION in (left, right):
            self._whole_days(expr, expr.right if right == ty.DURATION else expr.left)
        return found

    def _whole_days(self, expr: ast.Arithmetic, duration: ast.Expr) -> None:
        """A date moves by whole days; a literal of hours or minutes says the author meant a
        datetime (a duration held in a variable is checked when the step runs)."""
        literal = duration.operand if isinstance(duration, ast.Negative) else duration
        if isinstance(literal, ast.DurationLit) and literal.milliseconds % _DAY_MS:
            self.diagnostics.append(
                error(
                    codes.PART_OF_A_DAY_ON_A_DATE,
                    literal.span,
                    "a date moves by whole days, but this duration is part of a day",
                    notes=[Note(f"'{expr.op.value}' here gives a date", expr.span)],
                    help="to move by hours or minutes, start from a datetime: `now + 2 h`",
                )
            )

    def _negative(self, expr: ast.Negative, guarded: bool) -> ty.Type:
        operand = self.type_of(expr.operand, guarded=guarded)
        found = ty.negated(operand)
        if found is None:
            self.diagnostics.append(
                error(
                    codes.CANNOT_COMBINE,
                    expr.span,
                    f"'-' cannot negate {article(operand)}",
                    help="only numbers and durations have a negative",
                )
            )
            return ty.JSON
        return found

    def _function_call(self, expr: ast.FunctionCall, guarded: bool) -> ty.Type:
        args = [self.type_of(arg, guarded=guarded) for arg in expr.args]
        name = expr.function.name
        if name not in BUILTIN_FUNCTIONS:
            suggestion = did_you_mean(name, BUILTIN_FUNCTIONS)
            self.diagnostics.append(
                error(
                    codes.UNKNOWN_FUNCTION,
                    expr.function.span,
                    f"there is no function '{name}'",
                    notes=[Note("the functions: " + ", ".join(BUILTIN_FUNCTIONS))],
                    help=f"did you mean '{suggestion}'?" if suggestion
                    else "compute it in a `code` step with a `python` function",
                    fixes=rename_fix(expr.function.span, name, suggestion, BUILTIN_FUNCTIONS),
                )
            )
            return ty.JSON
        # `len` is the only built-in function: the length of a list or a text.
        if len(args) != 1 or not _has_length(args[0]):
            shown = ", ".join(article(t) for t in args) or "nothing"
            self.diagnostics.append(
                error(
                    codes.FUNCTION_ARGUMENTS,
                    expr.span,
                    f"'len' takes one list or text, but this gives it {shown}",
                    help="write len(items) for the number of items of a list, or of "
                    "characters of a text",
                )
            )
        return ty.NUMBER

    def _formatted(self, expr: ast.Formatted, guarded: bool) -> ty.Type:
        value = self.type_of(expr.value, guarded=guarded)
        name = expr.format.name
        fits = ty.FORMATS.get(name)
        if fits is None:
            if name:  # an empty name stands for a type the parser already refused
                self.diagnostics.append(_unknown_format(expr.format, value))
        elif value != ty.JSON and value not in fits:
            fitting = [f for f, types in ty.FORMATS.items() if value in types]
            self.diagnostics.append(
                error(
                    codes.FORMAT_DOES_NOT_FIT,
                    expr.span,
                    f"'as {name}' formats {_one_of(fits)}, but this is {article(value)}",
                    help=f"for {article(value)}, write " + " or ".join(
                        f"`as {f}`" for f in fitting) if fitting
                    else f"{article(value)} is said as it is: leave out 'as {name}'",
                )
            )
        # A format renders the value: the text of a secret stays secret.
        return ty.SECRET if ty.holds_secret(value) else ty.TEXT

    def _index_position(self, position: ast.Expr) -> None:
        found = self.type_of(position)
        if found not in (ty.NUMBER, ty.JSON):
            self.diagnostics.append(
                error(
                    codes.VALUE_TYPE,
                    position.span,
                    f"an index must be a number, but this is {article(found)}",
                    help="items are counted from 0: items[0] is the first",
                )
            )


def _mixed_list(
    expr: ast.ListLit, first: ty.Type, item: ast.Expr, item_type: ty.Type
) -> Diagnostic:
    return error(
        codes.MIXED_LIST,
        item.span,
        f"this list holds {article(first)} and then {article(item_type)}: "
        "the items of a list have one type",
        notes=[Note("in this list", expr.span)],
        help="make the items one type, or use a record for values of different kinds "
        "(a request's body may send a mixed list: there it is JSON)",
    )


def _never_an_option(
    what: str,
    variable: Variable,
    options: Sequence[str],
    text: ast.StringLit,
    op: ast.CompareOp,
) -> Diagnostic:
    written = text.plain_text
    listed = " or ".join(json.dumps(option) for option in options)
    outcome = {
        ast.CompareOp.EQ: "this comparison is never true",
        ast.CompareOp.NE: "this comparison is always true",
    }.get(op, "this item of the list never matches")
    by_lower = {option.lower(): option for option in options}
    meant = by_lower.get(written.lower()) or did_you_mean(written, options)
    fixes = (
        (Fix(f"compare with {json.dumps(meant)}", (Edit(text.span, json.dumps(meant)),),
             Applicability.MACHINE_APPLICABLE if meant.lower() == written.lower()
             else Applicability.SUGGESTION),)
        if meant is not None else ()
    )
    return warning(
        codes.NEVER_AN_OPTION,
        text.span,
        f"'{what}' is always one of its options ({listed}), never "
        f"{json.dumps(written)}: {outcome}",
        notes=[Note(f"'{what}' gets its options here", variable.span)],
        help=f"did you mean {json.dumps(meant)}?" if meant else
        f"compare with one of the options, or add {json.dumps(written)} to them",
        fixes=fixes,
    )


_DAY_MS = 86_400_000
BUILTIN_FUNCTIONS = ("len",)


def _has_length(t: ty.Type) -> bool:
    return isinstance(t, ty.ListOf) or t == ty.JSON or ty.is_assignable(t, ty.TEXT)


def _one_of(types: frozenset[ty.Type]) -> str:
    shown = sorted(ty.display(t) for t in types)
    return "a " + " or a ".join(shown) if len(shown) < 3 else "a " + ", a ".join(shown)


def _unknown_format(written: ast.Ident, value: ty.Type) -> Diagnostic:
    formats = list(ty.FORMATS)
    suggestion = did_you_mean(written.name, formats)
    fitting = [f for f, types in ty.FORMATS.items() if value in types]
    return error(
        codes.UNKNOWN_FORMAT,
        written.span,
        f"there is no format '{written.name}'",
        notes=[Note("the formats: " + ", ".join(formats))],
        help=f"did you mean '{suggestion}'?" if suggestion else (
            f"for {article(value)}: " + ", ".join(fitting) if fitting else None),
        fixes=rename_fix(written.span, written.name, suggestion, formats),
    )


_CANNOT_COMBINE_HELP = (
    "'+ - * /' compute numbers; '+' joins texts; a date, time or datetime moves by a "
    "duration (`today + 7 days`, `now - 2 h`), and two of one kind differ by a duration"
)


def _cannot_combine(expr: ast.Arithmetic, left: ty.Type, right: ty.Type) -> Diagnostic:
    op = expr.op.value
    help = _CANNOT_COMBINE_HELP
    if op == "+" and ty.TEXT in (left, right) and ty.NUMBER in (left, right):
        help = f"put the number in the text with a template: {_as_template(expr)}"
    elif {left, right} & ty.MOMENTS and ty.NUMBER in (left, right):
        help = "say the unit of the number: `+ 7 days`, `- 2 h`, `+ 30 minutes`"
    elif {left, right} == {ty.DATE, ty.DATETIME}:
        help = "take the datetime's day first: `moment.date`"
    return error(
        codes.CANNOT_COMBINE,
        expr.span,
        f"'{op}' cannot combine {article(left)} and {article(right)}",
        help=help,
    )


def _as_template(expr: ast.Arithmetic) -> str:
    """`"Room " + room` written as the template it means: `"Room {{room}}"`."""
    parts = []
    for side in (expr.left, expr.right):
        if isinstance(side, ast.StringLit) and side.is_plain:
            parts.append(side.plain_text.replace('"', '\\"'))
        elif isinstance(side, ast.Name | ast.FieldAccess):
            parts.append("{{" + path_text(side) + "}}")
        else:
            return '"... {{value}} ..."'
    return '"' + "".join(parts) + '"'


def moment_fix(expr: ast.Expr, wanted: ty.Type) -> tuple[str, tuple[Fix, ...]] | None:
    """For a plain string that holds a date, time or datetime where one is wanted
    (`t < "17:00"`), the help and the fix that write it as the literal (`17:00`)."""
    if not (isinstance(expr, ast.StringLit) and expr.is_plain):
        return None
    literal = ty.moment_literal(expr.plain_text, wanted)
    if literal is None:
        return None
    kind = ty.display(wanted)
    fix = Fix(
        f"write the {kind} literal {literal}",
        (Edit(expr.span, literal),),
        Applicability.MACHINE_APPLICABLE,
    )
    return f"a {kind} is written without quotes: {literal}", (fix,)


def names_read(expr: ast.Expr) -> Iterator[ast.Name]:
    """The variables an expression reads, in source order (`call` is not a variable)."""
    for node in walk(expr):
        if isinstance(node, ast.Name) and node.ident.name != "call":
            yield node


def member_type(base: ty.Type, name: str) -> ty.Type | None:
    """The type of `.name` of a value of type `base`; None when it has no such field."""
    if base == ty.JSON:
        return ty.JSON
    if isinstance(base, ty.Record | ty.RunResult):
        return base.field(name)
    if base == ty.DATETIME:
        return DATETIME_PARTS.get(name)
    if isinstance(base, ty.ListOf) and isinstance(base.element, ty.Record | ty.ListOf):
        # The field of every element: `r.slots.start` of a list[{start: time}] is a list[time].
        found = member_type(base.element, name)
        return ty.ListOf(found) if found is not None else None
    return None


# `.date` and `.time` of a datetime: its day, and its time of day.
DATETIME_PARTS: dict[str, ty.Type] = {"date": ty.DATE, "time": ty.TIME}


def element_type(base: ty.Type) -> ty.Type | None:
    """The type of `[n]` of a value of type `base`; None when it holds no items."""
    if base == ty.JSON:
        return ty.JSON
    if isinstance(base, ty.ListOf):
        return base.element
    return None


def path_text(expr: ast.Expr) -> str:
    """A path as written: `book.meeting_link`, `slots[0]`."""
    if isinstance(expr, ast.Name):
        return expr.ident.name
    if isinstance(expr, ast.FieldAccess):
        return f"{path_text(expr.target)}.{expr.field.name}"
    if isinstance(expr, ast.IndexAccess):
        position = expr.index
        shown = position.value if isinstance(position, ast.NumberLit) else path_text(position)
        return f"{path_text(expr.target)}[{shown}]"
    return "this value"


def article(t: ty.Type) -> str:
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


def _unrelated(expr: ast.Compare, left: ty.Type, right: ty.Type) -> Diagnostic:
    return error(
        codes.UNRELATED_COMPARISON,
        expr.span,
        f"'{expr.op.value}' compares {article(left)} with {article(right)}: "
        "they can never be equal",
        **_sides_literal_help(expr, left, right, "compare values of the same type"),
    )


def _unordered(expr: ast.Compare, left: ty.Type, right: ty.Type) -> Diagnostic:
    return error(
        codes.ORDERING_CANNOT_HOLD,
        expr.span,
        f"'{expr.op.value}' cannot order {article(left)} and {article(right)}",
        **_sides_literal_help(
            expr,
            left,
            right,
            "order numbers, dates, times, datetimes, durations or texts, each with its own "
            "kind (a date also with a datetime)",
        ),
    )


class _Help(TypedDict):
    help: str
    fixes: tuple[Fix, ...]


def _literal_help(written: ast.Expr, wanted: ty.Type, otherwise: str) -> _Help:
    """The help of a diagnostic where `written` should have been of type `wanted`: when it
    is a quoted date or time, to write it as a literal, with the fix that does."""
    found = moment_fix(written, wanted)
    if found is not None:
        return {"help": found[0], "fixes": found[1]}
    example = _MOMENT_EXAMPLES.get(wanted)
    if example is not None:
        otherwise += f", e.g. {example}"
    return {"help": otherwise, "fixes": ()}


def _sides_literal_help(
    expr: ast.Compare, left: ty.Type, right: ty.Type, otherwise: str
) -> _Help:
    """`_literal_help` for a comparison: either side may be the quoted one."""
    if left in ty.MOMENTS:
        return _literal_help(expr.right, left, otherwise)
    return _literal_help(expr.left, right, otherwise)


_MOMENT_EXAMPLES: dict[ty.Type, str] = {
    ty.DATE: "`2030-03-14` or `today`",
    ty.TIME: "`17:00`",
    ty.DATETIME: "`2030-03-14T17:00` or `now`",
}


def _unknown_field(
    expr: ast.FieldAccess, base: ty.Record | ty.RunResult, names: Sequence[str]
) -> Diagnostic:
    name = expr.field.name
    suggestion = did_you_mean(name, names)
    if isinstance(base, ty.RunResult):
        message = f"no output of {base.action} has a field '{name}'"
    else:
        message = f"'{path_text(expr.target)}' has no field '{name}'"
    return error(
        codes.UNKNOWN_FIELD,
        expr.field.span,
        message,
        notes=[Note(f"its fields: {', '.join(names) or 'none'}")],
        help=f"did you mean '{suggestion}'?" if suggestion else None,
        fixes=rename_fix(expr.field.span, name, suggestion, names),
    )

