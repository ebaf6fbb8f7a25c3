"""Expression helpers for generated code: every .flow operator as a typed function.

Variables hold JSON values (`JSON` in services.py), so an expression like
`book.meeting_link ?? "none"` becomes `ops.fallback(ops.field(v.get("book"),
"meeting_link"), "none")` and type-checks under mypy --strict without casts.

Undefined and JSON null are the same thing here: `None`. The checker proves a
variable is assigned before it is read, so `None` only shows up where the
language allows it (the left side of `??`, a field an API left out).

An operation that makes no sense at run time (ordering a number against a text)
raises `FlowFault`; the driver reports it as `file.flow:LINE: message`.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Awaitable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeAlias, TypeGuard, TypeVar

from .services import JSON
from .values import TEXT_LIKE, ValueType

# The run-time form of a .flow type, for `expect` and `code` results: a scalar
# type name (a `ValueType`: "text", "number", ...), a one-element list for
# `list[T]`, or a dict of field shapes for a record.
Shape: TypeAlias = str | list["Shape"] | dict[str, "Shape"]

T = TypeVar("T")


class FlowFault(Exception):
    """A runtime fault in the flow's own terms; the message names the values involved."""


# --------------------------------------------------------------------------
# Paths


def field(value: JSON, name: str) -> JSON:
    """`value.name`: the field of a record, or None when it has none; of a list, the
    field of every item (`r.slots.start` of a list of records is a list)."""
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, list):
        return [field(item, name) for item in value]
    return None


def index(value: JSON, position: JSON) -> JSON:
    """`value[position]`: an item of a list, counted from 0, or None when out of range
    (a negative position included: it does not count from the end)."""
    if position is None:
        return None
    if not is_number(position) or position != int(position):
        raise FlowFault(f"an index is a whole number, not {describe(position)}")
    at = int(position)
    if isinstance(value, list) and 0 <= at < len(value):
        return value[at]
    return None


def length(value: JSON) -> int | None:
    """`len(value)`: the items of a list, the characters of a text; undefined of an
    undefined value."""
    if value is None:
        return None
    if isinstance(value, list | str):
        return len(value)
    raise FlowFault(f"len() counts the items of a list or a text, not of {describe(value)}")


def options(value: JSON) -> list[str]:
    """The options of a `collect ... in EXPR`, computed when the step runs: each item's text."""
    if not isinstance(value, list):
        raise FlowFault(f"the options of a collect are a list, not {describe(value)}")
    return [render(item) for item in value]


# --------------------------------------------------------------------------
# Arithmetic (numbers, texts, durations in milliseconds). An undefined operand (an
# unanswered question, a field an API left out) makes the result undefined, so that
# `total + 1 ?? 0` falls back as a whole, as the checker lets it.


def add(left: JSON, right: JSON) -> JSON:
    """`left + right`: numbers add, texts join."""
    if left is None or right is None:
        return None
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return _number_result(_operand(left, "+", right) + _operand(right, "+", left))


def sub(left: JSON, right: JSON) -> JSON:
    if left is None or right is None:
        return None
    return _number_result(_operand(left, "-", right) - _operand(right, "-", left))


def mul(left: JSON, right: JSON) -> JSON:
    if left is None or right is None:
        return None
    return _number_result(_operand(left, "*", right) * _operand(right, "*", left))


def div(left: JSON, right: JSON) -> JSON:
    if left is None or right is None:
        return None
    dividend, divisor = _operand(left, "/", right), _operand(right, "/", left)
    if divisor == 0:
        raise FlowFault(f"division by zero: {describe(left)} / {describe(right)}")
    quotient = dividend / divisor
    # 6 / 3 is 2, as 6 and 3 are: a whole quotient of whole numbers stays whole.
    exact = isinstance(dividend, int) and isinstance(divisor, int) and quotient.is_integer()
    return int(quotient) if exact else _number_result(quotient)


def negative(value: JSON) -> JSON:
    """`-value`."""
    if value is None:
        return None
    if not is_number(value):
        raise FlowFault(f"cannot negate {describe(value)}")
    return -value


