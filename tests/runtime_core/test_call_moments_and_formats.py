"""What a `Call` gives generated code for dates, times and words: `today` and `now` from
the runtime's clock in the call's zone, values said by their type's rule and named
formats in FLOWC_LOCALE and FLOWC_CURRENCY, and an API's times checked and kept as
ISO text (issue 10: "6 PM is before 5:00 PM")."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flowc_runtime import MemorySink, ScriptedChannel, ops
from flowc_runtime.call import Call
from flowc_runtime.config import ConfigError, services_from_env
from flowc_runtime.driver import start_call
from flowc_runtime.program import Vars
from flowc_runtime.services import HttpRequest, Question

from tests.support.http_server import LocalHttpServer, Reply

from . import sample_flows
from .helpers import local_services

# 20:00:05 UTC on March 14th is 05:00:05 on March 15th in Tokyo.
INSTANT = datetime(2030, 3, 14, 20, 0, 5, 250_000, tzinfo=UTC)


def call_with(
    environment: dict[str, str] | None = None, zone: str = "UTC", sink: MemorySink | None = None
) -> Call:
    services = dataclasses.replace(
        local_services(environment), clock=lambda: INSTANT.astimezone(ZoneInfo(zone))
    )
    sinks = [sink or MemorySink()]
    return start_call(sample_flows.FLOW_Greeter, services, ScriptedChannel([]), sinks=sinks)


def test_today_and_now_are_the_callers_day_and_wall_clock() -> None:
    tokyo = call_with(zone="Asia/Tokyo")
    assert (tokyo.today(), tokyo.now()) == ("2030-03-15", "2030-03-15T05:00:05")
    new_york = call_with(zone="America/New_York")
    assert (new_york.today(), new_york.now()) == ("2030-03-14", "2030-03-14T16:00:05")
    # `birthday < call.started_at`: with the started_at's day in the call's zone.
    started = tokyo.started_at
    assert ops.moment_part(started, "date") == "2030-03-15"


def test_values_are_said_by_their_types_rule_in_the_callers_locale() -> None:
    call = call_with()
    assert call.spoken(["17:00", "18:30", "12:00"], ["time"]) == "5 PM, 6:30 PM, and noon"
    assert call.spoken("2030-03-14T14:00", "datetime") == "Thursday, March 14, 2030 at 2 PM"
    assert call.spoken(2 * 3_600_000 + 30 * 60_000, "duration") == "2 hours and 30 minutes"
    assert call.spoken(["a", "b"], ["text"]) == "a and b"
    assert call.spoken("next week", "date") == "next week"  # not ISO after all: as it is
    german = call_with({"FLOWC_LOCALE": "de_DE", "FLOWC_CURRENCY": "EUR"})
    assert german.spoken(["17:00", "18:30"], ["time"]) == "17 Uhr und 18:30"
    assert german.formatted(1234.5, "money") == "1.234,50\xa0€"


@pytest.mark.parametrize(
    ("value", "name", "said"),
    [
        (1234.5, "money", "$1,234.50"),
        (0.1, "money", "$0.10"),
        (1234567.25, "number", "1,234,567.25"),
        (21, "ordinal", "21st"),
        (3, "ordinal", "3rd"),
        (11, "ordinal", "11th"),
        (21, "words", "twenty-one"),
        ("1234", "digits", "1 2 3 4"),
        ("+15551230000", "digits", "1 5 5 5 1 2 3 0 0 0 0"),
        (4521, "digits", "4 5 2 1"),
        ("2030-03-14T14:30", "date", "Thursday, March 14, 2030"),
        ("2030-03-14T14:30", "time", "2:30 PM"),
        ("09:00", "time", "9 AM"),
        ("00:05", "time", "12:05 AM"),
        ("2030-03-14", "date", "Thursday, March 14, 2030"),
        (90_000, "duration", "1 minute and 30 seconds"),
    ],
)
def test_named_formats(value: object, name: str, said: str) -> None:
    assert call_with().formatted(value, name) == said  # type: ignore[arg-type]


def test_a_value_that_cannot_take_its_format_is_a_fault_in_words() -> None:
    with pytest.raises(ops.FlowFault, match=r"'as money' formats a number, not text \"x\""):
        call_with().formatted("x", "money")
    with pytest.raises(ops.FlowFault, match=r"'as ordinal' needs a whole number, not 2\.5"):
        call_with().formatted(2.5, "ordinal")


def test_a_locale_or_currency_that_does_not_exist_is_refused_before_any_call() -> None:
    with pytest.raises(ConfigError, match="FLOWC_LOCALE must name a locale"):
        services_from_env({"FLOWC_LOCALE": "xx_NOWHERE"})
    with pytest.raises(ConfigError, match="FLOWC_CURRENCY must be an ISO 4217 code"):
        services_from_env({"FLOWC_CURRENCY": "DOLLARS"})


def test_an_api_time_is_checked_then_compared_by_value(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/first", Reply.json({"first": "17:00:00"}))
    http_server.route("GET", "/spoken", Reply.json({"first": "5:00 PM"}))
    sink = MemorySink()
    call, v = call_with(sink=sink), Vars()
    expect: ops.Shape = {"first": "time"}

    async def both() -> tuple[bool, bool]:
        first = HttpRequest("GET", f"{http_server.url}/first")
        spoken = HttpRequest("GET", f"{http_server.url}/spoken")
        return await call.request(v, "r", first, expect), await call.request(v, "s", spoken, expect)

    ok, refused = asyncio.run(both())
    assert ok and v["r"] == {"first": "17:00"}
    assert ops.lt(ops.field(v["r"], "first"), "18:00", "time")  # 5 PM is before 6 PM
    assert not refused and "s" not in v
    (failed,) = sink.of_kind("request_failed")
    assert "body.first should be a time (ISO text such as 17:00)" in failed["reason"]


def test_options_computed_as_none_take_the_no_answer_path_without_asking() -> None:
    sink = MemorySink()
    call, v = call_with(sink=sink), Vars()
    question = Question("text", "Which slot?", options=ops.options([]))
    assert asyncio.run(call.collect(v, "slot", question)) is False
    assert sink.of_kind("say") == [] and "slot" not in v
    assert [e["attempts"] for e in sink.of_kind("no_answer")] == [0]

