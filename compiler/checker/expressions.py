"""Typing the expressions of one body, and recording which variables each step reads.

Every expression gets a type (types.py); a mistake in it is reported once and
the expression then counts as `json`, which fits anywhere, so that one mistake
does not cascade. Every type is recorded (`types`, for the model), so nothing
after this types an expression again: not the secret checks, not codegen.
Each read of a variable is recorded as a `Use` with the step (or default
handler) it belongs to, for the definite-assignment analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .. import ast, codes
from .. import types as ty
from ..diagnostics import Diagnostic, Note, did_you_mean, error, rename_fix
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
    # In the arguments of a handler's target (`on Fail -> Fail(reason = r.why)`): read
    # on that handler's edge, after the step, rather than before the step.
    clause: ast.Handler | None
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
        self.clause: ast.Handler | None = None
        # Variables assigned by a `set` not yet typed (they read as json until then).
        self.pending_sets: set[str] = set()
        # The type of every expression typed, for the model: codegen reads it.
        self.types: ByNode[ast.Expr, ty.Type] = ByNode()
        # Paths read before the `set` of their variable was typed (see `settle`).
        self._deferred: list[ast.Name | ast.FieldAccess | ast.IndexAccess] = []
        self._reported_names: set[str] = set()

    @property
    def in_after_call(self) -> bool:
        return self.body.kind is BodyKind.AFTER_CALL

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
            case ast.ListLit():
                return self._list(expr, guarded)
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
        for item in expr.items:
            item_type = self.type_of(item, guarded=guarded)
            element = item_type if element is None else (ty.join(element, item_type) or ty.JSON)
        return ty.ListOf(element or ty.JSON)

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
        elif op is ast.CompareOp.IN:
            if not _membership_ok(left, right):
                self.diagnostics.append(
                    error(
                        codes.ORDERING_CANNOT_HOLD,
                        expr.span,
                        f"'in' looks for {article(left)} in {article(right)}, which cannot hold it",
                        help="the right side of `in` is a list like `[\"a\", \"b\"]`",
                    )
                )
        elif not (ty.is_ordered(left) and ty.is_ordered(right) and ty.comparable(left, right)):
            self.diagnostics.append(
                error(
                    codes.ORDERING_CANNOT_HOLD,
                    expr.span,
                    f"'{op.value}' cannot order {article(left)} and {article(right)}",
                    help="order numbers, dates, times, datetimes or texts, each with its own kind",
                )
            )
        return ty.BOOL

    def _fallback(self, expr: ast.Fallback, guarded: bool, in_template: bool) -> ty.Type:
        left = self.type_of(expr.left, guarded=True, in_template=in_template)
        # In `a ?? b ?? "none"` (read `(a ?? b) ?? "none"`) b is guarded by the outer `??`.
        right = self.type_of(expr.right, guarded=guarded, in_template=in_template)
        joined = ty.join(left, right)
        if joined is not None:
            return joined
        if in_template:
            # Both sides are rendered as text anyway: `{{score ?? "none"}}` is fine.
            return ty.SECRET if ty.holds_secret(left) or ty.holds_secret(right) else ty.TEXT
        self.diagnostics.append(
            error(
                codes.FALLBACK_TYPE,
                expr.span,
                f"the two sides of '??' have different types: {ty.display(left)} and "
                f"{ty.display(right)}",
                help=f"make the fallback {article(left)}",
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
        if isinstance(base, ty.Record | ty.RunResult):
            names = base.field_names if isinstance(base, ty.RunResult) else [
                n for n, _ in base.fields]
            self.diagnostics.append(_unknown_field(expr, base, names))
            return None
        self.diagnostics.append(
            error(
                codes.FIELD_OF_SCALAR,
                expr.field.span,
                f"'{path_text(expr.target)}' is {article(base)}, which has no fields",
                help=f"'.{name}' reads a field of a record (or of json)",
            )
        )
        return None


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
    return None


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
        return f"{path_text(expr.target)}[{expr.index}]"
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
        help="compare values of the same type",
    )


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

