"""Lowering expressions: a typed .flow expression to the Python source that computes it.

The value of every expression is JSON at run time (`bool` for conditions), made
by the typed functions of `flowc_runtime.ops`. Where an operator means different
things for different types (`+` on numbers, on texts, on a date and a duration;
`<` on numbers or on times), the types the checker recorded for the operands
choose the function: nothing is typed again here. Dates and times are ISO text
at run time, so the functions that move, subtract and order them are told
which of the three kinds they hold.

Every string the source provides reaches Python through `repr()`, never by
pasting text into code; variables are dict keys, never Python names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .. import ast
from .. import types as ty
from ..types import Type

CALL_BUILTINS = frozenset({"caller", "callee", "id", "started_at", "outcome"})
COMPARE_FUNCTIONS = {
    ast.CompareOp.EQ: "ops.eq",
    ast.CompareOp.NE: "ops.ne",
    ast.CompareOp.LT: "ops.lt",
    ast.CompareOp.LE: "ops.le",
    ast.CompareOp.GT: "ops.gt",
    ast.CompareOp.GE: "ops.ge",
    ast.CompareOp.IN: "ops.contains",
}
ARITHMETIC_FUNCTIONS = {
    ast.ArithOp.ADD: "ops.add",
    ast.ArithOp.SUB: "ops.sub",
    ast.ArithOp.MUL: "ops.mul",
    ast.ArithOp.DIV: "ops.div",
}
BOOLEAN_EXPRS = (ast.Compare, ast.Logic, ast.Not, ast.BoolLit)


class ExpressionLowerer:
    """Lowers the expressions of one body, reading the types the checker gave them."""

    def __init__(self, types: Mapping[ast.Expr, Type]) -> None:
        self.types = types

    def textual(self, expr: ast.Expr) -> str:
        """An expression whose value is used as text by a machine (a URL, a header, an
        address)."""
        if isinstance(expr, ast.StringLit):
            return self.lower(expr)
        return f"ops.render({self.lower(expr)})"

    def condition(self, expr: ast.Expr) -> str:
        """An expression used as a condition: a Python bool."""
        if isinstance(expr, BOOLEAN_EXPRS):
            return self.lower(expr)
        return f"ops.truthy({self.lower(expr)})"

    def args(self, args: Sequence[ast.Arg]) -> str:
        """`name = value, ...` as a dict of the values by name."""
        return "{" + ", ".join(f"{a.name.name!r}: {self.lower(a.value)}" for a in args) + "}"

    def lower(self, expr: ast.Expr) -> str:
        """Python source for an expression; its value is JSON (`bool` for conditions)."""
        match expr:
            case ast.StringLit():
                return self._string(expr)
            case ast.NumberLit(value=value):
                return _number(value)
            case ast.BoolLit(value=value):
                return "True" if value else "False"
            case ast.DurationLit(milliseconds=milliseconds):
                return repr(milliseconds)
            case ast.MomentLit(iso=iso):
                return repr(iso)
            case ast.Clock(word=word):
                return f"call.{word.value}()"
            case ast.ListLit(items=items):
                return "[" + ", ".join(self.lower(item) for item in items) + "]"
            case ast.RecordLit(fields=fields):
                entries = ", ".join(f"{f.name.name!r}: {self.lower(f.value)}" for f in fields)
                return "{" + entries + "}"
            case ast.Name(ident=ident):
                return f"v.get({ident.name!r})"
            case ast.FieldAccess():
                return self._field(expr)
            case ast.IndexAccess(target=target, index=position):
                return f"ops.index({self.lower(target)}, {self.lower(position)})"
            case ast.FunctionCall(args=args):
                # `len` is the only built-in function (the checker refuses any other).
                return f"ops.length({', '.join(self.lower(arg) for arg in args)})"
            case ast.Arithmetic():
                return self._arithmetic(expr)
            case ast.Negative(operand=operand):
                return f"ops.negative({self.lower(operand)})"
            case ast.Formatted(value=value, format=format_name):
                return f"call.formatted({self.lower(value)}, {format_name.name!r})"
            case ast.Compare():
                return self._compare(expr)
            case ast.Logic(op=op, left=left, right=right):
                return f"({self.condition(left)} {op.value} {self.condition(right)})"
            case ast.Not(operand=operand):
                return f"(not {self.condition(operand)})"
            case ast.Fallback(left=left, right=right):
                return f"ops.fallback({self.lower(left)}, {self.lower(right)})"
            case ast.EnvRef(variable=variable, as_type=as_type):
                return _env(variable, as_type)

    def _field(self, expr: ast.FieldAccess) -> str:
        target, name = expr.target, expr.field.name
        if isinstance(target, ast.Name) and target.ident.name == "call" and name in CALL_BUILTINS:
            return f"call.{name}"
        if self.types.get(target) == ty.DATETIME:
            return f"ops.moment_part({self.lower(target)}, {name!r})"
        # A list's field is its elements' (ops.field maps over a list).
        return f"ops.field({self.lower(target)}, {name!r})"

    def _arithmetic(self, expr: ast.Arithmetic) -> str:
        left, right = self.lower(expr.left), self.lower(expr.right)
        left_type, right_type = self.types[expr.left], self.types[expr.right]
        result = self.types[expr]
        if result in ty.MOMENTS:
            # A moment moved by a duration; `7 days + today` has the moment on the right.
            if left_type in ty.MOMENTS or right_type not in ty.MOMENTS:
                moment, duration = left, right
            else:
                moment, duration = right, left
            mover = "ops.later" if expr.op is ast.ArithOp.ADD else "ops.earlier"
            return f"{mover}({moment}, {duration}, {_kind(result)})"
        moments = [t for t in (left_type, right_type) if t in ty.MOMENTS]
        if expr.op is ast.ArithOp.SUB and moments:
            return f"ops.between({left}, {right}, {_kind(moments[0])})"
        return f"{ARITHMETIC_FUNCTIONS[expr.op]}({left}, {right})"

    def _compare(self, expr: ast.Compare) -> str:
        function = COMPARE_FUNCTIONS[expr.op]
        left, right = self.lower(expr.left), self.lower(expr.right)
        left_type, right_type = self.types[expr.left], self.types[expr.right]
        if expr.op is ast.CompareOp.IN:
            item = _moment_shape(left_type)
            with_item = f", {item}" if item is not None else ""
            return f"{function}({left}, {right}{with_item})"
        if {left_type, right_type} == {ty.DATE, ty.DATETIME}:
            # A date with a datetime: with the datetime's day.
            if left_type == ty.DATETIME:
                left = f"ops.moment_part({left}, 'date')"
            else:
                right = f"ops.moment_part({right}, 'date')"
            return f"{function}({left}, {right}, 'date')"
        moment = next((t for t in (left_type, right_type) if t in ty.MOMENTS), None)
        if moment is not None:
            # Ordered, and equal, by value: "9:30" is before "17:00", and "17:00" is "17:00:00".
            return f"{function}({left}, {right}, {_kind(moment)})"
        nested = _moment_shape(left_type) or _moment_shape(right_type)
        if nested is not None:  # lists or records of dates or times, equal by value
            return f"{function}({left}, {right}, {nested})"
        return f"{function}({left}, {right})"

    def _string(self, literal: ast.StringLit) -> str:
        if literal.is_plain:
            return repr(literal.plain_text)
        parts = [
            repr(part.text) if isinstance(part, ast.TextPart) else self.lower(part.expr)
            for part in literal.parts
        ]
        return f"ops.text({', '.join(parts)})"


def _moment_shape(t: Type) -> str | None:
    """The run-time shape (ops.Shape) of a type that holds dates or times, at any depth,
    as Python source, for ops.eq and ops.contains to compare those by value; None when
    it holds none."""
    if t in ty.MOMENTS:
        return _kind(t)
    if isinstance(t, ty.ListOf):
        item = _moment_shape(t.element)
        return None if item is None else f"[{item}]"
    if isinstance(t, ty.Record):
        fields = [(name, _moment_shape(field)) for name, field in t.fields]
        kept = [f"{name!r}: {shape}" for name, shape in fields if shape is not None]
        return "{" + ", ".join(kept) + "}" if kept else None
    return None


def _kind(t: Type) -> str:
    """The kind of a date or time type, as ops functions take it."""
    return repr(ty.display(t))


def shape(type_expr: ast.TypeExpr) -> str:
    """The run-time shape (ops.Shape) of a type, as Python source."""
    match type_expr:
        case ast.NamedType(name=name):
            return repr(name)
        case ast.ListType(element=element):
            return f"[{shape(element)}]"
        case ast.RecordType(fields=fields):
            return "{" + ", ".join(f"{f.name.name!r}: {shape(f.type)}" for f in fields) + "}"


def env_type(as_type: ast.TypeExpr | None) -> str:
    """`env("NAME")` is a secret; `env("NAME") as TYPE` is read as that type."""
    if as_type is None:
        return "secret"
    return as_type.name if isinstance(as_type, ast.NamedType) else "json"


def _env(variable: str, as_type: ast.TypeExpr | None) -> str:
    type_name = env_type(as_type)
    if type_name == "secret":
        return f"call.env_secret({variable!r})"
    if as_type is not None and not isinstance(as_type, ast.NamedType):
        # A list is read from "a, b, c"; a record as JSON of its shape (ops.from_env).
        return f"call.env({variable!r}, {shape(as_type)})"
    if type_name == "text":
        return f"call.env({variable!r})"
    # Dates, times, phones and emails are checked for their written form.
    return f"call.env({variable!r}, {type_name!r})"


def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)