def _operand(value: JSON, symbol: str, other: JSON) -> int | float:
    if not is_number(value):
        raise FlowFault(f"cannot compute {describe(value)} {symbol} {describe(other)}")
    return value


def _number_result(value: int | float) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise FlowFault(f"the result {value!r} is not a number a flow can hold")
    return value


# --------------------------------------------------------------------------
# Dates and times: ISO text ("2030-03-14", "17:00", "2030-03-14T17:00"), read as values
# for each operation. A datetime is wall-clock time in the call's zone; an offset
# written with one ("+01:00", an API's "Z") is dropped with it.

DAY_MILLISECONDS = 86_400_000
Moment = date | time | datetime


def moment(value: JSON, kind: str) -> Moment:
    """A date, time or datetime read from its ISO text; a FlowFault when it is none."""
    if isinstance(value, str):
        try:
            if kind == ValueType.DATE:
                return date.fromisoformat(value)
            if kind == ValueType.TIME:
                # An hour of one digit ("9:30") is read as the flow writes it, as "09:30".
                padded = "0" + value if value[1:2] == ":" else value
                return time.fromisoformat(padded).replace(tzinfo=None)
            if kind == ValueType.DATETIME:
                return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            pass
    raise FlowFault(f"{describe(value)} is not a {kind} (ISO text, such as {_EXAMPLES[kind]})")


_EXAMPLES: dict[str, str] = {
    ValueType.DATE: "2030-03-14",
    ValueType.TIME: "17:00",
    ValueType.DATETIME: "2030-03-14T17:00",
}


def iso(value: Moment) -> str:
    """A date, time or datetime as the ISO text the runtime keeps: minutes, and seconds
    only when there are some (finer parts are dropped)."""
    if isinstance(value, datetime):
        return f"{value.date().isoformat()}T{iso(value.time())}"
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return value.isoformat()


