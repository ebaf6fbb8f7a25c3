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

import re
from dataclasses import dataclass
from datetime import date

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
# A length of time (`2 h`, `7 days`, `now - call.started_at`), held as milliseconds.
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


MOMENTS = frozenset({DATE, TIME, DATETIME})
_TEXT_CONCATENATED = frozenset({TEXT, PHONE, EMAIL})


def can_order(left: Type, right: Type) -> bool:
    """Whether `<`, `<=`, `>`, `>=` can compare the two: values of one ordered kind, or a
    date with a datetime (compared with the datetime's day)."""
    if {left, right} == {DATE, DATETIME}:
        return True
    return is_ordered(left) and is_ordered(right) and comparable(left, right)


def arithmetic(op: str, left: Type, right: Type) -> Type | None:
    """The type of `left op right` (op is + - * /), or None when it means nothing.

    Numbers compute; texts (`+` only) join; durations add, subtract, scale by a number
    and divide (by a number: a duration; by a duration: how many times it fits); a
    date, time or datetime moves by a duration, and two of one kind differ by one. A
    json side stands for whichever operand makes sense there (checked when it runs).
    """
    if JSON in (left, right):
        other = right if left == JSON else left
        if other == JSON:
            return JSON
        candidates = (other, DURATION, NUMBER)
        found = (
            _arithmetic(op, c, other) if left == JSON else _arithmetic(op, other, c)
            for c in candidates
        )
        return next((t for t in found if t is not None), None)
    return _arithmetic(op, left, right)


def _arithmetic(op: str, left: Type, right: Type) -> Type | None:
    if left == NUMBER and right == NUMBER:
        return NUMBER
    if op == "+" and SECRET in (left, right) and {left, right} <= _TEXT_CONCATENATED | {SECRET}:
        return SECRET  # a secret joined to a text is still a secret
    if op == "+" and left in _TEXT_CONCATENATED and right in _TEXT_CONCATENATED:
        return TEXT
    if op in "+-" and left == right == DURATION:
        return DURATION
    if op in "+-" and left in MOMENTS and right == DURATION:
        return left
    if op == "+" and left == DURATION and right in MOMENTS:
        return right
    if op == "-" and left == right and left in MOMENTS:
        return DURATION
    if op == "*" and {left, right} == {DURATION, NUMBER}:
        return DURATION
    if op == "/" and left == DURATION and right in (NUMBER, DURATION):
        return DURATION if right == NUMBER else NUMBER
    return None


def negated(operand: Type) -> Type | None:
    """The type of `-operand`: numbers and durations only."""
    return operand if operand in (NUMBER, DURATION, JSON) else None


# The formats of `VALUE as FORMAT` (docs/language.md, "Formats"), each with the types it fits.
FORMATS: dict[str, frozenset[Type]] = {
    "money": frozenset({NUMBER}),
    "ordinal": frozenset({NUMBER}),
    "words": frozenset({NUMBER}),
    "number": frozenset({NUMBER}),
    "digits": frozenset({NUMBER, TEXT, PHONE}),
    "date": frozenset({DATE, DATETIME}),
    "time": frozenset({TIME, DATETIME}),
    "datetime": frozenset({DATETIME}),
    "duration": frozenset({DURATION}),
}


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


# The written forms of date and time literals (grammar/flow.lark: DATE, TIME, DATETIME).
_MOMENT_FORMS = {
    "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "time": re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"),
    "datetime": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"),
}


def iso_moment(written: str, kind: str) -> str:
    """The ISO text the runtime keeps for a literal of a date, time or datetime written in
    its form (`9:30` is "09:30"); a ValueError saying what is wrong for one that does not
    exist (`2030-02-30`, `25:00`)."""
    if kind == "date":
        return date.fromisoformat(written).isoformat()
    if kind == "time":
        return _iso_time(written)
    day, _, moment = written.partition("T")
    return f"{date.fromisoformat(day).isoformat()}T{_iso_time(moment)}"


def _iso_time(written: str) -> str:
    hour, minute, *second = (int(part) for part in written.split(":"))
    if hour > 23:
        raise ValueError("hour must be in 0..23")
    if minute > 59:
        raise ValueError("minute must be in 0..59")
    if second and second[0] > 59:
        raise ValueError("second must be in 0..59")
    return f"{hour:02d}:{minute:02d}" + (f":{second[0]:02d}" if second else "")


def moment_literal(text: str, t: Type) -> str | None:
    """The literal to write for a text that holds a date, time or datetime of type `t`
    ("17:00" for a time is `17:00`); None when it holds none."""
    if not isinstance(t, Scalar) or t not in MOMENTS:
        return None
    written = text.strip()
    if not _MOMENT_FORMS[t.name].fullmatch(written):
        return None
    try:
        return iso_moment(written, t.name)
    except ValueError:
        return None
