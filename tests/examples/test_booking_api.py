"""examples/booking_api.py over real HTTP: the contract MakeAppointment relies on."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import ModuleType

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.examples.booking import EXAMPLES, running_booking_api

API_KEY = "test-key"


def load_booking_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location("booking_api", EXAMPLES / "booking_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


booking_api = load_booking_api()


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    """A client for a fresh booking API subprocess (empty calendar) on a free port."""
    with (
        running_booking_api(API_KEY) as url,
        httpx.Client(base_url=url, headers={"apiKey": API_KEY}) as client,
    ):
        yield client


def test_availability_offers_the_requested_hour_and_the_next(api: httpx.Client) -> None:
    reply = api.get("/availability", params={"from": "2030-03-14T14:00"})
    assert reply.status_code == 200
    assert reply.json() == {
        "first": "Thursday 14 March at 14:00",
        "second": "Thursday 14 March at 15:00",
    }


def test_availability_after_friday_closing_moves_to_monday(api: httpx.Client) -> None:
    reply = api.get("/availability", params={"from": "2030-03-15T16:30"})
    assert reply.json() == {
        "first": "Monday 18 March at 09:00",
        "second": "Monday 18 March at 10:00",
    }


def test_booking_returns_an_id_and_a_meeting_link(api: httpx.Client) -> None:
    reply = api.post("/bookings", json={"slot": "Thursday 14 March at 14:00", "client": "Jane"})
    assert reply.status_code == 200
    assert reply.json() == {
        "bookingId": "BK-0001",
        "meetingLink": "https://meet.example.com/bk-0001",
    }


def test_a_booked_slot_is_taken_and_no_longer_offered(api: httpx.Client) -> None:
    slot = {"slot": "Thursday 14 March at 14:00", "client": "Jane"}
    assert api.post("/bookings", json=slot).status_code == 200
    assert api.post("/bookings", json=slot).status_code == 409
    offered = api.get("/availability", params={"from": "2030-03-14T14:00"}).json()
    assert offered["first"] == "Thursday 14 March at 15:00"


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_missing_or_wrong_key_is_401(api: httpx.Client, key: str | None) -> None:
    headers = {"apiKey": key} if key else {}
    del api.headers["apiKey"]
    query = {"from": "2030-03-14T14:00"}
    assert api.get("/availability", params=query, headers=headers).status_code == 401
    body = {"slot": "Thursday 14 March at 14:00", "client": "Jane"}
    assert api.post("/bookings", json=body, headers=headers).status_code == 401


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"slot": "Thursday 14 March at 14:00"}', b'{"slot": "", "client": "J"}'],
)
def test_a_bad_booking_body_is_400(api: httpx.Client, body: bytes) -> None:
    assert api.post("/bookings", content=body).status_code == 400


@pytest.mark.parametrize("query", [{}, {"from": "next week"}])
def test_a_missing_or_bad_from_is_400(api: httpx.Client, query: dict[str, str]) -> None:
    assert api.get("/availability", params=query).status_code == 400


def test_unknown_paths_are_404(api: httpx.Client) -> None:
    assert api.get("/nothing").status_code == 404
    assert api.post("/availability", json={}).status_code == 404


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_next_opening_is_the_first_office_hour_at_or_after_the_moment(moment: datetime) -> None:
    opening = booking_api.next_opening(moment)
    assert opening >= moment
    assert opening.minute == opening.second == opening.microsecond == 0
    assert opening.weekday() < 5 and 9 <= opening.hour < 17
    # No earlier office hour was skipped: the hour before is closed or before the moment.
    before = opening - timedelta(hours=1)
    assert before < moment or before.weekday() >= 5 or not 9 <= before.hour < 17
