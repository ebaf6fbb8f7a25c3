"""A small local booking API for the MakeAppointment action (examples/lib/appointments.flow).

    python examples/booking_api.py --port 8765 [--api-key KEY]

It answers on 127.0.0.1 only and keeps its bookings in memory:

- `GET /availability?from=2030-03-14T14:00` -> `{"first": "...", "second": "..."}`:
  the first two free one-hour slots of office hours (weekdays, 09:00 to 17:00)
  at or after the requested time.
- `POST /bookings` with a JSON body `{"slot": "...", "client": "..."}` ->
  `{"bookingId": "BK-0001", "meetingLink": "https://meet.example.com/bk-0001"}`.

Every request must carry the header `apiKey` (401 otherwise). A body or query
that is not what is described above gets 400; booking a slot that is already
booked gets 409. Once listening, the server prints one line to standard output,
`booking API listening on http://127.0.0.1:PORT`, so that `--port 0` (a free
port) can be used by a parent process. Requests are logged briefly to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
DEFAULT_API_KEY = "demo-key"
OPENING_HOUR = 9
CLOSING_HOUR = 17  # the last slot starts an hour before closing
SATURDAY = 5
# Enough to step over a weekend and a few booked slots; bounds the search.
MAX_SLOT_CANDIDATES = 200


def slot_text(start: datetime) -> str:
    """How a slot is shown to the caller, and the key a booking is made under."""
    return f"{start:%A} {start.day} {start:%B} at {start:%H:%M}"


def next_opening(moment: datetime) -> datetime:
    """The start of the first office-hours slot at or after `moment` (slots start on the hour)."""
    start = moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if start < moment.replace(tzinfo=None):
        start += timedelta(hours=1)
    while start.weekday() >= SATURDAY or not OPENING_HOUR <= start.hour < CLOSING_HOUR:
        if start.weekday() >= SATURDAY or start.hour >= CLOSING_HOUR:
            start = (start + timedelta(days=1)).replace(hour=OPENING_HOUR)
        else:
            start = start.replace(hour=OPENING_HOUR)
    return start


class Calendar:
    """The bookings made so far; shared by the server's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._booked: dict[str, str] = {}  # slot text -> booking id

    def free_slots(self, after: datetime, count: int) -> list[str]:
        found: list[str] = []
        start = next_opening(after)
        with self._lock:
            for _ in range(MAX_SLOT_CANDIDATES):
                if slot_text(start) not in self._booked:
                    found.append(slot_text(start))
                    if len(found) == count:
                        break
                start = next_opening(start + timedelta(hours=1))
        return found

    def book(self, slot: str) -> str | None:
        """The new booking's id, or None when the slot is already taken."""
        with self._lock:
            if slot in self._booked:
                return None
            booking_id = f"BK-{len(self._booked) + 1:04d}"
            self._booked[slot] = booking_id
            return booking_id


class BookingHandler(BaseHTTPRequestHandler):
    server: BookingServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/availability":
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such resource: {url.path}"})
            return
        if not self._authorized():
            return
        requested = parse_qs(url.query).get("from", [""])[0]
        try:
            after = datetime.fromisoformat(requested)
        except ValueError:
            message = "query parameter 'from' must be an ISO date-time, e.g. 2030-03-14T14:00"
            self._reply(HTTPStatus.BAD_REQUEST, {"error": message})
            return
        slots = self.server.calendar.free_slots(after, count=2)
        if len(slots) < 2:
            self._reply(HTTPStatus.CONFLICT, {"error": f"no free slots soon after {requested}"})
            return
        self._reply(HTTPStatus.OK, {"first": slots[0], "second": slots[1]})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/bookings":
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such resource: {self.path}"})
            return
        if not self._authorized():
            return
        body = self._json_body()
        slot = body.get("slot") if isinstance(body, dict) else None
        client = body.get("client") if isinstance(body, dict) else None
        if not (isinstance(slot, str) and slot and isinstance(client, str) and client):
            message = 'the body must be JSON {"slot": "...", "client": "..."}'
            self._reply(HTTPStatus.BAD_REQUEST, {"error": message})
            return
        booking_id = self.server.calendar.book(slot)
        if booking_id is None:
            self._reply(HTTPStatus.CONFLICT, {"error": f"the slot '{slot}' is already taken"})
            return
        link = f"https://meet.example.com/{booking_id.lower()}"
        self._reply(HTTPStatus.OK, {"bookingId": booking_id, "meetingLink": link})

    def _authorized(self) -> bool:
        if self.headers.get("apiKey") == self.server.api_key:
            return True
        self._reply(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong apiKey header"})
        return False

    def _json_body(self) -> Any:
        """The parsed request body, or None when it is absent or not JSON."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length))
        except ValueError:  # a bad Content-Length, or a body that is not JSON / UTF-8
            return None

    def _reply(self, status: HTTPStatus, payload: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"booking-api: {format % args}\n")


class BookingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, api_key: str) -> None:
        super().__init__((HOST, port), BookingHandler)
        self.api_key = api_key
        self.calendar = Calendar()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local booking API for the flowc examples.")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("BOOKING_API_KEY", DEFAULT_API_KEY),
        help="the apiKey header value to accept (default: $BOOKING_API_KEY or demo-key)",
    )
    args = parser.parse_args()
    try:
        server = BookingServer(args.port, args.api_key)
    except OSError as exc:
        sys.exit(f"booking-api: cannot listen on {HOST}:{args.port}: {exc.strerror or exc}")
    print(f"booking API listening on http://{HOST}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
