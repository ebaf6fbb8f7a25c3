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
from datetime import date, datetime, time
from typing import Any, TypeAlias, TypeVar

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
    """`value.name`: the field of a record, or None when it has none."""
    if isinstance(value, dict):
        return value.get(name)
    return None


def index(value: JSON, position: int) -> JSON:
    """`value[position]`: an item of a list, or None when out of range."""
    if isinstance(value, list) and -len(value) <= position < len(value):
        return value[position]
    return None


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


def _is_number(value: JSON) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def eq(left: JSON, right: JSON) -> bool:
    """JSON equality: `true` is not `1`, and `1` equals `1.0`."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(eq, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(eq(left[k], right[k]) for k in left)
    return left == right


def ne(left: JSON, right: JSON) -> bool:
    return not eq(left, right)


def _ordered(left: JSON, right: JSON, symbol: str) -> tuple[float | str, float | str]:
    if _is_number(left) and _is_number(right):
        return float(left), float(right)  # type: ignore[arg-type]
    if isinstance(left, str) and isinstance(right, str):
        # dates, times and datetimes are ISO text, which orders chronologically
        return left, right
    raise FlowFault(f"cannot compare {describe(left)} {symbol} {describe(right)}")


def lt(left: JSON, right: JSON) -> bool:
    a, b = _ordered(left, right, "<")
    return a < b  # type: ignore[operator]


def le(left: JSON, right: JSON) -> bool:
    a, b = _ordered(left, right, "<=")
    return a <= b  # type: ignore[operator]


def gt(left: JSON, right: JSON) -> bool:
    a, b = _ordered(left, right, ">")
    return a > b  # type: ignore[operator]


def ge(left: JSON, right: JSON) -> bool:
    a, b = _ordered(left, right, ">=")
    return a >= b  # type: ignore[operator]


def contains(item: JSON, collection: JSON) -> bool:
    """`item in collection`: a list item, a substring, or a record field name."""
    if isinstance(collection, list):
        return any(eq(item, candidate) for candidate in collection)
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
    return repr(value)


def text(*parts: JSON) -> str:
    """A string with templates: literal parts and `{{ }}` values, concatenated."""
    return "".join(render(part) for part in parts)


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def spoken(value: JSON, type_name: str) -> str:
    """A date, time or datetime as a person says it; anything else as `render` does.

    Values are the ISO text the runtime keeps ("2030-03-14", "14:30",
    "2030-03-14T14:00"); the words are English and do not depend on the locale.
    """
    if isinstance(value, str):
        try:
            if type_name == ValueType.DATE:
                return _spoken_date(date.fromisoformat(value))
            if type_name == ValueType.TIME:
                return _spoken_time(time.fromisoformat(value))
            if type_name == ValueType.DATETIME:
                moment = datetime.fromisoformat(value)
                return f"{_spoken_date(moment.date())} at {_spoken_time(moment.time())}"
        except ValueError:
            pass  # not ISO text after all (a json value, an API's own format): say it as it is
    return render(value)


def _spoken_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}, {day.year}"


def _spoken_time(moment: time) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    if moment.hour == 12 and not moment.minute:
        return "noon"
    return f"{hour}{minutes} {'AM' if moment.hour < 12 else 'PM'}"


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
    if type_name in TEXT_LIKE:
        ok = isinstance(value, str)
    elif type_name == ValueType.NUMBER:
        ok = _is_number(value)
    elif type_name == ValueType.BOOL:
        ok = isinstance(value, bool)
    else:
        return f"{path} has the unknown type '{type_name}'"
    return None if ok else f"{path} should be {type_name}, got {describe(value)}"


# --------------------------------------------------------------------------
# Arguments and results of `code` steps: JSON values to the declared Python types


def as_text(value: JSON) -> str:
    if not isinstance(value, str):
        raise FlowFault(f"expected text, got {describe(value)}")
    return value


def as_number(value: JSON) -> float:
    if not _is_number(value):
        raise FlowFault(f"expected a number, got {describe(value)}")
    return value  # type: ignore[return-value]


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
