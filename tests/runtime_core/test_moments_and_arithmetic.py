"""Arithmetic, dates and times as values, and what a collect's computed options become.

Each function is the one generated code calls for an operator (flowc.codegen.expressions
chooses it from the checker's types), run on the JSON values a call holds.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from flowc_runtime import ops
from flowc_runtime.services import JSON
from hypothesis import given
from hypothesis import strategies as st

HOUR, DAY = 3_600_000, 86_400_000


@given(st.integers(-10**9, 10**9), st.integers(-10**9, 10**9))
def test_whole_numbers_add_subtract_and_multiply_exactly(a: int, b: int) -> None:
    assert (ops.add(a, b), ops.sub(a, b), ops.mul(a, b)) == (a + b, a - b, a * b)


def test_division_keeps_whole_quotients_whole_and_refuses_zero() -> None:
    assert ops.div(6, 3) == 2 and isinstance(ops.div(6, 3), int)
    assert ops.div(7, 2) == 3.5
    with pytest.raises(ops.FlowFault, match=r"division by zero: number 1 / number 0"):
        ops.div(1, 0)


def test_texts_join_and_other_mixes_are_faults_in_words() -> None:
    assert ops.add("Room ", "12") == "Room 12"
    with pytest.raises(ops.FlowFault, match=r'cannot compute text "a" - number 1'):
        ops.sub("a", 1)
    with pytest.raises(ops.FlowFault, match="is not a number a flow can hold"):
        ops.mul(1e308, 1e308)
    assert ops.negative(2.5) == -2.5


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), st.integers(-400, 400))
def test_a_date_moves_by_whole_days(day: date, days: int) -> None:
    moved = ops.later(day.isoformat(), days * DAY, "date")
    assert moved == (day + timedelta(days=days)).isoformat()
    assert ops.earlier(moved, days * DAY, "date") == day.isoformat()
    assert ops.between(moved, day.isoformat(), "date") == days * DAY


def test_part_of_a_day_on_a_date_is_a_fault() -> None:
    with pytest.raises(ops.FlowFault, match="a date moves by whole days, not by 2 hours"):
        ops.later("2030-03-14", 2 * HOUR, "date")


def test_a_time_goes_round_the_clock() -> None:
    assert ops.later("23:30", HOUR, "time") == "00:30"
    assert ops.earlier("00:15", 30 * 60_000, "time") == "23:45"
    assert ops.later("17:00", 30_000, "time") == "17:00:30"
    assert ops.between("18:00", "17:30", "time") == 30 * 60_000


def test_a_datetime_moves_on_the_wall_clock_and_crosses_days() -> None:
    assert ops.later("2030-03-14T23:00", 2 * HOUR, "datetime") == "2030-03-15T01:00"
    assert ops.between("2030-03-15T01:00", "2030-03-14T23:00", "datetime") == 2 * HOUR
    # An offset is the call's zone's own (call.started_at): the wall-clock time is kept.
    assert ops.moment_part("2030-03-14T23:00:05+01:00", "date") == "2030-03-14"
    assert ops.moment_part("2030-03-14T23:00:05+01:00", "time") == "23:00:05"


def test_times_and_dates_compare_as_values() -> None:
    assert ops.lt("9:30", "17:00", "time")  # as text, "9:30" > "17:00"
    assert ops.eq("17:00", "17:00:00", "time")
    assert ops.gt("18:00", "17:00", "time")  # "6 PM" is after "5 PM"
    assert ops.le("2030-03-14", ops.moment_part("2030-03-14T08:00", "date"), "date")
    with pytest.raises(ops.FlowFault, match=r'text "5:00 PM" is not a time'):
        ops.lt("5:00 PM", "17:00", "time")


def test_an_api_answer_is_checked_for_real_times_and_kept_as_iso_text() -> None:
    # issue 10: `expect {first: time}` took "5:00 PM", then compared times as texts.
    shape: ops.Shape = {"first": "time", "slots": ["datetime"]}
    reason = ops.shape_mismatch({"first": "5:00 PM", "slots": []}, shape)
    assert reason == 'body.first should be a time (ISO text such as 17:00), got text "5:00 PM"'
    answer: JSON = {"first": "17:00:00", "slots": ["2030-03-14T21:00:00Z"], "note": "x"}
    assert ops.shape_mismatch(answer, shape) is None
    conformed = ops.with_moments(answer, shape, ZoneInfo("America/New_York"))
    assert conformed == {"first": "17:00", "slots": ["2030-03-14T17:00"], "note": "x"}
    assert ops.with_moments(answer, shape, UTC) == {
        "first": "17:00", "slots": ["2030-03-14T21:00"], "note": "x",
    }  # fmt: skip


def test_lists_have_lengths_computed_indexes_and_fields_of_every_item() -> None:
    slots: JSON = [{"start": "17:00"}, {"start": "18:00"}]
    assert ops.length(slots) == 2 and ops.length("abc") == 3
    assert ops.index(slots, ops.sub(ops.length(slots), 1)) == {"start": "18:00"}
    assert ops.field(slots, "start") == ["17:00", "18:00"]
    with pytest.raises(ops.FlowFault, match=r"an index is a whole number, not number 1\.5"):
        ops.index(slots, 1.5)
    with pytest.raises(ops.FlowFault, match="len"):
        ops.length(3)


def test_computed_options_are_the_texts_of_the_items() -> None:
    assert ops.options(["17:00", 3, True]) == ["17:00", "3", "true"]
    with pytest.raises(ops.FlowFault, match="the options of a collect are a list"):
        ops.options("17:00")
