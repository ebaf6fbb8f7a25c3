"""The value types of .flow (LANGUAGE.md section 6), named once for compiler and runtime.

The checker's types (flowc.types) are built on these names; generated code hands
them to the runtime as plain strings (`Question("date", ...)`, `call.env("X",
"number")`), which compare equal to the members since `ValueType` is a StrEnum;
the runtime's understanding, `expect` shapes and `env(...) as TYPE` compare
against the members. A type name is then spelt once, and a new type is one
member plus the sets below.
"""

from __future__ import annotations

from enum import StrEnum


class ValueType(StrEnum):
    """A scalar type a variable, an input or a `collect` can have."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    PHONE = "phone"
    EMAIL = "email"
    SECRET = "secret"
    JSON = "json"


# What a `collect` asks for: the types the understanding turns spoken words into
# (in the order LANGUAGE.md lists them, which messages that list them follow). A
# `secret` answer is the caller's words or digits as text, masked and sealed at rest.
COLLECTABLE: tuple[ValueType, ...] = (
    ValueType.TEXT,
    ValueType.NUMBER,
    ValueType.BOOL,
    ValueType.DATE,
    ValueType.TIME,
    ValueType.DATETIME,
    ValueType.PHONE,
    ValueType.EMAIL,
    ValueType.SECRET,
)

# The types whose values are held as text (a JSON string) at run time: dates and
# times as ISO text, a secret as the key itself. An `expect` shape or a code
# result of one of these types is checked to be a string.
TEXT_LIKE: frozenset[ValueType] = frozenset(
    {
        ValueType.TEXT,
        ValueType.SECRET,
        ValueType.PHONE,
        ValueType.EMAIL,
        ValueType.DATE,
        ValueType.TIME,
        ValueType.DATETIME,
    }
)

# The types whose values go wherever a text is expected: every phone number and
# every email address is a text, not the other way round (docs/diagnostics.md, "Types").
ASSIGNABLE_TO_TEXT: frozenset[ValueType] = frozenset(
    {ValueType.TEXT, ValueType.PHONE, ValueType.EMAIL}
)
