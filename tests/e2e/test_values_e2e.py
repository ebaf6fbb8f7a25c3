"""Issue 9's values in one real conversation through `flowc run` (a subprocess) against a
real local API: dates and times (`today + 7 days`, a time literal, ordering by value),
arithmetic and a counter, formats (`as money`, `as ordinal`, `as words`), a list literal
and a list spoken as the locale joins one, a record literal sent in a request body, and a
`collect` whose options come from the API's list of records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.http_server import LocalHttpServer, Reply

from .core_cli import flowc_run, write_flow

ZONE = "Pacific/Auckland"  # far from the machine's zone: `today` must be the caller's

BOOKING = """
    flow Rooms {
      on no_answer -> goodbye
      on error -> sorry

      request offer = GET "{{env("ROOMS_API") as text}}/rooms"
        expect {rooms: list[{name: text, opens: time}], fee: number}
      set rooms = offer.rooms
      talk "We have {{len(rooms)}} rooms: {{rooms.name}}, opening at {{rooms.opens}}."
      set tries = 0
      ask_room:
      set tries = tries + 1
      collect room: text in offer.rooms.name
        prompt "Which room would you like, this is my {{tries as ordinal}} time asking?"
        attempts 1
        on no_answer -> again
      collect guests: number
        prompt "How many guests?"
      set total = offer.fee * guests + 5
      set follow_up = today + 7 days
      set extras = ["parking", "coffee"]
      set opens = offer.rooms[len(offer.rooms) - 1].opens
      if opens < 9:30 -> early
      talk "The last room opens after half past nine, at {{opens}}."
      early:
      request booked = POST "{{env("ROOMS_API") as text}}/bookings"
        body {
          "booking": {room: room, guests: guests, total: total},
          "extras": extras,
          "follow_up": follow_up
        }
        expect {ref: text}
      talk "{{guests as words}} guests in {{room}}: {{total as money}}, with {{extras}}."
      end "Booking {{booked.ref}}. We will call you on {{follow_up}}."

      again:
      if tries < 2 -> ask_room
      goodbye:
      end "Goodbye."

      sorry:
      end "Sorry, the booking system is down."
    }
"""


def run_booking(tmp_path: Path, server: LocalHttpServer, turns: list[str]) -> list[str]:
    flow = write_flow(tmp_path, "rooms.flow", BOOKING)
    run = flowc_run(
        flow, turns, environment={"ROOMS_API": server.url, "FLOWC_TIMEZONE": ZONE}
    )
    assert run.status == 0, run.stderr
    return run.transcript


def callers_days() -> set[date]:
    """Today in the caller's zone; a run across its midnight may see the next day too."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    return {today, today + timedelta(days=1)}


def spoken_day(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def test_a_booking_computes_says_and_sends_its_values(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    rooms = [{"name": "Garden", "opens": "09:00:00"}, {"name": "Library", "opens": "10:15"}]
    http_server.route("GET", "/rooms", Reply.json({"rooms": rooms, "fee": 12.5}))
    http_server.route("POST", "/bookings", Reply.json({"ref": "B-7"}, status=201))
    days = callers_days()
    transcript = run_booking(tmp_path, http_server, ["the kitchen", "library please", "3"])

    week_later = {day + timedelta(days=7) for day in days}
    follow_up = next(day for day in week_later if spoken_day(day) in transcript[-2])
    assert transcript == [
        "agent: We have 2 rooms: Garden and Library, opening at 9 AM and 10:15 AM.",
        "agent: Which room would you like, this is my 1st time asking?",
        "caller: the kitchen",
        "agent: Which room would you like, this is my 2nd time asking?",
        "caller: library please",
        "agent: How many guests?",
        "caller: 3",
        "agent: The last room opens after half past nine, at 10:15 AM.",
        "agent: three guests in Library: $42.50, with parking and coffee.",
        f"agent: Booking B-7. We will call you on {spoken_day(follow_up)}.",
        "end: ended",
    ]
    (sent,) = [r for r in http_server.requests if r.method == "POST"]
    body: dict[str, Any] = sent.json()
    assert body == {
        "booking": {"room": "Library", "guests": 3, "total": 42.5},
        "extras": ["parking", "coffee"],
        "follow_up": follow_up.isoformat(),
    }


def test_an_api_list_without_items_takes_the_no_answer_path(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("GET", "/rooms", Reply.json({"rooms": [], "fee": 12.5}))
    transcript = run_booking(tmp_path, http_server, [])
    assert transcript == [
        "agent: We have 0 rooms: , opening at .",
        "agent: Goodbye.",
        "end: ended",
    ]


def test_an_api_time_that_is_not_iso_text_is_refused_at_the_door(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    rooms = [{"name": "Garden", "opens": "9:00 AM"}]
    http_server.route("GET", "/rooms", Reply.json({"rooms": rooms, "fee": 12.5}))
    assert run_booking(tmp_path, http_server, []) == [
        "agent: Sorry, the booking system is down.",
        "end: ended",
    ]
    assert [r.method for r in http_server.requests] == ["GET"]  # nothing was booked
