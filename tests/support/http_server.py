"""A real HTTP server on 127.0.0.1, in a thread, whose answers a test scripts.

    server.route("POST", "/bookings", Reply.json({"bookingId": "b1"}, status=201))
    server.route("GET", "/slots", Reply.status(500), Reply.status(500), Reply.json([...]))

A route answers with its replies in order and repeats the last one forever, so
"fails twice, then succeeds" is one line. Every request is recorded (method,
path, query, headers, body) and hits are counted per route. A path with no
route answers 404 with a JSON error.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flowc_runtime.services import JSON


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer: status, raw body, content type; or a delay or a drop."""

    status_code: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    drop_connection: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: JSON, *, status: int = 200, delay_seconds: float = 0.0) -> Reply:
        return cls(status, json.dumps(value).encode(), delay_seconds=delay_seconds)

    @classmethod
    def text(cls, text: str, *, status: int = 200, delay_seconds: float = 0.0) -> Reply:
        return cls(status, text.encode(), "text/plain; charset=utf-8", delay_seconds)

    @classmethod
    def status(cls, status: int, *, delay_seconds: float = 0.0) -> Reply:
        """A status with a small JSON error body, as APIs usually send."""
        return cls.json({"error": f"status {status}"}, status=status, delay_seconds=delay_seconds)

    @classmethod
    def drop(cls) -> Reply:
        """Close the connection without sending any response."""
        return cls(drop_connection=True)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[RecordedRequest], Reply]


class _Route:
    def __init__(self, replies: tuple[Reply, ...]) -> None:
        self._replies = replies
        self.hits = 0

    def next_reply(self) -> Reply:
        reply = self._replies[min(self.hits, len(self._replies) - 1)]
        self.hits += 1
        return reply


class _ThreadingServer(ThreadingHTTPServer):
    # Handler threads may be sleeping in a scripted delay: do not wait for them.
    daemon_threads = True
    # The default backlog of 5 drops connection attempts when a test opens many
    # at once, and the client's SYN retry then costs a whole second.
    request_queue_size = 128


class LocalHttpServer:
    """The scriptable server; `url` is its base, e.g. "http://127.0.0.1:40123"."""

    def __init__(self, responder: Responder | None = None) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], _Route] = {}
        self._responder = responder or self._scripted_reply
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._server = _ThreadingServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval: stopping the server waits for at most one poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, *replies: Reply) -> None:
        """Answer METHOD PATH with these replies in order, the last one repeated."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self._routes[(method.upper(), path)] = _Route(replies)

    def hits(self, method: str, path: str) -> int:
        with self._lock:
            route = self._routes.get((method.upper(), path))
            return route.hits if route else 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _scripted_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            route = self._routes.get((request.method, request.path))
            if route is None:
                return Reply.json(
                    {"error": f"no route for {request.method} {request.path}"}, status=404
                )
            return route.next_reply()

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        reply = self._responder(request)
        if reply.delay_seconds:
            # An Event rather than time.sleep, so stopping the server cuts delays short.
            self._stopping.wait(reply.delay_seconds)
        return reply


def _handler_for(server: LocalHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle's algorithm the second
        # waits for the client's delayed ACK, 40 ms a response on Linux.
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            reply = server._answer(self._recorded())
            if reply.drop_connection:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            try:
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client went away while its request was delayed (a test that
                # kills a server mid-request): nobody is left to answer.
                self.close_connection = True

        def _recorded(self) -> RecordedRequest:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            return RecordedRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request stderr line; tests assert on `requests`."""

    return Handler


@contextmanager
def running_http_server(responder: Responder | None = None) -> Iterator[LocalHttpServer]:
    server = LocalHttpServer(responder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
