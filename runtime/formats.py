"""How a caller hears a value: one rule per type, and the named formats, in the call's locale.

A value in a spoken text (`talk`, a prompt, a message) is said by its type's rule:
a date as "Thursday, March 14, 2030", a time as "2 PM" or "2:30 PM", a datetime
as both, a duration as "2 hours and 30 minutes", a list item by item, joined as
the locale joins a list ("5 PM, 6 PM, and 7 PM"); anything else as it reads in
any text. `VALUE as FORMAT` asks for a format by name (`money`, `ordinal`,
`words`, ...): the compiler checks that it fits the value's type (flowc.types
FORMATS), the functions here check the value when it runs.

The words come from CLDR through babel (dates, times, money, lists, units) and
from num2words (numbers in words, ordinals), for FLOWC_LOCALE (default en_US)
and FLOWC_CURRENCY (default USD).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import (
    UnknownCurrencyError,
    format_currency,
    format_decimal,
    validate_currency,
)
from babel.units import format_unit

# num2words ships no type information; ignored here, not in a mypy setting, so that a
# project checking its built modules with mypy --strict needs no setting of its own.
from num2words import num2words  # type: ignore[import-untyped]

from . import ops
from .ops import FlowFault, Shape
from .services import JSON
from .values import ValueType

DEFAULT_LOCALE = "en_US"
DEFAULT_CURRENCY = "USD"

# A duration is said in these units, largest first, leaving out the ones it has none of.
_DURATION_UNITS = (
    ("duration-week", timedelta(weeks=1)),
    ("duration-day", timedelta(days=1)),
    ("duration-hour", timedelta(hours=1)),
    ("duration-minute", timedelta(minutes=1)),
    ("duration-second", timedelta(seconds=1)),
    ("duration-millisecond", timedelta(milliseconds=1)),
)
# How a negative duration starts, where the locale's word is known: "-1 hour and 30
# minutes" is heard as -1 h + 30 min.
_MINUS = {"en": "minus ", "de": "minus ", "fr": "moins ", "es": "menos ", "it": "meno "}


@functools.cache
def formats_of(locale_name: str | None, currency: str | None) -> Formats:
    """`Formats.of`, made once per setting (a process serves many calls in one locale)."""
    return Formats.of(locale_name, currency)


@dataclass(frozen=True, slots=True)
class Formats:
    """The spoken rules and named formats of one locale and currency."""

    locale: Locale
    currency: str

    @staticmethod
    def of(locale_name: str | None, currency: str | None) -> Formats:
        """The formats of a locale (`en_US`, `fr-FR`) and an ISO 4217 currency (`EUR`); a
        ValueError saying which setting is wrong."""
        try:
            locale = Locale.parse((locale_name or DEFAULT_LOCALE).replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(
                f"FLOWC_LOCALE must name a locale such as en_US or fr_FR, not {locale_name!r}"
            ) from None
        code = (currency or DEFAULT_CURRENCY).upper()
        try:
            validate_currency(code)
        except UnknownCurrencyError:
            raise ValueError(
                f"FLOWC_CURRENCY must be an ISO 4217 code such as USD or EUR, not {currency!r}"
            ) from None
        return Formats(locale, code)

    # -- the spoken rule of each type ---------------------------------------------

    def spoken(self, value: JSON, shape: Shape) -> str:
        """A value as a person hears it, by the rule of its type (`shape`: a type name, or
        `[item]` for a list)."""
        if isinstance(shape, list):
            if not isinstance(value, list):
                return ops.render(value)
            return format_list([self.spoken(item, shape[0]) for item in value], locale=self.locale)
        if value is None or not isinstance(shape, str) or shape not in _SPOKEN:
            return ops.render(value)
        try:
            return _SPOKEN[shape](self, value)
        except FlowFault:
            # Not a value of its type after all (a json value, an API's own format): as it is.
            return ops.render(value)

    def bool(self, value: JSON) -> str:
        """A yes or a no, as a caller hears a read-back ("delivery: yes"), not "true". The
        words are English: CLDR has none for yes and no, so another locale keeps the value."""
        if not isinstance(value, bool):
            raise FlowFault(f"not a bool: {ops.describe(value)}")
        if self.locale.language != "en":
            return ops.render(value)
        return "yes" if value else "no"

    def date(self, value: JSON) -> str:
        day = _as(value, ValueType.DATE, date)
        return format_date(day, "full", locale=self.locale)

    def time(self, value: JSON) -> str:
        moment = _as(value, ValueType.TIME, time)
        if self.locale.language == "en" and (moment.hour, moment.minute) == (12, 0):
            return "noon"
        # The locale's own hours: "2 PM" in en_US, "14 Uhr" in de_DE; minutes when there are.
        hour = "h" if "h" in str(self.locale.time_formats["short"].pattern) else "H"
        skeleton = f"{hour}m" if moment.minute else hour
        return str(format_skeleton(skeleton, moment, locale=self.locale))

    def datetime(self, value: JSON) -> str:
        moment = _as(value, ValueType.DATETIME, datetime)
        day, hour = self.date(ops.iso(moment.date())), self.time(ops.iso(moment.time()))
        if self.locale.language == "en":
            return f"{day} at {hour}"
        pattern = str(self.locale.datetime_formats["long"]).replace("'", "")
        return pattern.replace("{1}", day).replace("{0}", hour)

    def duration(self, value: JSON) -> str:
        if not ops.is_number(value):
            raise FlowFault(f"a duration is a number of milliseconds, not {ops.describe(value)}")
        left, parts = timedelta(milliseconds=abs(value)), []
        for unit, length in _DURATION_UNITS:
            count, left = divmod(left, length)
            if count:
                parts.append(format_unit(count, unit, length="long", locale=self.locale))
        sign = _MINUS.get(self.locale.language, "-") if value < 0 and parts else ""
        if not parts:
            return format_unit(0, "duration-second", length="long", locale=self.locale)
        return sign + format_list(parts, locale=self.locale)

    # -- named formats (`VALUE as FORMAT`) -----------------------------------------

    def formatted(self, value: JSON, name: str) -> str:
        """The value in the named format; a FlowFault when the value cannot have it."""
        if name in _SPOKEN:
            return _SPOKEN[name](self, _moment_for(value, name))
        if name == "digits":
            return self.digits(value)
        number = _number(value, name)
        try:
            return self._number_format(number, name)
        except (ArithmeticError, ValueError, InvalidOperation) as exc:
            # A figure beyond what CLDR or num2words can say (10**400 as money or words).
            raise FlowFault(f"'as {name}' cannot say {ops.describe(value)} ({exc!r})") from None

    def _number_format(self, number: int | float, name: str) -> str:
        if name == "money":
            return format_currency(_decimal(number), self.currency, locale=self.locale)
        if name == "number":
            return format_decimal(_decimal(number), locale=self.locale)
        if name == "ordinal":
            return self._num2words(_whole(number, name), "ordinal_num")
        if name == "words":
            return self._num2words(number, "cardinal")
        raise FlowFault(f"there is no format {name!r}")

    def digits(self, value: JSON) -> str:
        """Each digit (and letter) on its own, as an account number is read: "1 2 3 4"."""
        if ops.is_number(value) and value == int(value):
            value = str(int(value))
        if not isinstance(value, str):
            raise FlowFault(
                f"'as digits' reads a whole number or a text, not {ops.describe(value)}"
            )
        return " ".join(char for char in value if char.isalnum())

    def _num2words(self, number: int | float, to: str) -> str:
        for lang in (str(self.locale), self.locale.language):
            try:
                return str(num2words(number, lang=lang, to=to))
            except NotImplementedError:
                continue
        raise FlowFault(f"numbers cannot be said in words in the locale {self.locale}")


_SPOKEN: Mapping[str, Callable[[Formats, JSON], str]] = {
    ValueType.BOOL: Formats.bool,
    ValueType.DATE: Formats.date,
    ValueType.TIME: Formats.time,
    ValueType.DATETIME: Formats.datetime,
    "duration": Formats.duration,
}


def _moment_for(value: JSON, name: str) -> JSON:
    """`as date` and `as time` of a datetime: its day, or its time of day."""
    if name in (ValueType.DATE, ValueType.TIME) and isinstance(value, str) and "T" in value:
        return ops.moment_part(value, name)
    return value


M = TypeVar("M", date, time, datetime)


def _as(value: JSON, kind: str, cls: type[M]) -> M:
    found = ops.moment(value, kind)
    assert isinstance(found, cls)
    return found


def _number(value: JSON, name: str) -> int | float:
    if not ops.is_number(value):
        raise FlowFault(f"'as {name}' formats a number, not {ops.describe(value)}")
    return value


def _whole(number: int | float, name: str) -> int:
    if number != int(number):
        raise FlowFault(f"'as {name}' needs a whole number, not {number!r}")
    return int(number)


def _decimal(number: int | float) -> Decimal:
    # Money and grouped numbers from their shortest text: 0.1 is 0.10, not 0.1000000000000000055.
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
