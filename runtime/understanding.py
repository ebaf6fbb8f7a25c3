"""`RuleBasedUnderstanding`: what the caller said, as a typed value, by plain rules.

One reader per collect type of LANGUAGE.md section 6. Each takes the words a
speech recogniser (or a person at the console) produced, or keypad digits, and
returns the JSON value of `Understanding.understand`, or None when the words
are not one value of that type, so the `collect` step asks again. Readers are
pure: the same words and the same `now` always give the same value, and no
input makes them raise.

Readings where speech is ambiguous, chosen to suit booking calls (docs/runtime.md):
- a bare weekday, "this"/"on"/"next" + weekday: its next occurrence after today;
  "<weekday> next week": that weekday in the following Monday-to-Sunday week;
  "<weekday> after next" and "a week from <weekday>": a week after its next one;
  "last"/"past" + weekday: its latest occurrence before today;
- "the" + an ordinal in words ("the twelfth") is a day of the month, as "the 12th";
- "one" before a unit of waiting ("one moment", "one sec") asks to wait: not a number;
- a date without a year: its next occurrence, today included; a day said before
  the month goes with it ("the first of January nineteen eighty-three");
- an hour without am/pm or a 24-hour form: inside the part of the day the
  question expects (`day_part`) when one of its readings is, else 1 to 6 is
  afternoon, 7 to 11 morning;
- a datetime with only a time: today if that time is still ahead, else tomorrow;
  a date and a part of the day ("tomorrow morning"): that day at 09:00 (14:00
  afternoon, 18:00 evening, 20:00 night);
- a phone number without "+" or an exit code: a number of the default region
  (libphonenumber), of a length that region's plan has;
- an option said with "not" is never the answer;
- a choice that two options fit equally well is not understood.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format
from babel.numbers import NumberFormatError, parse_decimal
from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz, process

from .intents import heard_intent
from .services import JSON, FormField, HeardIntent
from .values import ValueType

# --- words for numbers ---------------------------------------------------------

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SMALL_NUMBERS = {**UNITS, **TEENS, **TENS}
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
NEGATIVE_WORDS = {"minus", "negative"}
# What a number before them is multiplied by ("two dozen", "half a million").
MULTIPLIERS = {"hundred": 100, "dozen": 12, **SCALES}
FRACTION_WORDS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "quarters": Decimal("0.25")}
# Said for one person when the question is how many: "just me".
SOLO_PHRASES = ("just me", "only me", "just myself", "only myself", "me alone")
# Longer figures are not a quantity a caller says (and JSON numbers lose
# precision beyond 2**53): they are not understood as a number.
MAX_FIGURES = 15

Number = int | float


def _words(text: str) -> list[str]:
    """Lower-case word and number tokens: "twenty-one" is two words; "3.5" and
    "3rd" are one token each."""
    lowered = text.lower().replace("\u2019", "'")
    lowered = re.sub(r"(?<=[0-9]),(?=[0-9]{3}\b)", "", lowered)  # 1,200 -> 1200
    return re.findall(r"[0-9]+(?:st|nd|rd|th)\b|[0-9]+(?:\.[0-9]+)?|[a-z]+(?:'[a-z]+)?", lowered)


def _is_number_word(word: str) -> bool:
    return word in UNITS or word in TEENS or word in TENS or word == "hundred" or word in SCALES


# Which kinds of word cannot directly follow which: "two three" and "twenty
# thirty" are two numbers side by side, not one ("twenty three" is one).
_CANNOT_FOLLOW = {
    "digits": {"unit", "teen", "ten", "digits"},
    "unit": {"unit", "teen", "digits"},
    "teen": {"unit", "teen", "ten", "digits"},
    "ten": {"unit", "teen", "ten", "digits"},
    "hundred": {"hundred"},
    "scale": set(),
}


def _number_word_kind(word: str) -> str | None:
    if word.isascii() and word.isdigit():
        return "digits" if len(word) <= MAX_FIGURES else None
    if word in UNITS:
        return "unit"
    if word in TEENS:
        return "teen"
    if word in TENS:
        return "ten"
    if word == "hundred":
        return "hundred"
    return "scale" if word in SCALES else None


def _cardinal(words: Sequence[str]) -> int | None:
    """ "a hundred and five" -> 105, "one thousand two hundred" -> 1200, "42" -> 42.

    Two small numbers side by side are not one number: the caller may have
    said two, and guessing would be wrong.
    """
    total, current = 0, 0
    previous: str | None = None
    last_scale = SCALES["billion"] * 1000  # "a thousand million" yes, "million million" no
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "and" or (word == "a" and (following == "hundred" or following in SCALES)):
            continue
        kind = _number_word_kind(word)
        if kind is None or previous in _CANNOT_FOLLOW[kind]:
            return None
        if kind == "hundred":
            if current >= 100:
                return None
            current = (current or 1) * 100
        elif kind == "scale":
            if SCALES[word] >= last_scale:
                return None
            total += (current or 1) * SCALES[word]
            current, last_scale = 0, SCALES[word]
        else:
            current += int(word) if kind == "digits" else SMALL_NUMBERS[word]
        previous = kind
    return total + current if previous else None


def _decimal_digits(words: Sequence[str]) -> str | None:
    """The digits after "point": "one four" -> "14", "25" -> "25"."""
    digits = []
    for word in words:
        if word in UNITS:
            digits.append(str(UNITS[word]))
        elif word == "oh":
            digits.append("0")
        elif word.isascii() and word.isdigit():
            digits.append(word)
        else:
            return None
    return "".join(digits) or None


def _plain_number(words: Sequence[str]) -> Number | None:
    """A whole number, a decimal ("3.5", "three point five") or "... and a half"."""
    if len(words) == 1 and re.fullmatch(r"[0-9]+\.[0-9]+", words[0]):
        return float(words[0]) if len(words[0]) <= MAX_FIGURES + 1 else None
    half = list(words[-3:]) == ["and", "a", "half"]
    if half:
        words = words[:-3]
    if "point" in words:
        cut = words.index("point")
        whole = _cardinal(words[:cut]) if cut else 0
        decimals = _decimal_digits(words[cut + 1 :])
        if whole is None or decimals is None:
            return None
        return float(f"{whole}.{decimals}")
    whole = _cardinal(words)
    if whole is None:
        return None
    return whole + 0.5 if half else whole


def _count_phrase(words: Sequence[str]) -> int | None:
    """ "a couple" and "a couple of" are two."""
    return 2 if list(words) in (["a", "couple"], ["a", "couple", "of"]) else None


def _fraction(words: Sequence[str]) -> Decimal | None:
    """The part of what follows: "half a", "a quarter of a", "three quarters of a"."""
    words = list(words)
    while words and words[-1] in ("a", "of"):
        words.pop()
    if not words or words[-1] not in FRACTION_WORDS:
        return None
    share = FRACTION_WORDS[words[-1]]
    count = words[:-1]
    if words[-1] == "quarters":
        how_many = _cardinal(count)
        return share * how_many if how_many is not None and 0 < how_many < 4 else None
    return share if count in ([], ["a"]) else None


def _scaled_number(words: Sequence[str]) -> Number | None:
    """A number times the word after it, where the number is a part, a count or
    not whole: "half a million", "a couple hundred", "1.5 million", "two dozen"."""
    if len(words) < 2 or words[-1] not in MULTIPLIERS:
        return None
    base_words = words[:-1]
    base: Decimal | Number | None = _fraction(base_words) or _count_phrase(base_words)
    if base is None:
        base = 1 if list(base_words) == ["a"] else _plain_number(base_words)
        # A whole number before "hundred", "thousand"... was read (or refused, as
        # "a million million") by `_cardinal`: only dozens count them here.
        if isinstance(base, int) and words[-1] != "dozen":
            return None
    if base is None:
        return None
    value = Decimal(str(base)) * MULTIPLIERS[words[-1]]
    return int(value) if value == value.to_integral_value() else float(value)


def _number_from_run(run: Sequence[str]) -> Number | None:
    """One spoken or written number: a sign, then a plain, counted or scaled number."""
    sign = -1 if run and run[0] in NEGATIVE_WORDS else 1
    words = list(run[1:] if sign == -1 else run)
    value = _plain_number(words)
    if value is None:
        value = _count_phrase(words) or _scaled_number(words)
    return None if value is None else sign * value


def _leads_to_multiplier(words: Sequence[str], index: int) -> bool:
    """Whether words[index:] go on to a multiplier, past "a" and "of" ("half a million")."""
    while index < len(words) and words[index] in ("a", "of"):
        index += 1
    return index < len(words) and words[index] in MULTIPLIERS


def _shorthand_multipliers(words: Sequence[str]) -> list[str]:
    """ "5k", "five k" and "3 grand" are 5 and 3 thousand; "a grand" is a thousand."""
    spelt: list[str] = []
    for word in words:
        previous = spelt[-1] if spelt else ""
        figure = re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", previous) is not None
        if (word == "k" and (figure or _is_number_word(previous))) or (
            word == "grand" and (figure or previous == "a" or _is_number_word(previous))
        ):
            word = "thousand"
        spelt.append(word)
    return spelt


def _is_numeric_in_context(words: Sequence[str], index: int, run: Sequence[str]) -> bool:
    """Whether words[index] belongs to a number, given the run of number words before it."""
    word = words[index]
    following = words[index + 1] if index + 1 < len(words) else ""
    return (
        _is_number_word(word)
        or re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", word) is not None
        or (word == "point" and bool(run or following))
        or (word in NEGATIVE_WORDS and not run and bool(following))
        or (word == "and" and bool(run) and (_is_number_word(following) or following == "a"))
        or (
            word == "a"
            and (
                following in ("hundred", "couple", "dozen")
                or following in SCALES
                or (following == "half" and run[-1:] == ["and"])
                or (following in FRACTION_WORDS and _leads_to_multiplier(words, index + 2))
            )
        )
        or (word == "half" and list(run[-2:]) == ["and", "a"])
        or (word in FRACTION_WORDS and _leads_to_multiplier(words, index + 1))
        or (word == "of" and run[-1:] in (["quarter"], ["quarters"], ["couple"], ["half"]))
        or (word == "couple" and run[-1:] == ["a"])
        or (word == "dozen" and bool(run))
        or (word == "oh" and "point" in run)
    )


def _number_runs(words: Sequence[str]) -> list[list[str]]:
    """Maximal stretches of number words in an utterance ("about forty two people")."""
    runs: list[list[str]] = []
    run: list[str] = []
    for index in range(len(words)):
        if _is_numeric_in_context(words, index, run):
            run.append(words[index])
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return [run for run in runs if any(w not in NEGATIVE_WORDS | {"point"} for w in run)]


# A figure with separators in it, "1,200.50" or "1.200,50", read by the locale's rules.
WRITTEN_FIGURE = re.compile(r"[0-9]+(?:[.,'\u00a0\u202f][0-9]+)+")
DEFAULT_LOCALE = Locale.parse("en_US")


def _plain_figures(text: str, locale: Locale) -> str:
    """Figures in the locale's writing as plain ones: "1.200,50" (de_DE) -> "1200.50".
    A figure the locale would not write so ("1,20" in en_US) is left as it is."""

    def plain(match: re.Match[str]) -> str:
        try:
            return str(parse_decimal(match[0], locale=locale, strict=True))
        except NumberFormatError:
            return match[0]

    return WRITTEN_FIGURE.sub(plain, text)


# "One moment", "hold on one sec": asking the agent to wait, not the number 1.
WAITING_UNITS = {"moment", "sec", "second", "minute", "min", "tick", "mo"}


def _without_waits(words: Sequence[str]) -> list[str]:
    """The words less each "one <unit of waiting>" that is not the end of a longer
    number ("twenty one minutes" stays)."""
    kept: list[str] = []
    index = 0
    while index < len(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        previous = kept[-1] if kept else ""
        starts_longer_number = _number_word_kind(previous) is not None or previous == "and"
        if words[index] in ("one", "1") and following in WAITING_UNITS and not starts_longer_number:
            index += 2
            continue
        kept.append(words[index])
        index += 1
    return kept


def understand_number(utterance: str, locale: Locale = DEFAULT_LOCALE) -> Number | None:
    figures = _plain_figures(utterance, locale)
    signed = re.sub(r"(?<![\w.])-(?=[0-9])", "minus ", figures)  # "-2" -> "minus 2"
    words = _shorthand_multipliers(_without_waits(_words(signed)))
    runs = _number_runs(words)
    if any(_contains_phrase(words, phrase) for phrase in SOLO_PHRASES):
        return 1 if not runs else None  # "just me and my 3 kids": not one number said
    if len(runs) != 1:  # none, or several numbers: which one did the caller mean?
        return None
    value = _number_from_run(runs[0])
    if isinstance(value, float) and value.is_integer() and "point" not in runs[0]:
        return int(value)
    return value


# --- yes / no ------------------------------------------------------------------

YES_PHRASES = (
    "yes", "yeah", "yea", "yep", "yup", "ya", "sure", "correct", "right", "affirmative",
    "absolutely", "definitely", "certainly", "of course", "ok", "okay", "i do", "i am",
    "i would", "please do", "go ahead", "that's right", "true", "exactly", "indeed",
    "mm hmm", "mhm", "uh huh", "sounds good", "sounds great", "sounds fine", "that works",
    "works for me", "perfect", "alright", "all right", "fine", "great",
)  # fmt: skip
NO_PHRASES = (
    "no", "nope", "nah", "not really", "negative", "never", "i don't", "i'm not",
    "i am not", "i wouldn't", "not at all", "incorrect", "wrong", "false", "no thanks",
    "don't", "dont", "not now", "uh uh", "nuh uh", "doesn't work", "does not work",
    "won't work", "no way",
)  # fmt: skip
UNSURE_PHRASES = (
    "not sure", "don't know", "dont know", "maybe", "perhaps", "not certain", "no idea",
    "unsure", "depends",
)  # fmt: skip


def _contains_phrase(words: Sequence[str], phrase: str) -> bool:
    wanted = phrase.split()
    return any(list(words[i : i + len(wanted)]) == wanted for i in range(len(words)))


def understand_bool(utterance: str) -> bool | None:
    """Yes or no, spoken, or keypad 1 (yes) / 2 (no); both or neither -> None."""
    keys = utterance.strip()
    if keys in ("1", "2"):
        return keys == "1"
    words = _words(utterance)
    if any(_contains_phrase(words, phrase) for phrase in UNSURE_PHRASES):
        return None
    # "not right", "not correct": a yes word negated is a no.
    negated_yes = any(
        _contains_phrase(words, f"not {phrase}") for phrase in YES_PHRASES if " " not in phrase
    )
    said_no = negated_yes or any(_contains_phrase(words, phrase) for phrase in NO_PHRASES)
    said_yes = not negated_yes and any(_contains_phrase(words, phrase) for phrase in YES_PHRASES)
    if said_yes == said_no:
        return None
    return said_yes


# --- dates ---------------------------------------------------------------------

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
RELATIVE_DAYS = (
    ("day after tomorrow", 2),
    ("day before yesterday", -2),
    ("tomorrow", 1),
    ("today", 0),
    ("tonight", 0),
    ("yesterday", -1),
)


def _day_number(words: Sequence[str], start: int) -> tuple[int, int] | None:
    """A day of the month at words[start]: ("3rd" | "3" | "third" | "twenty first"),
    as (day, words used)."""
    if start >= len(words):
        return None
    word = words[start]
    ordinal = re.fullmatch(r"([0-9]{1,2})(?:st|nd|rd|th)?", word)
    if ordinal:
        return int(ordinal[1]), 1
    following = words[start + 1] if start + 1 < len(words) else ""
    if word in ("twenty", "thirty"):
        unit = ORDINAL_WORDS.get(following) or UNITS.get(following)
        if unit and unit < 10:
            return TENS[word] + unit, 2
        return TENS[word], 1
    value = ORDINAL_WORDS.get(word) or UNITS.get(word) or TEENS.get(word)
    return (value, 1) if value else None


# The hundreds of a year said in two parts: "nineteen eighty-three".
CENTURY_WORDS = {"eighteen": 1800, "nineteen": 1900, "twenty": 2000}


def _year_at(words: Sequence[str], index: int) -> tuple[int, int] | None:
    """A year at words[index], as (year, words used): "1983", "nineteen eighty three",
    "nineteen oh five", "nineteen hundred", "two thousand and five", "twenty twenty six"."""
    here = words[index : index + 5]
    if here and re.fullmatch(r"(?:18|19|20)[0-9][0-9]", here[0]):
        return int(here[0]), 1
    if here[:2] == ["two", "thousand"]:
        skip = 3 if here[2:3] == ["and"] else 2
        rest = _two_digit_part(here[skip:])
        if rest is None:
            return (2000, 2) if skip == 2 else None
        return 2000 + rest[0], skip + rest[1]
    if not here or here[0] not in CENTURY_WORDS:
        return None
    if here[1:2] == ["hundred"]:
        return CENTURY_WORDS[here[0]], 2
    rest = _two_digit_part(here[1:], oh=True)
    return (CENTURY_WORDS[here[0]] + rest[0], 1 + rest[1]) if rest else None


def _two_digit_part(words: Sequence[str], oh: bool = False) -> tuple[int, int] | None:
    """The last two figures of a year: "eighty three", "twelve", ("oh five" if `oh`)."""
    first = words[0] if words else ""
    following = words[1] if len(words) > 1 else ""
    if oh and first == "oh" and following in UNITS and UNITS[following] > 0:
        return UNITS[following], 2
    if first in TEENS:
        return TEENS[first], 1
    if first in TENS:
        unit = UNITS.get(following, 0)
        return (TENS[first] + unit, 2) if unit else (TENS[first], 1)
    if not oh and first in UNITS and UNITS[first] > 0:
        return UNITS[first], 1
    return None


def _day_before(words: Sequence[str], index: int) -> int | None:
    """The day of the month said just before words[index]: "3rd", "the third of",
    "twenty first of"."""
    before = index - 2 if index >= 2 and words[index - 1] == "of" else index - 1
    if before < 0:
        return None
    start = before - 1 if before >= 1 and words[before - 1] in TENS else before
    found = _day_number(words, start)
    if found is None or start + found[1] != before + 1:
        return None
    return found[0]


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_occurrence(today: date, month: int, day: int, weekday: int | None = None) -> date | None:
    """The first month/day on or after today that falls on `weekday` if one was
    said ("Thursday 14 March"); a leap day or a weekday may be years away."""
    for year in range(today.year, today.year + 29):
        found = _valid_date(year, month, day)
        if found is not None and found >= today and weekday in (None, found.weekday()):
            return found
    return None


def _month_name_date(words: list[str], today: date) -> date | None:
    """ "March 3rd", "March 14 2030", "the 3rd of March", "14 March nineteen eighty-three".

    A day before the month comes first, so that in "the first of January nineteen
    eighty-three" the nineteen is part of the year, not the day.
    """
    for index, word in enumerate(words):
        month = MONTHS.get(word)
        if month is None:
            continue
        day = _day_before(words, index)
        if day is not None:
            year = _year_at(words, index + 1)
        else:
            year_only = _year_at(words, index + 1)
            after = _day_number(words, index + 1)
            if after is None or (year_only is not None and year_only[1] > 1):
                continue  # "January nineteen eighty-three": a month of a year, no day
            day, used = after
            year = _year_at(words, index + 1 + used)
        if year is not None:
            return _existing(_valid_date(year[0], month, day))
        return _existing(_next_occurrence(today, month, day, _said_weekday(words)))
    return None


def _month_offset_date(words: list[str], today: date) -> date | None:
    """ "the first of next month", "the 15th of this month"."""
    for index in range(len(words) - 1):
        offset = {"this": 0, "next": 1}.get(words[index])
        if offset is None or words[index + 1] != "month":
            continue
        day = _day_before(words, index)
        if day is not None:
            month = today.replace(day=1) + relativedelta(months=offset)
            return _existing(_valid_date(month.year, month.month, day))
    return None


class _NoSuchDate(Exception):
    """The answer names a day that does not exist ("February 30th", "2/30").

    It is not understood, rather than read another way ("the 30th"), or, in a
    datetime, dropped for today.
    """


def _existing(day: date | None) -> date:
    if day is None:
        raise _NoSuchDate
    return day


def _numeric_date(text: str, today: date, day_first: bool) -> date | None:
    """ "2026-12-01" (ISO), "3/14" and "3/14/2026" (month first, as in the US;
    `day_first` as in the UK: "14/3")."""
    iso = re.search(r"\b([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b", text)
    if iso:
        return _existing(_valid_date(int(iso[1]), int(iso[2]), int(iso[3])))
    slashed = re.search(r"\b([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?\b", text)
    if slashed is None:
        return None
    month, day = int(slashed[1]), int(slashed[2])
    if day_first:
        month, day = day, month
    if slashed[3] is None:
        return _existing(_next_occurrence(today, month, day))
    year = int(slashed[3])
    return _existing(_valid_date(year + 2000 if year < 100 else year, month, day))


def _relative_date(words: list[str], today: date) -> date | None:
    """ "tomorrow", "in three days", "in a week"."""
    for phrase, offset in RELATIVE_DAYS:
        if _contains_phrase(words, phrase):
            return today + timedelta(days=offset)
    for index, word in enumerate(words[:-2]):
        if word != "in" or words[index + 2] not in ("day", "days", "week", "weeks"):
            continue
        count = 1 if words[index + 1] in ("a", "one") else understand_number(words[index + 1])
        if isinstance(count, int) and 0 < count < 1000:
            unit_days = 7 if words[index + 2].startswith("week") else 1
            return today + timedelta(days=count * unit_days)
    return None


def _weekday_date(words: list[str], today: date) -> date | None:
    """ "Thursday", "next Thursday", "on Friday": the next one after today;
    "Thursday next week": the Thursday of next Monday-to-Sunday week;
    "Friday after next": the Friday after the next one;
    "last Tuesday", "this past Monday": the latest one before today."""
    weekday = _said_weekday(words)
    if weekday is None:
        return None
    if _names_past_weekday(words):
        days_back = (today.weekday() - weekday - 1) % 7 + 1
        return today - timedelta(days=days_back)
    if _contains_phrase(words, "next week") or _contains_phrase(words, "week after"):
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=weekday)
    days_ahead = (weekday - today.weekday() - 1) % 7 + 1
    if any(
        word in WEEKDAYS and words[index + 1 : index + 3] == ["after", "next"]
        for index, word in enumerate(words)
    ):
        days_ahead += 7
    return today + timedelta(days=days_ahead)


def _names_past_weekday(words: list[str]) -> bool:
    """Whether a weekday is said with "last" or "past" just before it."""
    return any(
        word in WEEKDAYS and index > 0 and words[index - 1] in ("last", "past")
        for index, word in enumerate(words)
    )


def _week_from_date(words: list[str], today: date) -> date | None:
    """ "a week from Friday", "a week from tomorrow": seven days after the day named."""
    for index in range(len(words) - 2):
        if words[index : index + 3] == ["a", "week", "from"]:
            rest = words[index + 3 :]
            for reader in (_relative_date, _day_of_month_date, _weekday_date):
                found = reader(rest, today)
                if found is not None:
                    return found + timedelta(days=7)
    return None


def _said_weekday(words: list[str]) -> int | None:
    """The one weekday named in the answer, if exactly one is."""
    weekdays = {WEEKDAYS[word] for word in words if word in WEEKDAYS}
    return weekdays.pop() if len(weekdays) == 1 else None


def _day_of_month_date(words: list[str], today: date) -> date | None:
    """ "the 15th": that day this month, or next month when it has passed;
    "Monday the 3rd": the next 3rd of a month that is a Monday."""
    days = _days_of_month_said(words)
    if len(days) != 1:
        return None
    day, weekday = days[0], _said_weekday(words)
    for months_ahead in range(15):  # every weekday falls on every day within 14 months
        first = today.replace(day=1) + relativedelta(months=months_ahead)
        found = _valid_date(first.year, first.month, day)
        if found is not None and found >= today and weekday in (None, found.weekday()):
            return found
    return None


def _days_of_month_said(words: list[str]) -> list[int]:
    """Each day of the month said as an ordinal: "15th", or in words after "the"
    ("the twelfth", "the twenty first"); "a second" or "first" alone are not days,
    nor is "the first Monday" (the first of the Mondays, not the 1st)."""
    days = [int(w[:-2]) for w in words if re.fullmatch(r"[0-9]{1,2}(?:st|nd|rd|th)", w)]
    for index, word in enumerate(words[:-1]):
        found = _day_number(words, index + 1) if word == "the" else None
        if found is None:
            continue
        end = index + 1 + found[1]
        said_as_ordinal = words[end - 1] in ORDINAL_WORDS
        if said_as_ordinal and (end == len(words) or words[end] not in WEEKDAYS):
            days.append(found[0])
    return days


DateReader = Callable[[list[str], date], date | None]
DATE_READERS: tuple[DateReader, ...] = (
    _week_from_date,
    _month_offset_date,
    _month_name_date,
    _relative_date,
    _day_of_month_date,
    _weekday_date,
)


def _find_date(text: str, today: date, day_first: bool = False) -> date | None:
    """The day the text names, None when it names none; raises _NoSuchDate."""
    numeric = _numeric_date(text.lower(), today, day_first)
    if numeric is not None:
        return numeric
    words = _words(text)
    for reader in DATE_READERS:
        try:
            found = reader(words, today)
        except (OverflowError, ValueError):
            # Only at the ends of the calendar (year 1 or 9999): no day beyond them.
            continue
        if found is not None:
            return found
    return None


def understand_date(utterance: str, now: datetime, day_first: bool = False) -> str | None:
    try:
        found = _find_date(utterance, now.date(), day_first)
    except _NoSuchDate:
        return None
    return found.isoformat() if found else None


# --- times ---------------------------------------------------------------------

_HOUR_WORDS = "|".join(sorted({**UNITS, **TEENS}.keys() - {"zero"}, key=len, reverse=True))
_HOUR = rf"(?P<hour>[0-9]{{1,2}}|{_HOUR_WORDS})"
_MINUTE_WORDS = (
    r"(?:twenty|thirty|forty|fifty)(?: (?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|oh (?:one|two|three|four|five|six|seven|eight|nine)"
)
_MINUTES = rf"(?P<minute>[0-9]{{2}}|{_MINUTE_WORDS})"
_MARKER = r"(?P<marker>am|pm|oclock)"
_PERIODS = {
    "morning": "am",
    "afternoon": "pm",
    "evening": "pm",
    "night": "pm",
    "tonight": "pm",
}

# Where an hour said without am/pm falls when a question expects that part of
# the day (`DayPart`): "seven" is 19:00 in the evening.
DAY_PART_HOURS = {"morning": range(4, 12), "afternoon": range(12, 18), "evening": range(18, 24)}
# "tomorrow morning" as a datetime: the part's usual first hour for an appointment.
PART_OF_DAY_STARTS = {
    "morning": time(9, 0),
    "afternoon": time(14, 0),
    "evening": time(18, 0),
    "night": time(20, 0),
    "tonight": time(20, 0),
}

# In the order tried; each must find the hour, and may find minutes and a marker.
_TIME_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(?P<special>noon|midday|midnight)\b",
        rf"\b(?P<relation>(?:quarter|half|{_MINUTE_WORDS}|[0-9]{{1,2}})(?: minutes?)?"
        rf" (?:past|after|to|till|before)) {_HOUR}\b(?: {_MARKER})?",
        rf"\b{_HOUR} {_MINUTES} {_MARKER}\b",
        rf"\b{_HOUR}(?::{_MINUTES})? ?{_MARKER}(?!\w)",
        rf"\b{_HOUR}:{_MINUTES}\b(?: {_MARKER})?",
        rf"\b{_HOUR}(?: {_MINUTES})?(?= (?:in the (?:morning|afternoon|evening)|at night)\b)",
        rf"\bat {_HOUR}(?: {_MINUTES})?\b",
    )
)
# For the time type only, a whole answer of just an hour and minutes ("two thirty").
_BARE_TIME = re.compile(rf"^(?:(?:about|around|say|maybe) )*{_HOUR}(?: {_MINUTES})?$")


def _normalise_time_text(text: str) -> str:
    lowered = text.lower().replace("\u2019", "'")
    lowered = re.sub(r"\b([ap])\.? ?m\b\.?", r"\1m", lowered)  # "p.m." "p m" -> "pm"
    lowered = re.sub(r"\bo'? ?clock\b", "oclock", lowered)
    lowered = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", lowered)  # "forty-five"
    return re.sub(r"[^\w:/.+@-]+", " ", lowered).strip()


def _small_number(text: str) -> int | None:
    """An hour or minutes as matched: "2", "07", "twelve", "forty five", "oh five"."""
    value = _cardinal(text.removeprefix("oh ").split())
    return value if value is not None and value < 100 else None


def _relation_minutes(relation: str) -> int | None:
    """ "quarter past" -> 15, "twenty to" -> -20, "half past" -> 30."""
    amount, _, direction = relation.rpartition(" ")
    amount = re.sub(r" minutes?$", "", amount)
    minutes = {"quarter": 15, "half": 30}.get(amount) or _small_number(amount)
    before = direction in ("to", "till", "before")
    if minutes is None or not 0 < minutes < 60 or (amount == "half" and before):
        return None
    return -minutes if before else minutes


def _apply_period(
    hour: int, minute: int, marker: str | None, twenty_four: bool, day_part: str | None
) -> time | None:
    """Turn a spoken hour into 0-23: am/pm when said, else the reading inside the
    part of the day the question expects, else the business-hours reading."""
    if marker in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if marker == "pm" else 0)
    elif not twenty_four and 1 <= hour <= 12:
        hour = _unqualified_hour(hour, day_part)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _unqualified_hour(hour: int, day_part: str | None) -> int:
    """An hour 1-12 said without am/pm: the one of its two readings that falls in
    `day_part`; when neither does (or no part is expected), 1 to 6 is afternoon."""
    window = DAY_PART_HOURS.get(day_part or "")
    for candidate in (hour % 12, hour % 12 + 12):
        if window is not None and candidate in window:
            return candidate
    return hour + 12 if hour <= 6 else hour


def _time_from_match(match: re.Match[str], text: str, day_part: str | None) -> time | None:
    groups = match.groupdict()
    if groups.get("special"):
        return time(0, 0) if groups["special"] == "midnight" else time(12, 0)
    hour = _small_number(groups["hour"])
    if hour is None:
        return None
    minute = 0
    if groups.get("minute"):
        parsed_minute = _small_number(groups["minute"])
        if parsed_minute is None:
            return None
        minute = parsed_minute
    if groups.get("relation"):
        offset = _relation_minutes(groups["relation"])
        if offset is None:
            return None
        hour, minute = (hour, offset) if offset > 0 else ((hour - 1) % 12 or 12, 60 + offset)
    marker = groups.get("marker")
    if marker in (None, "oclock"):
        marker = next(
            (ap for word, ap in _PERIODS.items() if re.search(rf"\b{word}\b", text)),
            None,
        )
    # "14:30", "0:15" and "09:00" are 24-hour times; "2:30" is not.
    twenty_four = hour == 0 or hour >= 13 or groups["hour"].startswith("0")
    return _apply_period(hour, minute, marker, twenty_four, day_part)


def _find_time(text: str, day_part: str | None = None) -> tuple[time, re.Match[str]] | None:
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(text):
            found = _time_from_match(match, text, day_part)
            if found is not None:
                return found, match
    return None


def is_bare_time(utterance: str) -> bool:
    """Whether the answer says a time only as a bare hour ("four", "two thirty"): no
    am/pm, colon, "at" or part of the day. A form reads it as a time only when it asks
    for one (runtime/forms.py): "two large" is no 2 PM."""
    return _find_time(_normalise_time_text(utterance)) is None


def understand_time(utterance: str, day_part: str | None = None) -> str | None:
    """ "2 PM", "half past two"; `day_part` (a `DayPart`) reads "seven" as 19:00
    when the question expects the evening."""
    text = _normalise_time_text(utterance)
    found = _find_time(text, day_part)
    if found is None:
        bare = _BARE_TIME.match(text)
        parsed = _time_from_match(bare, text, day_part) if bare else None
        return parsed.strftime("%H:%M") if parsed else None
    return found[0].strftime("%H:%M")


def understand_datetime(
    utterance: str, now: datetime, day_part: str | None = None, day_first: bool = False
) -> str | None:
    """A date and a time in one answer: "tomorrow at 2 PM", "next Thursday 10am";
    or a date and a part of the day: "tomorrow morning"."""
    text = _normalise_time_text(utterance)
    found = _find_time(text, day_part)
    if found is None:
        return _part_of_day_datetime(text, now, day_part, day_first)
    at, match = found
    rest = text[: match.start()] + " " + text[match.end() :]
    try:
        day = _find_date(rest, now.date(), day_first)
    except _NoSuchDate:
        return None
    if day is None:
        if _words(rest) and _mentions_a_day(rest):
            return None  # a day was said but not understood: do not guess today
        day = now.date() if at > now.time() else _day_after(now.date())
        if day is None:
            return None
    return datetime.combine(day, at).isoformat(timespec="minutes")


def _part_of_day_datetime(
    text: str, now: datetime, day_part: str | None, day_first: bool
) -> str | None:
    """ "tomorrow morning", "Friday afternoon", "tonight", "this evening": that day at
    the part's usual first hour; a day alone when the question expects a part."""
    words = _words(text)
    said_parts = {word for word in words if word in PART_OF_DAY_STARTS}
    if len(said_parts) > 1:
        return None
    part = next(iter(said_parts), day_part)
    starts_at = PART_OF_DAY_STARTS.get(part or "")
    if starts_at is None:
        return None
    try:
        day = _find_date(text, now.date(), day_first)
    except _NoSuchDate:
        return None
    if day is None and _contains_phrase(words, f"this {part}"):
        day = now.date()
    if day is None:
        return None
    return datetime.combine(day, starts_at).isoformat(timespec="minutes")


