"""The expression helpers generated code calls, as properties over JSON values."""

from __future__ import annotations

from datetime import date, time

import pytest
from flowc_runtime import ops
from flowc_runtime.services import JSON
from hypothesis import given
from hypothesis import strategies as st

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values: st.SearchStrategy[JSON] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@given(json_values)
def test_equality_is_reflexive_and_inequality_its_negation(value: JSON) -> None:
    assert ops.eq(value, value)
    assert not ops.ne(value, value)


@given(st.booleans(), st.integers())
def test_a_bool_never_equals_a_number(flag: bool, number: int) -> None:
    assert not ops.eq(flag, number)
    assert not ops.eq([flag], [number])
    assert not ops.eq({"field": flag}, {"field": number})


@given(json_values, json_values)
def test_fallback_replaces_exactly_the_empty_values(value: JSON, alternative: JSON) -> None:
    expected = alternative if value in (None, "", [], {}) and not isinstance(value, bool) else value
    assert ops.fallback(value, alternative) == expected


@given(st.integers(), st.integers())
def test_numbers_order_as_numbers(a: int, b: int) -> None:
    assert ops.lt(a, b) == (a < b)
    assert ops.ge(float(a), b) == (a >= b)


@given(st.dates(), st.dates())
def test_iso_dates_order_chronologically(a: date, b: date) -> None:
    assert ops.lt(a.isoformat(), b.isoformat(), "date") == (a < b)


@given(st.times(), st.times())
def test_times_order_by_value_not_by_text(a: time, b: time) -> None:
    # "9:30" is before "17:00" though its text sorts after it.
    written = f"{a.hour}:{a.minute:02d}", f"{b.hour:02d}:{b.minute:02d}:{b.second:02d}"
    a, b = a.replace(second=0, microsecond=0), b.replace(microsecond=0)
    assert ops.lt(*written, "time") == (a < b)
    assert ops.ge(*written, "time") == (a >= b)


@pytest.mark.parametrize(
    ("left", "right", "message"),
    [
        ("10", 3, 'cannot compare text "10" < number 3'),
        (None, 3, "cannot compare nothing (undefined) < number 3"),
        ([1], [2], "cannot compare list [1] < list [2]"),
    ],
)
def test_ordering_unrelated_values_is_a_fault_in_words(
    left: JSON, right: JSON, message: str
) -> None:
    with pytest.raises(ops.FlowFault) as raised:
        ops.lt(left, right)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (42, "42"),
        (42.0, "42"),
        (3.5, "3.5"),
        (True, "true"),
        (None, ""),
        (["a", 1], "a, 1"),
        ({"k": "v"}, '{"k": "v"}'),
        ("{{ not a template }}", "{{ not a template }}"),
    ],
)
def test_values_render_in_templates(value: JSON, rendered: str) -> None:
    assert ops.text("<", value, ">") == f"<{rendered}>"


def test_paths_on_missing_parts_are_undefined() -> None:
    record: JSON = {"slots": [{"at": "14:00"}]}
    assert ops.field(ops.index(ops.field(record, "slots"), 0), "at") == "14:00"
    assert ops.index(ops.field(record, "slots"), 5) is None
    assert ops.field(ops.field(record, "nope"), "at") is None
    assert ops.field("text", "at") is None


def test_contains_looks_in_lists_texts_and_records() -> None:
    assert ops.contains("b", ["a", "b"])
    assert ops.contains("ell", "hello")
    assert ops.contains("k", {"k": 1})
    assert not ops.contains(1, [True])
    with pytest.raises(ops.FlowFault):
        ops.contains(1, 2)


