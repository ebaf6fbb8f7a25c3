"""RuleBasedUnderstanding: what callers say, and the value each collect type gets.

Each table row is one answer a caller might give. Dates are relative to NOW,
Wednesday 25 November 2026, 11:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pytest
from flowc_runtime.services import JSON
from flowc_runtime.understanding import RuleBasedUnderstanding, understand_digits
from hypothesis import example, given, settings
from hypothesis import strategies as st

NOW = datetime(2026, 11, 25, 11, 0)  # a Wednesday
UNDERSTANDING = RuleBasedUnderstanding()


def understood(type_name: str, said: str, options: Sequence[str] | None = None) -> JSON | None:
    return UNDERSTANDING.understand(type_name, said, options, NOW)


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("Jane Doe", "Jane Doe"),
        ("  Jane   Doe \n", "Jane Doe"),
        ("1234", "1234"),
        ("", None),
        ("   ", None),
    ],
)
def test_text(said: str, value: JSON) -> None:
    assert understood("text", said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("42", 42),
        ("forty two", 42),
        ("forty-two", 42),
        ("about forty two people", 42),
        ("three point five", 3.5),
        ("3.5", 3.5),
        ("three point one four", 3.14),
        ("point five", 0.5),
        ("two and a half", 2.5),
        ("minus two", -2),
        ("negative seven", -7),
        ("-2", -2),
        ("zero", 0),
        ("twenty", 20),
        ("a hundred and five", 105),
        ("one thousand two hundred", 1200),
        ("twelve hundred", 1200),
        ("about 1,200", 1200),
        ("$500", 500),
        ("five hundred dollars", 500),
        ("seventy five thousand", 75000),
        ("one million two hundred thousand and five", 1_200_005),
        ("2 thousand", 2000),
        # fractions of a scale, shorthand multipliers, counts in words
        ("half a million", 500_000),
        ("a quarter million", 250_000),
        ("a quarter of a million", 250_000),
        ("three quarters of a million", 750_000),
        ("two and a half million", 2_500_000),
        ("1.5 million", 1_500_000),
        ("two point five thousand", 2500),
        ("5k", 5000),
        ("1.5k", 1500),
        ("five k", 5000),
        ("two point five k", 2500),
        ("$20K", 20_000),
        ("3 grand", 3000),
        ("three grand", 3000),
        ("a dozen", 12),
        ("two dozen", 24),
        ("half a dozen", 6),
        ("a couple", 2),
        ("a couple of people", 2),
        ("a couple hundred", 200),
        ("just me", 1),
        ("only me", 1),
        ("it's just myself", 1),
        # not one number
        ("", None),
        ("none", None),
        ("ten or twelve", None),
        ("two three", None),
        ("a million million", None),
        ("9" * 16, None),
        ("minus", None),
        ("half", None),
        ("a quarter", None),
        ("k", None),
        ("grand", None),
        ("couple", None),
        ("just me and my 3 kids", None),
        # asking to wait is not the number 1
        ("one moment", None),
        ("hold on one sec", None),
        ("I need to check, one minute", None),
        ("one second please", None),
        ("hold on one sec, three", 3),
        ("twenty one minutes", 21),
    ],
)
def test_number(said: str, value: JSON) -> None:
    result = understood("number", said)
    assert result == value
    assert type(result) is type(value)  # 42 stays an int, 3.5 a float


@pytest.mark.parametrize(
    ("said", "value"),
    [
        *[(word, True) for word in ["yes", "Yeah.", "yep", "sure", "correct", "yes please"]],
        *[(word, True) for word in ["that's right", "of course", "I do", "absolutely", "okay"]],
        *[(word, True) for word in ["sounds good", "mm-hmm", "mhm", "uh-huh", "that works"]],
        *[(word, True) for word in ["works for me", "perfect", "all right", "yes, sounds good"]],
        *[(word, False) for word in ["no", "nope", "nah", "not really", "No thanks", "I don't"]],
        *[(word, False) for word in ["not at all", "that's not correct", "never", "wrong"]],
        ("1", True),
        ("2", False),
        ("I'm not sure", None),
        ("maybe", None),
        ("I don't know", None),
        ("yes no", None),
        ("uh-uh", False),
        ("that doesn't work", False),
        ("hmm", None),
        ("", None),
        ("3", None),
    ],
)
def test_bool(said: str, value: JSON) -> None:
    assert understood("bool", said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("today", "2026-11-25"),
        ("tomorrow", "2026-11-26"),
        ("the day after tomorrow", "2026-11-27"),
        ("yesterday", "2026-11-24"),
        ("in three days", "2026-11-28"),
        ("in a week", "2026-12-02"),
        ("in 2 weeks", "2026-12-09"),
        # weekdays: the next one after today (today is a Wednesday)
        ("Thursday", "2026-11-26"),
        ("next Thursday", "2026-11-26"),
        ("on Friday", "2026-11-27"),
        ("this Monday", "2026-11-30"),
        ("Wednesday", "2026-12-02"),
        ("Thursday next week", "2026-12-03"),
        ("Monday next week", "2026-11-30"),
        ("Friday after next", "2026-12-04"),
        ("a week from Friday", "2026-12-04"),
        ("a week from tomorrow", "2026-12-03"),
        # "last" / "past" + weekday: the latest one before today
        ("last Tuesday", "2026-11-24"),
        ("this past monday", "2026-11-23"),
        ("last Wednesday", "2026-11-18"),
        # month names: the next occurrence unless a year is said
        ("March 3rd", "2027-03-03"),
        ("march third", "2027-03-03"),
        ("the 3rd of March", "2027-03-03"),
        ("the third of march", "2027-03-03"),
        ("14 March", "2027-03-14"),
        ("December twenty first", "2026-12-21"),
        ("the twenty first of December", "2026-12-21"),
        ("November 25", "2026-11-25"),
        ("November 24", "2027-11-24"),
        ("March 14 2030", "2030-03-14"),
        ("March 3rd, 1985", "1985-03-03"),
        ("third of march 1985", "1985-03-03"),
        # spoken years
        ("January first, nineteen eighty-three", "1983-01-01"),
        ("the first of january nineteen eighty-three", "1983-01-01"),
        ("March 3rd, two thousand and five", "2005-03-03"),
        ("the 14th of March twenty thirty", "2030-03-14"),
        ("July fourth twenty oh one", "2001-07-04"),
        ("May 5 nineteen hundred", "1900-05-05"),
        ("January nineteen", "2027-01-19"),
        # a day of next month
        ("first of next month", "2026-12-01"),
        ("the 15th of next month", "2026-12-15"),
        ("the thirtieth of next month", "2026-12-30"),
        ("Thursday 14 March", "2030-03-14"),  # the next 14 March that is a Thursday
        ("Feb 29", "2028-02-29"),
        ("the 15th", "2026-12-15"),
        ("the twelfth", "2026-12-12"),
        ("on the third", "2026-12-03"),
        ("the twenty second", "2026-12-22"),
        ("the thirty first", "2026-12-31"),
        ("Monday the seventh", "2026-12-07"),
        ("the 30th", "2026-11-30"),
        ("Monday the 7th", "2026-12-07"),
        ("Friday the 13th", "2027-08-13"),
        # figures
        ("2026-12-01", "2026-12-01"),
        ("3/14", "2027-03-14"),
        ("12/24/2026", "2026-12-24"),
        ("12/24/26", "2026-12-24"),
        # not a date
        ("Feb 30", None),
        ("the 31st of next month", "2026-12-31"),
        ("February thirtieth, nineteen eighty-three", None),
        ("February 30th", None),  # not "the 30th" of this month
        ("the 31st of April", None),
        ("2/30", None),
        ("2026-13-01", None),
        ("sometime soon", None),
        ("Monday or Tuesday", None),
        ("", None),
    ],
)
def test_date(said: str, value: JSON) -> None:
    assert understood("date", said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("2 PM", "14:00"),
        ("2pm", "14:00"),
        ("2 p.m.", "14:00"),
        ("two pm", "14:00"),
        ("10am", "10:00"),
        ("12 am", "00:00"),
        ("12 pm", "12:00"),
        ("2:30 pm", "14:30"),
        ("14:30", "14:30"),
        ("09:00", "09:00"),
        ("0:15", "00:15"),
        ("noon", "12:00"),
        ("midday", "12:00"),
        ("midnight", "00:00"),
        ("half past two", "14:30"),
        ("quarter past nine", "09:15"),
        ("quarter to four", "15:45"),
        ("twenty to five", "16:40"),
        ("ten past eight in the evening", "20:10"),
        ("three o'clock", "15:00"),
        ("nine in the morning", "09:00"),
        ("two thirty", "14:30"),
        ("ten oh five am", "10:05"),
        ("seven forty-five pm", "19:45"),
        # without am/pm: 1 to 6 is afternoon, 7 to 11 morning
        ("at 3", "15:00"),
        ("2:30", "14:30"),
        ("at seven", "07:00"),
        ("around eleven", "11:00"),
        # not a time
        ("25:00", None),
        ("13 pm", None),
        ("half to three", None),
        ("whenever", None),
        ("", None),
    ],
)
def test_time(said: str, value: JSON) -> None:
    assert understood("time", said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("tomorrow at 2 PM", "2026-11-26T14:00"),
        ("next Thursday 10am", "2026-11-26T10:00"),
        ("March 14 2030 at 2 PM", "2030-03-14T14:00"),
        ("Thursday 14 March at 15:00", "2030-03-14T15:00"),
        ("Friday at noon", "2026-11-27T12:00"),
        ("tonight at 8", "2026-11-25T20:00"),
        ("2026-12-01 14:30", "2026-12-01T14:30"),
        ("the 3rd of March at half past nine", "2027-03-03T09:30"),
        # only a time: today while it is ahead, else tomorrow
        ("at 3 pm", "2026-11-25T15:00"),
        ("at 9 am", "2026-11-26T09:00"),
        # a day without a time, or a day not understood
        ("tomorrow", None),
        ("Blursday at 3 pm", "2026-11-25T15:00"),
        # a day and a part of it: the part's first hour of business
        ("tomorrow morning", "2026-11-26T09:00"),
        ("Friday afternoon", "2026-11-27T14:00"),
        ("tomorrow evening", "2026-11-26T18:00"),
        ("tonight", "2026-11-25T20:00"),
        ("this afternoon", "2026-11-25T14:00"),
        ("this morning", "2026-11-25T09:00"),
        ("in a fortnight of days at 3 pm", None),
        ("February 30th at 2 PM", None),
        ("2/30 at 2 PM", None),  # not today at 2 PM
        ("", None),
        ("morning", None),
    ],
)
def test_datetime(said: str, value: JSON) -> None:
    assert understood("datetime", said) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("+1 555 123 4567", "+15551234567"),
        ("+1 (555) 123-4567 ext. 89", "+15551234567"),
        ("555 123 4567 extension twelve", "+15551234567"),
        ("555-123-4567", "+15551234567"),
        ("(555) 123-4567", "+15551234567"),
        ("1 800 555 1234", "+18005551234"),
        ("five five five one two three four five six seven", "+15551234567"),
        ("double five five, one two three, forty five sixty seven", "+15551234567"),
        ("eight hundred five five five one two three four", "+18005551234"),
        ("plus four four two zero seven nine four six zero zero zero zero", "+442079460000"),
        ("0044 20 7946 0000", "+442079460000"),
        ("my number is 555 123 4567 thanks", "+15551234567"),
        # too short to be a full number: no country or area code to assume
        ("five five five one two three four", None),
        ("+1 555", None),
        ("call me", None),
        ("+1 555 123 4567 8901 234", None),
        ("", None),
    ],
)
def test_phone(said: str, value: JSON) -> None:
    assert understood("phone", said) == value


@pytest.mark.parametrize(
    ("region", "said", "value"),
    [
        ("GB", "020 7946 0000", "+442079460000"),
        ("GB", "07700 900123", "+447700900123"),
        ("FR", "01 23 45 67 89", "+33123456789"),
        ("FR", "zero six, twelve, thirty four, fifty six, seventy eight", "+33612345678"),
        ("DE", "030 123456", "+4930123456"),
        ("DE", "+49 30 1234567", "+49301234567"),
        ("IN", "98765 43210", "+919876543210"),
        ("AU", "0412 345 678", "+61412345678"),
        ("US", "011 44 20 7946 0000", "+442079460000"),  # the US exit code
        ("GB", "00 1 202 555 0123", "+12025550123"),
        # a length the country's numbering plan does not have
        ("FR", "01 23 45 67", None),
        ("GB", "+44 20 7946", None),
        ("DE", "0", None),
    ],
)
def test_phone_numbers_of_every_country(region: str, said: str, value: JSON) -> None:
    understanding = RuleBasedUnderstanding(default_region=region)

    assert understanding.understand("phone", said, None, NOW) == value


def test_phone_numbers_can_be_required_to_exist() -> None:
    """Only numbers in a range the country has given out: 555 is no US area code."""
    strict = RuleBasedUnderstanding(valid_phone_numbers_only=True)

    assert strict.understand("phone", "555 123 4567", None, NOW) is None
    assert strict.understand("phone", "202 555 0123", None, NOW) == "+12025550123"
    assert strict.understand("phone", "+44 20 7946 0000", None, NOW) == "+442079460000"


def test_phone_default_country_code_is_configurable() -> None:
    british = RuleBasedUnderstanding(default_country_code="44")

    assert british.understand("phone", "2079460000", None, NOW) == "+442079460000"
    assert british.understand("phone", "020 7946 0000", None, NOW) == "+442079460000"


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("jane at example dot com", "jane@example.com"),
        ("jane dot doe at example dot co dot uk", "jane.doe@example.co.uk"),
        ("Jane.Doe@Example.com", "jane.doe@example.com"),
        ("my email is jane at example dot com", "jane@example.com"),
        ("it's bob underscore smith at mail dot example dot org", "bob_smith@mail.example.org"),
        ("j a n e at example dot com", "jane@example.com"),
        ("mary dash ann at my dash site dot io", "mary-ann@my-site.io"),
        ("sam dot lee at north wind dot io", "sam.lee@northwind.io"),
        ("jane at example dot com and my number is five", "jane@example.com"),
        ("send it to jane at example dot com please", "jane@example.com"),
        ("at example dot com", None),
        ("jane at example", None),
        ("look at that", None),
        ("", None),
    ],
)
def test_email(said: str, value: JSON) -> None:
    assert understood("email", said) == value


SIZES = ["small", "medium", "large"]
SLOTS = ["Thursday 14 March at 14:00", "Thursday 14 March at 15:00", "neither"]
TIMELINES = ["this month", "this quarter", "just exploring"]
RATINGS = ["1", "2", "3", "4", "5"]
STATUSES = ["single", "married", "divorced"]
PAYMENTS = ["card", "points"]
BILLING = ["monthly", "yearly"]


@pytest.mark.parametrize(
    ("options", "said", "value"),
    [
        (SIZES, "large", "large"),
        (SIZES, "Large.", "large"),
        (SIZES, "a large one please", "large"),
        (SIZES, "I'd like the small", "small"),
        (SIZES, "extra large", "large"),
        (SIZES, "larg", "large"),  # misheard: close enough
        (SIZES, "the first one", "small"),
        (SIZES, "the second one", "medium"),
        (SIZES, "the last one", "large"),
        (SIZES, "number three", "large"),
        (SIZES, "2", "medium"),
        (SIZES, "medium or large", None),  # two fit equally: ask again
        (SIZES, "none of them", None),
        (SIZES, "4", None),
        (SIZES, "", None),
        (["large", "extra large"], "extra large please", "extra large"),
        (SLOTS, "Thursday 14 March at 15:00", "Thursday 14 March at 15:00"),
        (SLOTS, "the one at 15:00", "Thursday 14 March at 15:00"),
        (SLOTS, "the three o'clock one", "Thursday 14 March at 15:00"),
        (SLOTS, "2 pm", "Thursday 14 March at 14:00"),
        (SLOTS, "The 3 PM one, please.", "Thursday 14 March at 15:00"),
        (SLOTS, "the first", "Thursday 14 March at 14:00"),
        (SLOTS, "neither of them", "neither"),
        (SLOTS, "Thursday", None),
        (TIMELINES, "probably this quarter", "this quarter"),
        (TIMELINES, "we're just exploring", "just exploring"),
        (TIMELINES, "month", "this month"),
        ([], "anything", None),
        # numbered options: the number said, in words or figures
        (RATINGS, "two", "2"),
        (RATINGS, "a five", "5"),
        (RATINGS, "number two", "2"),
        (RATINGS, "4", "4"),
        (["10", "20", "30"], "twenty", "20"),
        (["10", "20", "30"], "number two", "20"),
        (RATINGS, "six", None),
        # an option said with "not" is never the answer
        (STATUSES, "not married", None),
        (STATUSES, "I'm not married, I'm single", "single"),
        (STATUSES, "divorced, not married", "divorced"),
        (PAYMENTS, "not card, points", "points"),
        (PAYMENTS, "not the card", "points"),  # the one option left
        (PAYMENTS, "no, card please", "card"),
        (PAYMENTS, "not card, not points", None),
        (["no cheese", "extra cheese"], "no cheese", "no cheese"),
        # frequencies by their other names
        (BILLING, "annually", "yearly"),
        (BILLING, "every month", "monthly"),
        (BILLING, "once a year", "yearly"),
        (["weekly", "annual plan"], "yearly", "annual plan"),
        # a keypad menu: the options are 1 to 9 in the order spoken, keyed or said
        (SIZES, "one", "small"),
        (SIZES, "press two", "medium"),
        (SIZES, "I pressed 3", "large"),
        (SIZES, "option one", "small"),
        (SIZES, "press four", None),
        (["5", "10", "15"], "two", None),  # "two" is a number here, not a key
        (["5", "10", "15"], "press two", "10"),
    ],
)
def test_choice(options: list[str], said: str, value: JSON) -> None:
    assert understood("text", said, options) == value


@pytest.mark.parametrize(
    ("type_name", "day_part", "said", "value"),
    [
        ("time", "evening", "seven", "19:00"),
        ("time", "evening", "at 7:30", "19:30"),
        ("time", "evening", "half past eight", "20:30"),
        ("time", "evening", "at 6", "18:00"),
        ("time", "morning", "at 5", "05:00"),
        ("time", "morning", "six thirty", "06:30"),
        # an hour that cannot be in that part keeps its usual reading
        ("time", "afternoon", "at eleven", "11:00"),
        ("time", "morning", "at 3", "15:00"),
        # what the caller says outweighs the hint
        ("time", "evening", "7 am", "07:00"),
        ("time", "morning", "seven in the evening", "19:00"),
        ("time", "evening", "09:00", "09:00"),
        ("time", "evening", "noon", "12:00"),
        ("time", "evening", "twelve", "12:00"),
        ("datetime", "evening", "tomorrow at seven", "2026-11-26T19:00"),
        ("datetime", "morning", "Friday at 5", "2026-11-27T05:00"),
        ("datetime", "evening", "tomorrow", "2026-11-26T18:00"),
        (
            "text",
            "evening",
            "the seven o'clock one",
            "Thursday 14 March at 19:00",
        ),
    ],
)
def test_a_collect_can_say_which_part_of_the_day_it_expects(
    type_name: str, day_part: str, said: str, value: JSON
) -> None:
    options = ["Thursday 14 March at 07:00", "Thursday 14 March at 19:00"]

    heard = UNDERSTANDING.understand(
        type_name, said, options if type_name == "text" else None, NOW, day_part=day_part
    )

    assert heard == value


def test_without_a_part_of_the_day_hours_read_as_business_hours() -> None:
    assert understood("time", "seven") == "07:00"
    assert UNDERSTANDING.understand("time", "seven", None, NOW, day_part=None) == "07:00"


def test_answers_longer_than_any_spoken_one_are_text_only() -> None:
    long_answer = "forty two " * 200

    assert understood("text", long_answer) == long_answer.strip()
    assert understood("number", long_answer) is None
    assert understood("text", "1" * 5000, SIZES) is None


# Words the readers react to, so generated answers reach deep into them.
SPOKEN_FRAGMENTS = (
    "at", "dot", "one", "twenty", "hundred", "point", "minus", "a", "half", "and", "past",
    "to", "quarter", "pm", ":", "/", "-", "+", "@", "3rd", "march", "thursday", "next",
    "week", "in", "days", "oh", "double", "the", "first", "last", "number", "12", "99",
    "2026", "00", "noon", "not", "yes", "no", "k", "grand", "quarter", "quarters", "of",
    "dozen", "couple", "nineteen", "eighty", "thousand", "month", "morning", "tonight",
    "1,200", "1.5", "just me", ",",
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    said=st.text(max_size=60)
    | st.lists(
        st.sampled_from(SPOKEN_FRAGMENTS),
        max_size=12,
    ).map(" ".join),
    type_name=st.sampled_from(
        ["text", "number", "bool", "date", "time", "datetime", "phone", "email", "unknown"]
    ),
    options=st.none() | st.lists(st.text(max_size=20), max_size=4),
    now=st.datetimes(),
    day_part=st.none() | st.sampled_from(["morning", "afternoon", "evening", "teatime"]),
)
@example(
    said="tomorrow at 3 pm", type_name="datetime", options=None, now=datetime.max, day_part=None
)
@example(said="yesterday", type_name="date", options=None, now=datetime.min, day_part=None)
@example(said="March 3rd", type_name="date", options=None, now=datetime.max, day_part=None)
@example(said="tomorrow", type_name="datetime", options=None, now=datetime.max, day_part="evening")
def test_never_raises_and_answers_json_of_the_type(
    said: str, type_name: str, options: list[str] | None, now: datetime, day_part: str | None
) -> None:
    value = UNDERSTANDING.understand(type_name, said, options, now, day_part)

    if value is None:
        return
    if options is not None:
        assert value in options
    elif type_name in ("text", "date", "time", "datetime", "phone", "email"):
        assert isinstance(value, str)
    elif type_name == "number":
        assert isinstance(value, int | float) and not isinstance(value, bool)
    elif type_name == "bool":
        assert isinstance(value, bool)


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_figures_read_back_as_the_same_number(number: int) -> None:
    assert understood("number", f"{number:,}") == number
    assert understood("number", str(number)) == number


@given(st.dates(), st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_iso_datetimes_read_back_unchanged(day: date, hour: int, minute: int) -> None:
    written = f"{day} {hour:02}:{minute:02}"

    assert understood("datetime", written) == f"{day}T{hour:02}:{minute:02}"


@pytest.mark.parametrize(
    ("locale", "type_name", "said", "value"),
    [
        # figures written with the locale's decimal and group symbols (CLDR, through babel)
        ("de_DE", "number", "1.200,50 Euro", 1200.5),
        ("de_DE", "number", "3,5", 3.5),
        ("de_DE", "number", "1.200", 1200),
        ("fr_FR", "number", "2,75", 2.75),
        ("en_IN", "number", "12,34,567", 1_234_567),
        ("en_US", "number", "1,200.50", 1200.5),
        ("en_US", "number", "1,20", None),  # no grouping of en_US: not one number
        # slashed dates in the locale's order of day and month
        ("en_GB", "date", "14/3", "2027-03-14"),
        ("en_GB", "date", "3/14", None),
        ("en_GB", "date", "01/12/2026", "2026-12-01"),
        ("de_DE", "datetime", "14/3/2030 at 15:00", "2030-03-14T15:00"),
        ("en_US", "date", "3/14", "2027-03-14"),
        ("ja_JP", "date", "3/14", "2027-03-14"),  # year, month, day
    ],
)
def test_written_figures_and_dates_follow_the_locale(
    locale: str, type_name: str, said: str, value: JSON
) -> None:
    understanding = RuleBasedUnderstanding(locale=locale)

    assert understanding.understand(type_name, said, None, NOW) == value


def test_an_unknown_locale_or_region_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="no locale 'xx_YY'"):
        RuleBasedUnderstanding(locale="xx_YY")
    with pytest.raises(ValueError, match="no telephone numbering plan is known for 'XX'"):
        RuleBasedUnderstanding(default_region="XX")
    with pytest.raises(ValueError, match="no telephone numbering plan is known for '999'"):
        RuleBasedUnderstanding(default_country_code="999")


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("00421234", "00421234"),  # keyed: leading zeros kept
        ("00421234#", "00421234"),  # the `#` that ends the keying is not a digit
        ("oh oh four two one two three four", "00421234"),
        ("0042 1234", "00421234"),
        ("0042123", None),  # one short: asked again
        ("004212345", None),
        ("my account is 00421234", None),  # words besides the digits
        ("#", None),
    ],
)
def test_a_fixed_number_of_digits(said: str, value: str | None) -> None:
    assert understand_digits(said, 8) == value