def _day_after(day: date) -> date | None:
    return day + timedelta(days=1) if day < date.max else None


def _mentions_a_day(text: str) -> bool:
    words = set(_words(text))
    return bool(
        words & (MONTHS.keys() | WEEKDAYS.keys() | {"day", "days", "week", "weeks", "month"})
    )


# --- phone numbers -------------------------------------------------------------

PHONE_REPEATS = {"double": 2, "triple": 3}
PHONE_EXTENSION = frozenset({"ext", "extension"})
# E.164 allows 15 digits; an exit code ("011") and a trunk prefix may come on top.
MAX_PHONE_DIGITS = 20


def _phone_digits(utterance: str) -> tuple[bool, str]:
    """(said "+" or "plus", the digits in order): words and figures alike."""
    text = utterance.lower()
    plus = text.lstrip().startswith("+") or re.search(r"\bplus\b", text) is not None
    words = re.findall(r"[0-9]+|[a-z]+", re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text))
    digits: list[str] = []
    repeat = 1
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in PHONE_EXTENSION:
            break  # an extension is dialled after the call connects: not part of the number
        if word in PHONE_REPEATS:
            repeat = PHONE_REPEATS[word]
            continue
        if word.isascii() and word.isdigit():
            digits.append(word * repeat if len(word) == 1 else word)
        elif word in UNITS or word in ("oh", "o"):
            digits.append(str(UNITS.get(word, 0)) * repeat)
        elif word in TEENS:
            digits.append(str(TEENS[word]))
        elif word in TENS:
            # "forty five" -> 45, "forty" alone -> 40
            digits.append(str(TENS[word] // 10) + ("" if following in UNITS else "0"))
        elif word == "hundred" and digits:
            digits.append("00")
        repeat = 1
    return plus, "".join(digits)


def understand_phone(
    utterance: str, default_region: str = "US", existing_only: bool = False
) -> str | None:
    """E.164: "+1 555 123 4567", "five five five one two three four five six seven".

    The digits said are read by libphonenumber (`phonenumbers`) as a number of
    `default_region` unless a "+" or an exit code ("00", "011" from the US) gives
    the country; a national trunk prefix ("020 7946 0000" in the UK) is dropped.
    The number must have a length that country's plan has; with `existing_only`,
    it must also be in a range the country has given out.
    """
    plus, digits = _phone_digits(utterance)
    if not digits or len(digits) > MAX_PHONE_DIGITS:
        return None
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]  # the exit code of most of the world
    try:
        number = phonenumbers.parse("+" + digits if plus else digits, default_region)
    except phonenumbers.NumberParseException:
        return None
    if existing_only:
        usable = phonenumbers.is_valid_number(number)
    else:
        usable = (
            phonenumbers.is_possible_number_with_reason(number)
            == phonenumbers.ValidationResult.IS_POSSIBLE
        )
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if usable else None
    )


