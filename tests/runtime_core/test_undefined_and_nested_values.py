"""What an undefined operand makes of a computation, how lists and records of dates
and times compare, and how awkward numbers are said: the run-time answers behind
`total + 1 ?? 0`, `17:00 in [t]` and `{{1 / 3}}`."""

from __future__ import annotations

import pytest
from flowc_runtime import ops
from flowc_runtime.formats import formats_of

HOUR = 3_600_000


def test_an_undefined_operand_makes_the_whole_computation_undefined() -> None:
    # So `total + 1 ?? "none"` falls back as a whole, as the checker lets it.
    assert ops.add(None, 1) is None and ops.sub(3, None) is None
    assert ops.mul(None, None) is None and ops.div(None, 2) is None
    assert ops.negative(None) is None
    assert ops.later(None, HOUR, "time") is None and ops.earlier("17:00", None, "time") is None
    assert ops.between(None, "17:00", "time") is None
    assert ops.length(None) is None and ops.index([1, 2], None) is None
    assert ops.fallback(ops.add(None, 1), "none") == "none"


def test_a_negative_position_is_out_of_range_not_counted_from_the_end() -> None:
    items = [10, 20, 30]
    assert ops.index(items, ops.sub(0, 1)) is None
    assert (ops.index(items, 0), ops.index(items, 2), ops.index(items, 3)) == (10, 30, None)


def test_lists_and_records_of_times_compare_by_value_with_their_shape() -> None:
    assert ops.contains("17:00", ["17:00:00"], "time")
    assert not ops.contains("17:00", ["17:00:00"])  # texts, without the shape
    assert ops.eq(["17:00"], ["17:00:00"], ["time"])
    assert ops.eq({"at": "17:00", "who": "Ann"}, {"at": "17:00:00", "who": "Ann"}, {"at": "time"})
    assert not ops.eq({"at": "17:00", "who": "Ann"}, {"at": "17:00", "who": "Bo"}, {"at": "time"})
    assert ops.contains("2030-03-14T17:00", ["2030-03-14T17:00:00"], "datetime")


@pytest.mark.parametrize(
    ("value", "said"),
    [(0.1 * 3, "0.3"), (1 / 3, "0.333333333333"), (40.712776, "40.712776"), (2.5, "2.5")],
)
def test_binary_fraction_noise_is_not_said(value: float, said: str) -> None:
    assert ops.render(value) == said


def test_negative_and_sub_second_durations_are_said_in_full() -> None:
    english = formats_of("en_US", "USD")
    assert english.duration(-90 * 60_000) == "minus 1 hour and 30 minutes"
    assert english.duration(1500) == "1 second and 500 milliseconds"
    assert english.duration(0) == "0 seconds"


def test_a_number_too_large_to_say_is_a_fault_in_words() -> None:
    english = formats_of("en_US", "USD")
    huge = float(10**300) * 10**8
    with pytest.raises(ops.FlowFault, match=r"'as words' cannot say number"):
        english.formatted(huge, "words")
    with pytest.raises(ops.FlowFault, match=r"'as digits' reads a whole number or a text"):
        english.formatted(2.5, "digits")