def later(value: JSON, duration: JSON, kind: str) -> str | None:
    """`value + duration` for a date, time or datetime. A date moves by whole days; a
    time goes round the clock (23:30 + 1 h is 00:30)."""
    if value is None or duration is None:
        return None
    milliseconds = _milliseconds(duration)
    start = moment(value, kind)
    if isinstance(start, datetime):
        try:
            return iso(start + timedelta(milliseconds=milliseconds))
        except OverflowError:
            raise FlowFault(f"{value} moved by {duration} ms is out of the calendar") from None
    if isinstance(start, time):
        since_midnight = (start.hour * 3600 + start.minute * 60 + start.second) * 1000
        wrapped = int(since_midnight + milliseconds) % DAY_MILLISECONDS // 1000
        return iso(time(wrapped // 3600, wrapped // 60 % 60, wrapped % 60))
    if milliseconds % DAY_MILLISECONDS:
        raise FlowFault(
            f"a date moves by whole days, not by {milliseconds / 3_600_000:g} hours ({value})"
        )
    try:
        return iso(start + timedelta(days=milliseconds // DAY_MILLISECONDS))
    except OverflowError:
        raise FlowFault(f"{value} moved by {duration} ms is out of the calendar") from None


def earlier(value: JSON, duration: JSON, kind: str) -> str | None:
    """`value - duration`."""
    if duration is None:
        return None
    return later(value, -_milliseconds(duration), kind)


def between(left: JSON, right: JSON, kind: str) -> int | None:
    """`left - right` for two dates, times or datetimes: the duration between, in ms."""
    if left is None or right is None:
        return None
    difference = _on_a_line(moment(left, kind)) - _on_a_line(moment(right, kind))
    return int(difference / timedelta(milliseconds=1))


def _on_a_line(value: Moment) -> datetime:
    """A moment as a point of one time line: a date at its midnight, a time on one day."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, time):
        return datetime.combine(date.min, value)
    return datetime.combine(value, time())


def moment_part(value: JSON, part: str) -> str | None:
    """`.date` or `.time` of a datetime; None for an undefined one."""
    if value is None:
        return None
    whole = moment(value, ValueType.DATETIME)
    assert isinstance(whole, datetime)
    return iso(whole.date() if part == "date" else whole.time())


def _milliseconds(duration: JSON) -> int | float:
    if not is_number(duration):
        raise FlowFault(f"a duration is a number of milliseconds, not {describe(duration)}")
    return duration


# --------------------------------------------------------------------------
# Truth, comparison, fallback


def is_empty(value: JSON) -> bool:
    """Undefined, null, "", [] and {} are empty: what `??` replaces."""
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def truthy(value: JSON) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return not is_empty(value)


def fallback(value: JSON, alternative: JSON) -> JSON:
    """`value ?? alternative`."""
    return alternative if is_empty(value) else value


def is_number(value: JSON) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


_MOMENT_KINDS = frozenset({ValueType.DATE, ValueType.TIME, ValueType.DATETIME})


def eq(left: JSON, right: JSON, kind: Shape | None = None) -> bool:
    """JSON equality: `true` is not `1`, and `1` equals `1.0`. Dates and times are equal as
    values ("17:00" is "17:00:00"), wherever `kind`, the shape of the values, says they
    are: "time", or inside a list or a record (`["time"]`, `{"at": "time"}`); a text that
    is not ISO after all is compared as text."""
    is_moment = isinstance(kind, str) and kind in _MOMENT_KINDS
    if is_moment and isinstance(kind, str) and isinstance(left, str) and isinstance(right, str):
        try:
            return moment(left, kind) == moment(right, kind)
        except FlowFault:
            return left == right
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, list) and isinstance(right, list):
        item = kind[0] if isinstance(kind, list) and kind else None
        return len(left) == len(right) and all(
            eq(a, b, item) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        fields = kind if isinstance(kind, dict) else {}
        return left.keys() == right.keys() and all(
            eq(left[k], right[k], fields.get(k)) for k in left
        )
    return left == right


def ne(left: JSON, right: JSON, kind: Shape | None = None) -> bool:
    return not eq(left, right, kind)


def _ordered(left: JSON, right: JSON, symbol: str, kind: str | None) -> tuple[Any, Any]:
    """The two sides as values that order: numbers, dates or times (`kind`), or texts."""
    if kind is not None:
        # By value, never by text: "9:30" is before "17:00", and 6 PM after 5:00 PM.
        return moment(left, kind), moment(right, kind)
    if is_number(left) and is_number(right):
        return float(left), float(right)
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    raise FlowFault(f"cannot compare {describe(left)} {symbol} {describe(right)}")


def lt(left: JSON, right: JSON, kind: str | None = None) -> bool:
    a, b = _ordered(left, right, "<", kind)
    return bool(a < b)


def le(left: JSON, right: JSON, kind: str | None = None) -> bool:
    a, b = _ordered(left, right, "<=", kind)
    return bool(a <= b)


def gt(left: JSON, right: JSON, kind: str | None = None) -> bool:
    a, b = _ordered(left, right, ">", kind)
    return bool(a > b)


def ge(left: JSON, right: JSON, kind: str | None = None) -> bool:
    a, b = _ordered(left, right, ">=", kind)
    return bool(a >= b)


def contains(item: JSON, collection: JSON, kind: Shape | None = None) -> bool:
    """`item in collection`: a list item (equal as `eq` with the item's shape `kind`
    says), a substring, or a record field name."""
    if isinstance(collection, list):
        return any(eq(item, candidate, kind) for candidate in collection)
    if isinstance(collection, str) and isinstance(item, str):
        return item in collection
    if isinstance(collection, dict) and isinstance(item, str):
        return item in collection
    raise FlowFault(f"cannot look for {describe(item)} in {describe(collection)}")


def describe(value: JSON) -> str:
    """A value as a fault message shows it: its kind and a short rendering."""
    kind = {
        bool: "bool",
        int: "number",
        float: "number",
        str: "text",
        list: "list",
    }.get(type(value), "record" if isinstance(value, dict) else "nothing")
    if value is None:
        return "nothing (undefined)"
    shown = json.dumps(value, ensure_ascii=False)
    return f"{kind} {shown[:40] + '...' if len(shown) > 43 else shown}"


# --------------------------------------------------------------------------
# Text


def render(value: JSON) -> str:
    """How a value reads inside a string template."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _render_float(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(render(item) for item in value)
    return json.dumps(value, ensure_ascii=False)


def _render_float(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    # Twelve significant digits: the noise of binary fractions is not said or sent
    # (0.1 * 3 is "0.3", 1 / 3 is "0.333333333333"), a coordinate keeps its precision.
    return format(value, ".12g")


def text(*parts: JSON) -> str:
    """A string with templates: literal parts and `{{ }}` values, concatenated."""
    return "".join(render(part) for part in parts)


# --------------------------------------------------------------------------
# Environment values (`env("NAME") as TYPE`)

ENV_TRUE = frozenset({"true", "yes", "1", "on"})
ENV_FALSE = frozenset({"false", "no", "0", "off"})


# The written forms `env("NAME") as TYPE` accepts for the text-held types
# (docs/language.md, "Environment variables"), and how a fault names each.
_ENV_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    ValueType.DATE: (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "a date (YYYY-MM-DD)"),
    ValueType.TIME: (re.compile(r"[0-9]{2}:[0-9]{2}"), "a time (HH:MM)"),
    ValueType.DATETIME: (
        re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}"),
        "a date and time (YYYY-MM-DDTHH:MM)",
    ),
    ValueType.PHONE: (re.compile(r"\+[0-9]{8,15}"), "a phone number (+ and 8 to 15 digits)"),
    ValueType.EMAIL: (re.compile(r"[^@\s]+@[^@\s]+"), "an email address (name@domain)"),
}


def from_env(name: str, value: str, type_name: Shape) -> JSON:
    """An environment variable's text as the type the flow reads it as.

    A list (`as list[number]`) is written with commas, "a, b, c": each item is
    trimmed and read as the item type; an empty value is an empty list. Any other
    list or a record is read as JSON and must have the type's shape.
    """
    if isinstance(type_name, list) and isinstance(type_name[0], str):
        if not value.strip():
            return []
        items = [item.strip() for item in value.split(",")]
        return [
            _scalar_from_env(f"{name} (item {position + 1})", item, type_name[0])
            for position, item in enumerate(items)
        ]
    if not isinstance(type_name, str):
        parsed = _scalar_from_env(name, value, ValueType.JSON)
        reason = shape_mismatch(parsed, type_name, "the value")
        if reason:
            raise FlowFault(f"the environment variable {name} does not fit its type: {reason}")
        return parsed
    return _scalar_from_env(name, value, type_name)


def _scalar_from_env(name: str, value: str, type_name: str) -> JSON:
    if type_name == ValueType.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise FlowFault(f"the environment variable {name} is not a number: {value!r}")
        return int(number) if number.is_integer() and "." not in value else number
    if type_name == ValueType.BOOL:
        word = value.strip().lower()
        if word not in ENV_TRUE | ENV_FALSE:
            raise FlowFault(f"the environment variable {name} is not true or false: {value!r}")
        return word in ENV_TRUE
    if type_name == ValueType.JSON:
        try:
            parsed: JSON = json.loads(value)
        except ValueError as exc:
            raise FlowFault(f"the environment variable {name} is not JSON: {exc}") from None
        return parsed
    form = _ENV_FORMS.get(type_name)
    if form is not None:
        pattern, expected = form
        written = value.strip()
        if not pattern.fullmatch(written) or not _valid_moment(written, type_name):
            raise FlowFault(f"the environment variable {name} is not {expected}: {value!r}")
        return written
    return value


def _valid_moment(written: str, type_name: str) -> bool:
    """Whether a date, time or datetime of the right form names a real one (no 2024-02-30)."""
    try:
        if type_name == ValueType.DATE:
            date.fromisoformat(written)
        elif type_name == ValueType.TIME:
            time.fromisoformat(written)
        elif type_name == ValueType.DATETIME:
            datetime.fromisoformat(written)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------
# Shapes (`expect`, code results)


def shape_mismatch(value: JSON, shape: Shape, path: str = "body") -> str | None:
    """Why `value` does not have `shape`, in words, or None when it does."""
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path} should be a list, got {describe(value)}"
        for position, item in enumerate(value):
            reason = shape_mismatch(item, shape[0], f"{path}[{position}]")
            if reason:
                return reason
        return None
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{path} should be a record, got {describe(value)}"
        for name, field_shape in shape.items():
            if name not in value:
                return f"{path}.{name} is missing"
            reason = shape_mismatch(value[name], field_shape, f"{path}.{name}")
            if reason:
                return reason
        return None
    return _scalar_mismatch(value, shape, path)


def _scalar_mismatch(value: JSON, type_name: str, path: str) -> str | None:
    if type_name == ValueType.JSON:
        return None
    if type_name in _EXAMPLES:
        # A date or time is ISO text that names one: "5:00 PM" would order as text.
        try:
            moment(value, type_name)
        except FlowFault:
            return f"{path} should be {_KIND_WORDS[type_name]}, got {describe(value)}"
        return None
    if type_name in TEXT_LIKE:
        ok = isinstance(value, str)
    elif type_name == ValueType.NUMBER:
        ok = is_number(value)
    elif type_name == ValueType.BOOL:
        ok = isinstance(value, bool)
    else:
        return f"{path} has the unknown type '{type_name}'"
    return None if ok else f"{path} should be {type_name}, got {describe(value)}"


_KIND_WORDS: dict[str, str] = {
    ValueType.DATE: "a date (ISO text such as 2030-03-14)",
    ValueType.TIME: "a time (ISO text such as 17:00)",
    ValueType.DATETIME: "a datetime (ISO text such as 2030-03-14T17:00)",
}


def with_moments(value: JSON, shape: Shape, zone: tzinfo | None) -> JSON:
    """A value that has `shape` (shape_mismatch found nothing) with its dates and times in
    the runtime's own ISO text: "17:00:00" is "17:00", and a datetime with an offset
    ("2030-03-14T21:00:00Z") is the wall-clock time of the call's `zone`."""
    if isinstance(shape, list) and isinstance(value, list):
        return [with_moments(item, shape[0], zone) for item in value]
    if isinstance(shape, dict) and isinstance(value, dict):
        return {
            name: with_moments(item, shape[name], zone) if name in shape else item
            for name, item in value.items()
        }
    if not (isinstance(shape, str) and shape in _EXAMPLES and isinstance(value, str)):
        return value
    if shape == ValueType.DATETIME:
        written = datetime.fromisoformat(value)
        if written.tzinfo is not None and zone is not None:
            written = written.astimezone(zone)
        return iso(written.replace(tzinfo=None))
    return iso(moment(value, shape))


# --------------------------------------------------------------------------
# Arguments and results of `code` steps: JSON values to the declared Python types


def as_text(value: JSON) -> str:
    if not isinstance(value, str):
        raise FlowFault(f"expected text, got {describe(value)}")
    return value


def as_number(value: JSON) -> float:
    if not is_number(value):
        raise FlowFault(f"expected a number, got {describe(value)}")
    return value


def as_bool(value: JSON) -> bool:
    if not isinstance(value, bool):
        raise FlowFault(f"expected true or false, got {describe(value)}")
    return value


def as_list(value: JSON) -> list[Any]:
    if not isinstance(value, list):
        raise FlowFault(f"expected a list, got {describe(value)}")
    return value


def as_record(value: JSON) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FlowFault(f"expected a record, got {describe(value)}")
    return value


def to_json(value: object) -> JSON:
    """A Python result as a JSON value; tuples become lists. Raises FlowFault otherwise."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FlowFault(f"{value!r} is not a number a flow can hold")
        return value
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: to_json(item) for key, item in value.items()}
    raise FlowFault(f"a {type(value).__name__} is not a value a flow can hold (JSON)")


async def settle(result: Awaitable[T] | T) -> T:
    """The result of a sync or async callable: awaited when it is awaitable."""
    if inspect.isawaitable(result):
        return await result
    return result
