"""The .flowtest format as parsed: every kind of line, values over several lines, spans."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flowc import codes
from flowc.testing.model import (
    Answer,
    EventExpectation,
    ExitLine,
    Line,
    NoAnswer,
    SubjectKind,
    VariableExpectation,
)
from flowc.testing.parse import DEFAULT_CLOCK, parse_flowtest

EVERY_KIND = """\
# A comment, then the header.
test "books the second slot"
action MakeAppointment from "../lib/appointments.flow"
input client_name = "Jane Doe"
call from +15550001111 to +15550009999
clock 2030-03-10T09:00 Europe/London
env CALENDAR_API_KEY = "test-key"

stub slots: 200 {
  "first": "14:00",
  "second": "15:00"
}
stub booking: timeout
stub POST https://calendar.example.com/*: 503
stub score: returns 82
stub check: raises ValueError "no model"
stub sms to +15550001111: fails "carrier down"
stub transfer: fails

agent: What day and time would suit you best?
caller: March 14th 2030 at 2 PM
caller: (silence)
exit: Success(booking_id = "bk-1", meeting_link = "https://meet.example.com/bk-1")

expect slots = {"first": "14:00", "second": "15:00"}
expect event request_failed {"method": "POST"}
expect no event message_failed
"""


def test_every_kind_of_line() -> None:
    test, diagnostics = parse_flowtest("tests/t.flowtest", EVERY_KIND)
    assert diagnostics == []
    assert test is not None
    assert test.name == "books the second slot"
    assert test.subject.kind is SubjectKind.ACTION
    assert (test.subject.name.name, test.subject.file) == ("MakeAppointment",
                                                           "../lib/appointments.flow")
    assert [(i.name.name, i.value) for i in test.inputs] == [("client_name", "Jane Doe")]
    assert (test.caller, test.callee) == ("+15550001111", "+15550009999")
    assert test.clock == datetime(2030, 3, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    assert test.env == {"CALENDAR_API_KEY": "test-key"}
    slots, booking, by_url = test.requests
    assert slots.answer == Answer(200, {"first": "14:00", "second": "15:00"}, True)
    assert booking.answer is NoAnswer.TIMEOUT
    assert (by_url.method, by_url.url, by_url.answer) == (
        "POST", "https://calendar.example.com/*", Answer(503, None, False))
    score, check = test.codes
    assert (score.returns, score.raises) == (82, None)
    assert (check.raises, check.message) == ("ValueError", "no model")
    assert [(d.medium, d.to, d.reason) for d in test.deliveries] == [
        ("sms", "+15550001111", "carrier down"), ("transfer", None, "transfer refused")]
    said, turn, silence, leaves = test.transcript
    assert isinstance(said, Line) and not said.is_turn
    assert isinstance(turn, Line) and turn.turn == "March 14th 2030 at 2 PM"
    assert isinstance(silence, Line) and (silence.turn, silence.text) == (None,
                                                                          "caller: (silence)")
    assert isinstance(leaves, ExitLine)
    assert leaves.text == ('exit: Success(booking_id = "bk-1", '
                           'meeting_link = "https://meet.example.com/bk-1")')
    assert test.turns == ["March 14th 2030 at 2 PM", None]
    variable, present, absent = test.expectations
    assert isinstance(variable, VariableExpectation) and variable.name.name == "slots"
    assert isinstance(present, EventExpectation) and present.present
    assert isinstance(absent, EventExpectation) and not absent.present and absent.fields == {}


def test_spans_point_at_the_text_of_the_test_file() -> None:
    test, _ = parse_flowtest("t.flowtest", EVERY_KIND)
    assert test is not None
    booking = test.requests[1].variable
    assert booking is not None
    assert (booking.span.line, booking.span.column, booking.span.end_column) == (13, 6, 13)
    assert test.transcript[0].span.line == 20


def test_a_test_without_header_values_gets_the_defaults() -> None:
    test, diagnostics = parse_flowtest("hello.flowtest", 'flow Hello from "hello.flow"\n')
    assert diagnostics == [] and test is not None
    assert (test.name, test.caller, test.clock) == ("hello", "+15550000000", DEFAULT_CLOCK)
    assert test.transcript == ()


def test_every_malformed_line_is_reported_and_the_next_lines_are_still_read() -> None:
    text = (
        'flow Hello from "hello.flow"\n'
        "stub slots: 200 {\"a\":\n"
        "   nope}\n"
        "clock yesterday\n"
        "agnet: Hi\n"
        "agent: Hi\n"
    )
    test, diagnostics = parse_flowtest("t.flowtest", text)
    assert test is None
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [
        (codes.TEST_SYNTAX, 3, 4),
        (codes.TEST_SYNTAX, 4, 7),
        (codes.TEST_SYNTAX, 5, 1),
    ]
    assert diagnostics[1].message == "'yesterday' is not a date and time"
    assert diagnostics[2].help == "did you mean 'agent'?"


def test_a_file_that_names_nothing_to_call_says_so() -> None:
    test, [diagnostic] = parse_flowtest("t.flowtest", "agent: Hi\n")
    assert test is None
    assert diagnostic.message == "the test does not say what it calls"