@pytest.mark.parametrize(
    ("value", "shape", "reason"),
    [
        ({"first": "9:00", "second": "10:00"}, {"first": "text", "second": "text"}, None),
        ({"first": "9:00"}, {"first": "text", "second": "text"}, "body.second is missing"),
        ({"n": "7"}, {"n": "number"}, 'body.n should be number, got text "7"'),
        ([{"n": 1}, {"n": True}], [{"n": "number"}], "body[1].n should be number, got bool true"),
        ("anything", "json", None),
        ([1, 2], {"a": "text"}, "body should be a record, got list [1, 2]"),
    ],
)
def test_shape_mismatches_are_explained(value: JSON, shape: ops.Shape, reason: str | None) -> None:
    assert ops.shape_mismatch(value, shape) == reason


@given(json_values)
def test_every_json_value_converts_to_itself(value: JSON) -> None:
    assert ops.to_json(value) == value


def test_python_values_that_are_not_json_are_refused() -> None:
    assert ops.to_json((1, "a")) == [1, "a"]
    with pytest.raises(ops.FlowFault, match="a set is not a value a flow can hold"):
        ops.to_json({1, 2})
    with pytest.raises(ops.FlowFault, match="is not a number a flow can hold"):
        ops.to_json(float("nan"))


@pytest.mark.parametrize(
    ("text", "type_name", "value"),
    [
        ("8080", "number", 8080),
        ("2.5", "number", 2.5),
        ("1e3", "number", 1000),
        ("Yes", "bool", True),
        ("off", "bool", False),
        ('{"a": [1]}', "json", {"a": [1]}),
        ("plain", "text", "plain"),
        ("2024-05-01", "date", "2024-05-01"),
        (" 09:30 ", "time", "09:30"),
        ("2024-05-01T09:30", "datetime", "2024-05-01T09:30"),
        ("+14155550123", "phone", "+14155550123"),
        ("ops@example.com", "email", "ops@example.com"),
        ("a, b ,c", ["text"], ["a", "b", "c"]),
        ("1, 2.5", ["number"], [1, 2.5]),
        ("yes,no", ["bool"], [True, False]),
        ("2024-05-01", ["date"], ["2024-05-01"]),
        ("", ["text"], []),
        ('[{"a": 1}]', [{"a": "number"}], [{"a": 1}]),
    ],
)
def test_environment_values_are_read_as_their_declared_type(
    text: str, type_name: ops.Shape, value: JSON
) -> None:
    assert ops.from_env("X", text, type_name) == value


@pytest.mark.parametrize(
    ("text", "type_name", "message"),
    [
        ("eighty", "number", "the environment variable X is not a number: 'eighty'"),
        ("inf", "number", "the environment variable X is not a number: 'inf'"),
        ("maybe", "bool", "the environment variable X is not true or false: 'maybe'"),
        ("garbage", "date", "the environment variable X is not a date (YYYY-MM-DD): 'garbage'"),
        (
            "2024-02-30",
            "date",
            "the environment variable X is not a date (YYYY-MM-DD): '2024-02-30'",
        ),
        ("25:00", "time", "the environment variable X is not a time (HH:MM): '25:00'"),
        ("9:30", "time", "the environment variable X is not a time (HH:MM): '9:30'"),
        (
            "2024-05-01 09:30",
            "datetime",
            "the environment variable X is not a date and time (YYYY-MM-DDTHH:MM): "
            "'2024-05-01 09:30'",
        ),
        (
            "555-0123",
            "phone",
            "the environment variable X is not a phone number (+ and 8 to 15 digits): '555-0123'",
        ),
        (
            "ops.example.com",
            "email",
            "the environment variable X is not an email address (name@domain): 'ops.example.com'",
        ),
        ("1, two", ["number"], "the environment variable X (item 2) is not a number: 'two'"),
        (
            '[{"a": "x"}]',
            [{"a": "number"}],
            "the environment variable X does not fit its type: "
            'the value[0].a should be number, got text "x"',
        ),
    ],
)
def test_an_environment_value_of_the_wrong_type_is_a_fault(
    text: str, type_name: ops.Shape, message: str
) -> None:
    with pytest.raises(ops.FlowFault) as raised:
        ops.from_env("X", text, type_name)
    assert str(raised.value) == message
