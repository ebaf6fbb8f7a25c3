"""Semantic types: what the checker knows about a value, and how types relate.

Relations (documented in docs/diagnostics.md, "Types"):
- `json` is compatible with everything, both ways: it is the type of data whose
  shape the program did not declare, so the runtime checks it when it is used.
- `phone` and `email` are assignable to `text` (every phone number is a text),
  not the other way round; a plain string literal that looks like a phone
  number or an email address is accepted where one is expected.
- `text` is assignable to `secret` (a literal key), never the reverse: a secret
  must not leak into something that is spoken, sent or logged.
- records are structural: a record fits another when it has every field the
  other declares, each assignable; lists follow their elements.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowc_runtime.values import ASSIGNABLE_TO_TEXT, ValueType
from flowc_runtime.values import COLLECTABLE as COLLECTABLE_TYPES

from . import ast


@dataclass(frozen=True, slots=True)
class Scalar:
    name: str


@dataclass(frozen=True, slots=True)
class ListOf:
    element: Type


@dataclass(frozen=True, slots=True)
class Record:
    fields: tuple[tuple[str, Type], ...]

    def field(self, name: str) -> Type | None:
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None


@dataclass(frozen=True, slots=True)
class RunResult:
    """The variable of a `run`: the fields of whichever output the action left through."""

    action: str
    outputs: tuple[tuple[str, Record], ...]

    def field(self, name: str) -> Type | None:
        """The field's type when every output declaring it agrees; json when they differ."""
        found = [record.field(name) for _, record in self.outputs]
        types = {t for t in found if t is not None}
        if not types:
            return None
        return types.pop() if len(types) == 1 else JSON

    def outputs_with(self, name: str) -> tuple[str, ...]:
        return tuple(out for out, record in self.outputs if record.field(name) is not None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _, r in self.outputs for name, _ in r.fields))


Type = Scalar | ListOf | Record | RunResult

# The value types the runtime knows too, by the names it shares (flowc_runtime.values).
TEXT = Scalar(ValueType.TEXT.value)
NUMBER = Scalar(ValueType.NUMBER.value)
BOOL = Scalar(ValueType.BOOL.value)
DATE = Scalar(ValueType.DATE.value)
TIME = Scalar(ValueType.TIME.value)
DATETIME = Scalar(ValueType.DATETIME.value)
PHONE = Scalar(ValueType.PHONE.value)
EMAIL = Scalar(ValueType.EMAIL.value)
SECRET = Scalar(ValueType.SECRET.value)
JSON = Scalar(ValueType.JSON.value)
# Only literals have this type; it appears in `timeout` clauses, never in variables.
DURATION = Scalar("duration")

_TEXT_LIKE = frozenset(Scalar(name.value) for name in ASSIGNABLE_TO_TEXT)
# What the runtime's understanding turns spoken words into (LANGUAGE.md section 6).
COLLECTABLE = tuple(Scalar(name.value) for name in COLLECTABLE_TYPES)
_ORDERED = frozenset({NUMBER, DATE, TIME, DATETIME, DURATION, TEXT, JSON})

# The built-in `call` record; `outcome` exists only in `after call` (checked by the caller).
CALL = Record(
    (
        ("caller", PHONE),
        ("callee", PHONE),
        ("id", TEXT),
        ("started_at", DATETIME),
        ("outcome", TEXT),
    )
)


def from_syntax(type_expr: ast.TypeExpr) -> Type:
    """The semantic type a written type denotes (the parser admits only known names)."""
    if isinstance(type_expr, ast.NamedType):
        return Scalar(type_expr.name)
    if isinstance(type_expr, ast.ListType):
        return ListOf(from_syntax(type_expr.element))
    return Record(tuple((f.name.name, from_syntax(f.type)) for f in type_expr.fields))


def display(t: Type) -> str:
    """A type the way the user would write it."""
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, ListOf):
        return f"list[{display(t.element)}]"
    if isinstance(t, Record):
        inner = ", ".join(f"{name}: {display(ft)}" for name, ft in t.fields)
        return "{" + inner + "}"
    return f"the result of {t.action}"


def is_assignable(source: Type, target: Type) -> bool:
    """Whether a value of type `source` may go where `target` is expected."""
    if source == target or JSON in (source, target):
        return True
    if target == TEXT:
        return source in _TEXT_LIKE
    if target == SECRET:
        return source in _TEXT_LIKE
    if isinstance(source, ListOf) and isinstance(target, ListOf):
        return is_assignable(source.element, target.element)
    if isinstance(source, Record) and isinstance(target, Record):
        return all(
            (found := source.field(name)) is not None and is_assignable(found, expected)
            for name, expected in target.fields
        )
    return False


def comparable(left: Type, right: Type) -> bool:
    """Whether `==`/`!=` between the two can ever be true.

    phone == text is fine (a text may hold a phone number); phone == email is not:
    no phone number is an email address.
    """
    return is_assignable(left, right) or is_assignable(right, left)


def is_ordered(t: Type) -> bool:
    """Whether `<`, `<=`, `>`, `>=` mean something for values of this type."""
    return t in _ORDERED


def join(left: Type, right: Type) -> Type | None:
    """The type of `left ?? right`, or None when no single type holds both."""
    if left == JSON:
        return right
    if is_assignable(right, left):
        return left
    if is_assignable(left, right):
        return right
    return None


def holds_secret(t: Type) -> bool:
    """Whether a value of this type is, or contains, a secret."""
    if t == SECRET:
        return True
    if isinstance(t, ListOf):
        return holds_secret(t.element)
    if isinstance(t, Record):
        return any(holds_secret(ft) for _, ft in t.fields)
    if isinstance(t, RunResult):
        return any(holds_secret(r) for _, r in t.outputs)
    return False