def phone_region(default_region: str | None, default_country_code: str | None) -> str:
    """The region (ISO 3166 code) phone numbers without a country are read in:
    `default_region`, else the main region of `default_country_code`, else "US".
    Raises ValueError for a region or code libphonenumber does not know."""
    if default_region is not None:
        region = default_region.upper()
    elif default_country_code is not None and default_country_code.isdigit():
        region = phonenumbers.region_code_for_country_code(int(default_country_code))
    else:
        region = "US" if default_country_code is None else "ZZ"
    if region not in phonenumbers.SUPPORTED_REGIONS:
        given = default_region if default_region is not None else default_country_code
        raise ValueError(f"no telephone numbering plan is known for {given!r}")
    return region


# --- email addresses -----------------------------------------------------------

EMAIL_ADDRESS = re.compile(r"[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9])?@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
SPOKEN_SYMBOLS = {
    "dot": ".",
    "period": ".",
    "point": ".",
    "underscore": "_",
    "dash": "-",
    "hyphen": "-",
    "minus": "-",
    "plus": "+",
}


def _spoken_part(tokens: Sequence[str], forward: bool) -> str:
    """One side of "@" from the spoken words next to it: a word, then
    (symbol word)*, e.g. "jane dot doe"; letters spelt out ("j a n e") join up."""
    ordered = list(tokens) if forward else list(reversed(tokens))
    taken: list[str] = []
    index = 0
    if forward:
        # A domain heard as two words, "north wind dot io": words up to the first
        # "dot" are one name. (Not for the name before "at", where the words
        # before it are usually the sentence: "my email is jane at ...".)
        run = list(itertools.takewhile(lambda w: w.isalnum() and w not in SPOKEN_SYMBOLS, ordered))
        if 1 < len(run) < len(ordered) and ordered[len(run)] in SPOKEN_SYMBOLS:
            taken, index = ["".join(run)], len(run)
    while index < len(ordered):
        word = ordered[index]
        if not taken or (len(word) == 1 and len(taken[-1]) == 1 and taken[-1].isalnum()):
            if word in SPOKEN_SYMBOLS or not word.isalnum():
                break
            taken.append(word)
            index += 1
        elif word in SPOKEN_SYMBOLS and index + 1 < len(ordered):
            following = ordered[index + 1]
            if following in SPOKEN_SYMBOLS or not following.isalnum():
                break
            taken += [SPOKEN_SYMBOLS[word], following]
            index += 2
        else:
            break
    return "".join(taken if forward else reversed(taken))


def understand_email(utterance: str) -> str | None:
    """ "jane dot doe at example dot co dot uk" -> "jane.doe@example.co.uk"."""
    lowered = utterance.lower().strip()
    written = EMAIL_ADDRESS.findall(lowered)
    if len(written) == 1:
        return str(written[0])
    tokens = re.findall(r"[a-z0-9]+|@", lowered)
    ats = [i for i, token in enumerate(tokens) if token in ("at", "@")]
    # The last "at" is the separator: "at" may also be a word of the sentence.
    for at in reversed(ats):
        local = _spoken_part(tokens[:at], forward=False)
        domain = _spoken_part(tokens[at + 1 :], forward=True)
        candidate = f"{local}@{domain}"
        if local and EMAIL_ADDRESS.fullmatch(candidate):
            return candidate
    return None


# --- choices -------------------------------------------------------------------

FILLER_WORDS = frozenset(
    {
        "the", "a", "an", "one", "ones", "please", "i", "id", "would", "like", "want",
        "take", "get", "go", "with", "for", "um", "uh", "er", "it", "that", "this", "my",
        "to", "be", "will", "have", "lets", "me", "option", "number", "choice",
    }
)  # fmt: skip
ORDINAL_CHOICES = {
    "first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4,
    "1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4,
}  # fmt: skip
# How alike a misheard word must be to an option's word (rapidfuzz's ratio, 0-100).
FUZZY_CUTOFF = 80.0
# Words for how often, and the word their options use: "annually" is "yearly".
SAME_MEANING = {
    "annually": "yearly", "annual": "yearly", "year": "yearly", "years": "yearly",
    "month": "monthly", "months": "monthly", "week": "weekly", "weeks": "weekly",
    "day": "daily", "days": "daily", "everyday": "daily", "quarter": "quarterly",
}  # fmt: skip
# A word that says the option after it is not the answer ("not married").
NEGATING_WORDS = frozenset({"not", "no", "never", "without", "except", "dont", "don't", "nor"})
# Words that may stand between it and the option: "not the card", "don't want large".
NEGATION_GAP_WORDS = frozenset(
    {"the", "a", "an", "that", "this", "any", "want", "like", "need", "take", "with", "for"}
)
# Besides fillers, the words left of an answer whose negated options are taken out
# that still say nothing: "I'm not married" says no option.
EMPTY_REST_WORDS = frozenset({"im", "its", "thats", "but", "rather", "instead", "actually"})


def choice_words(text: str) -> list[str]:
    """The words of an answer or option that can tell options apart: no fillers
    ("the", "please", "I'd like"), and words for how often as their options say them."""
    words = _words(text.replace("'", ""))
    return [SAME_MEANING.get(word, word) for word in words if word not in FILLER_WORDS]


def _unique_best(scores: dict[int, float]) -> int | None:
    """The index with the highest positive score, when no other index ties it."""
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return None
    winners = [index for index, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


# Words before a digit word that make it an option's number, not a count.
KEY_WORDS = ("number", "option", "press", "pressed", "key")
KEYPAD_FIGURES = frozenset("123456789")


def _by_exact_words(said: str, options: Sequence[str]) -> int | None:
    """The answer is an option, up to case, punctuation and spacing."""
    words = _words(said)
    matching = [i for i, option in enumerate(options) if _words(option) == words]
    return matching[0] if len(matching) == 1 else None


def _by_phrase(said: str, options: Sequence[str]) -> int | None:
    """An option written out inside the answer. When several are, one that
    contains the others wins ("extra large" over "large"); else none does."""
    padded = f" {' '.join(_words(said))} "
    contained = {
        i: f" {words} " for i, option in enumerate(options)
        if (words := " ".join(_words(option))) and f" {words} " in padded
    }  # fmt: skip
    widest = [i for i, phrase in contained.items() if all(
        other in phrase for other in contained.values()
    )]  # fmt: skip
    return widest[0] if len(widest) == 1 else None


def _by_position(said: str, options: Sequence[str]) -> int | None:
    """ "the first one", "number two", "the last one", or the option's key on the
    keypad, pressed or said ("3", "press three", and "three" alone unless an option
    is a number): the options are numbered 1 to 9 in the order they are spoken."""
    stripped = said.strip()
    if re.fullmatch(r"[0-9]{1,3}", stripped):
        position = int(stripped) - 1
        return position if 0 <= position < len(options) else None
    words = _words(said)
    positions = {ORDINAL_CHOICES[w] for w in words if w in ORDINAL_CHOICES}
    if "last" in words:
        positions.add(len(options) - 1)
    if _names_a_key(words, options):
        keys = (UNITS.get(w, int(w) if w in KEYPAD_FIGURES else 0) for w in words)
        positions |= {key - 1 for key in keys if key > 0}
    if len(positions) != 1:
        return None
    position = positions.pop()
    return position if 0 <= position < len(options) else None


def says_a_position(utterance: str) -> bool:
    """Whether the answer chooses by position or key ("the second one", "the last",
    "press two", or a key pressed: "2"), not by a number said in words: a form with a
    number field reads "two" as that number (runtime/forms.py)."""
    if utterance.strip() in KEYPAD_FIGURES:
        return True
    words = _words(utterance)
    by_words = any(w in ORDINAL_CHOICES for w in words) or "last" in words
    return by_words or any(_contains_phrase(words, word) for word in KEY_WORDS)


def _names_a_key(words: Sequence[str], options: Sequence[str]) -> bool:
    """Whether a digit word in the answer is an option's number: "number two", "option
    two", "press two", "two" alone (when no option is a number, which "two" would be)."""
    if any(_contains_phrase(words, word) for word in KEY_WORDS):
        return True
    return len(words) == 1 and all(understand_number(option) is None for option in options)


def _by_number(said: str, options: Sequence[str]) -> int | None:
    """ "two" or "a five" for options that are numbers ("1" to "5")."""
    wanted = understand_number(said)
    if wanted is None:
        return None
    matching = [i for i, option in enumerate(options) if understand_number(option) == wanted]
    return matching[0] if len(matching) == 1 else None


def _by_time(said: str, options: Sequence[str], day_part: str | None = None) -> int | None:
    """ "the three o'clock one" for options that name times ("... at 15:00")."""
    wanted = _find_time(_normalise_time_text(said), day_part)
    if wanted is None:
        return None
    times = [_find_time(_normalise_time_text(option)) for option in options]
    matching = [i for i, found in enumerate(times) if found and found[0] == wanted[0]]
    return matching[0] if len(matching) == 1 else None


def _by_words(said: str, options: Sequence[str]) -> int | None:
    """Most shared words, then most alike words (a misheard "larch" is "large")."""
    said_words = set(choice_words(said))
    if not said_words:
        return None
    option_words = [set(choice_words(option)) for option in options]
    shared = {i: float(len(said_words & words)) for i, words in enumerate(option_words)}
    if (found := _unique_best(shared)) is not None:
        return found
    alike = {
        i: float(sum(
            process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            is not None
            for word in said_words
        ))
        for i, words in enumerate(option_words)
    }  # fmt: skip
    return _unique_best(alike)


def _negator_before(words: Sequence[str], start: int) -> int | None:
    """The index of a negating word before words[start], past gap words."""
    index = start - 1
    while index >= 0 and words[index] in NEGATION_GAP_WORDS:
        index -= 1
    return index if index >= 0 and words[index] in NEGATING_WORDS else None


def _negated_options(said: str, options: Sequence[str]) -> tuple[set[int], str]:
    """The options the answer says "not" to, within one clause ("no, card" negates
    nothing), and the answer without them: "not card, points" -> ({card}, "points")."""
    negated: set[int] = set()
    kept: list[str] = []
    for clause in re.split(r"[,.;:!?]", said):
        words = _words(clause)
        dropped = [False] * len(words)
        for index, option in enumerate(options):
            wanted = _words(option)
            for start in range(len(words) - len(wanted) + 1) if wanted else ():
                end = start + len(wanted)
                negator = _negator_before(words, start)
                if words[start:end] == wanted and negator is not None:
                    negated.add(index)
                    dropped[negator:end] = [True] * (end - negator)
        kept.append(" ".join(word for word, drop in zip(words, dropped, strict=True) if not drop))
    return negated, ", ".join(kept)


def _best_match(said: str, options: Sequence[str], day_part: str | None) -> int | None:
    matchers: tuple[Callable[[str, Sequence[str]], int | None], ...] = (
        _by_phrase,
        _by_position,
        _by_number,
        lambda answer, choices: _by_time(answer, choices, day_part),
        _by_words,
    )
    for matcher in matchers:
        found = matcher(said, options)
        if found is not None:
            return found
    return None


def understand_choice(
    utterance: str, options: Sequence[str], day_part: str | None = None
) -> str | None:
    """One of `options`, matched loosely; None when none fits or two fit equally.

    An option said with "not" is never the answer: the rest of the answer is
    matched instead ("not card, points"), and when the rest says nothing, the
    one option left, if only one is.
    """
    said = utterance.strip()
    if not said or not options:
        return None
    found = _by_exact_words(said, options)
    if found is not None:
        return options[found]
    negated, rest = _negated_options(said, options)
    if not negated:
        found = _best_match(said, options, day_part)
        return None if found is None else options[found]
    if set(choice_words(rest)) - EMPTY_REST_WORDS - NEGATING_WORDS:
        found = _best_match(rest, options, day_part)
        return None if found is None or found in negated else options[found]
    left = [option for index, option in enumerate(options) if index not in negated]
    return left[0] if len(left) == 1 else None


# --- text and the component ----------------------------------------------------


def understand_text(utterance: str) -> str | None:
    collapsed = " ".join(utterance.split())
    return collapsed or None


def understand_secret(utterance: str) -> str | None:
    """A PIN or a passphrase: when every word is a digit ("1 2 3 4", "one two three
    four", "12 34", keyed "1234"), the digits joined ("1234"); otherwise the words as
    text, like `understand_text`."""
    return _said_digits(utterance) or understand_text(utterance)


def understand_digits(utterance: str, count: int) -> str | None:
    """An answer of exactly `count` digits (`expect 8 digits`), keyed or said one by
    one as `understand_secret` reads them; a `#` that ends the keying is not one."""
    digits = _said_digits(utterance.replace("#", " "))
    return digits if digits is not None and len(digits) == count else None


def _said_digits(utterance: str) -> str | None:
    """The digits joined when every word is one, else None."""
    words = re.findall(r"[0-9]+|[^\W\d_]+", utterance.lower())
    if words and all((w.isascii() and w.isdigit()) or w in UNITS or w == "oh" for w in words):
        return "".join(w if w.isdigit() else str(UNITS.get(w, 0)) for w in words)
    return None


# Longer than any spoken answer to a question: not read as a value (text
# excepted), which also keeps every reader's time per answer small.
MAX_ANSWER_CHARS = 1_000


def _known_locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"no locale {name!r} in CLDR (use a name such as en_US or de_DE)") from exc


class RuleBasedUnderstanding:
    """`Understanding` by the rules above.

    Phone numbers said without a country are read in `default_region` (an ISO
    3166 code, "GB"), or else in the main region of `default_country_code`
    (calling-code digits, "44"), else in the US. `valid_phone_numbers_only`
    takes only numbers in ranges their country has given out, by libphonenumber's
    tables ("555 123 4567" is not: 555 is no US area code); without it, any
    number of a length its country's plan has. Raises ValueError for a region or
    calling code libphonenumber does not know.

    `locale` (a CLDR name, "en_GB") says how figures are written ("1.200,50" in
    de_DE) and whether a slashed date is day first ("14/3" in en_GB); the words
    understood stay English. Raises ValueError for a locale CLDR does not have.
    """

    def __init__(
        self,
        default_country_code: str | None = None,
        *,
        default_region: str | None = None,
        valid_phone_numbers_only: bool = False,
        locale: str = "en_US",
    ) -> None:
        self.phone_region = phone_region(default_region, default_country_code)
        self.valid_phone_numbers_only = valid_phone_numbers_only
        self.locale = _known_locale(locale)
        pattern = get_date_format("short", locale=self.locale).pattern
        self.day_first = pattern.index("d") < pattern.index("M")

    def understand(
        self,
        type_name: str,
        utterance: str,
        options: Sequence[str] | None,
        now: datetime,
        day_part: str | None = None,
    ) -> JSON | None:
        if type_name == ValueType.TEXT and options is None:
            return understand_text(utterance)
        if len(utterance) > MAX_ANSWER_CHARS:
            return None
        if options is not None:
            return understand_choice(utterance, options, day_part)
        if type_name == ValueType.NUMBER:
            return understand_number(utterance, self.locale)
        if type_name == ValueType.BOOL:
            return understand_bool(utterance)
        if type_name == ValueType.DATE:
            return understand_date(utterance, now, self.day_first)
        if type_name == ValueType.TIME:
            return understand_time(utterance, day_part)
        if type_name == ValueType.DATETIME:
            return understand_datetime(utterance, now, day_part, self.day_first)
        if type_name == ValueType.PHONE:
            return understand_phone(utterance, self.phone_region, self.valid_phone_numbers_only)
        if type_name == ValueType.EMAIL:
            return understand_email(utterance)
        if type_name == ValueType.SECRET:
            return understand_secret(utterance)
        return None

    def intent(
        self, utterance: str, intents: Mapping[str, Sequence[str]]
    ) -> HeardIntent | None:
        return heard_intent(utterance, intents)

    def intent_by_meaning(
        self,
        utterance: str,
        intents: Mapping[str, Sequence[str]],
        options: Sequence[str] | None,
    ) -> HeardIntent | None:
        return None  # the rules hear an intent only by its phrase

    def understand_form(
        self, utterance: str, fields: Sequence[FormField], now: datetime, asking: str | None
    ) -> dict[str, JSON]:
        from .forms import fill_form  # forms.py builds on this module's readers

        if len(utterance) > MAX_ANSWER_CHARS:
            return {}

        def read(type_name: str, words: str, options: Sequence[str] | None) -> JSON | None:
            return self.understand(type_name, words, options, now) if words else None

        return fill_form(utterance, fields, asking, read)
