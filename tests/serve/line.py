"""What the served-call tests share: their .flow files and the local API the flows call.

`LineApi` is a real HTTP server (tests/support/http_server.py) answering the
requests of flows/line.flow: `POST /orders` (an order id) and `POST /after`
(the `after call` report). Each request names its call (`"call"` in the JSON
body), so one API serves every test of a module, and a test makes the API slow
or failing for its own call only: `api.delay("/orders", sid, 2.0)`.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.http_server import LocalHttpServer, RecordedRequest, Reply

FLOWS = Path(__file__).parent / "flows"


def copy_flows(folder: Path, *names: str) -> list[Path]:
    """Copies flows/NAME into `folder` (which then holds the server's .flowc state,
    not the source tree); the copies' paths, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for name in names:
        copy = folder / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FLOWS / name, copy)
        copies.append(copy)
    return copies


def order_id(call_sid: str) -> str:
    """The id the API gives the order of that call."""
    return "A" + call_sid[-4:].upper()


class LineApi:
    """The API of line.flow; `url` goes in API_URL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._delays: dict[tuple[str, str], float] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self.server = LocalHttpServer(self._respond)

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> LineApi:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def delay(self, path: str, call_sid: str, seconds: float) -> None:
        """Requests of that call to `path` are answered after `seconds`."""
        with self._lock:
            self._delays[(path, call_sid)] = seconds

    def fail(self, path: str, call_sid: str, status: int = 500) -> None:
        with self._lock:
            self._failures[(path, call_sid)] = status

    def requests(self, path: str, call_sid: str) -> list[RecordedRequest]:
        """The requests of that call to `path` received so far (answered or not)."""
        with self.server._lock:
            received = list(self.server.requests)
        return [r for r in received if r.path == path and _call_of(r) == call_sid]

    def hits(self, path: str, call_sid: str) -> int:
        return len(self.requests(path, call_sid))

    def wait_for(self, path: str, call_sid: str, count: int = 1, timeout: float = 10.0) -> None:
        """Waits until `count` requests of the call reached `path` (a slow one has
        arrived, an `after call` has run)."""
        wait_until(
            lambda: self.hits(path, call_sid) >= count,
            f"{count} request(s) to {path} for {call_sid}",
            timeout,
        )

    def _respond(self, request: RecordedRequest) -> Reply:
        call = _call_of(request) or ""
        with self._lock:
            delay = self._delays.get((request.path, call), 0.0)
            failure = self._failures.get((request.path, call))
        if failure is not None:
            return Reply.status(failure, delay_seconds=delay)
        if request.method == "POST" and request.path == "/orders":
            return Reply.json({"id": order_id(call)}, status=201, delay_seconds=delay)
        if request.method == "POST" and request.path == "/after":
            return Reply.json({"ok": True}, delay_seconds=delay)
        if request.method == "GET" and request.path == "/profile":
            return Reply.json({"name": "Jane"}, delay_seconds=delay)
        return Reply.json({"error": f"no route for {request.method} {request.path}"}, status=404)


def _call_of(request: RecordedRequest) -> str | None:
    if "call" in request.query:
        return request.query["call"][0]
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    call = body.get("call") if isinstance(body, dict) else None
    return call if isinstance(call, str) else None


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Polls `condition` until it holds; fails the test saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def outbox(path: Path, *, to: str | None = None) -> list[dict[str, str]]:
    """The messages in a FLOWC_OUTBOX_FILE, of one recipient if `to` is given."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line) for line in lines if line.strip()]
    return [m for m in messages if to is None or m.get("to") == to]
