"""HttpxClient against a real local HTTP server: every way a request step ends."""

from __future__ import annotations

import asyncio

import pytest
from flowc_runtime.http import Backoff, HttpxClient
from flowc_runtime.services import HttpFailure, HttpRequest, HttpResponse, HttpResult

from tests.support.http_server import LocalHttpServer, Reply, unused_port


class RecordedSleeps:
    """The injected sleep: remembers the backoff delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def send(request: HttpRequest, sleeps: RecordedSleeps | None = None) -> HttpResult:
    async def go() -> HttpResult:
        async with HttpxClient(sleep=sleeps or RecordedSleeps()) as client:
            return await client.send(request)

    return asyncio.run(go())


def test_post_sends_method_headers_query_and_json_body(http_server: LocalHttpServer) -> None:
    http_server.route("POST", "/bookings", Reply.json({"bookingId": "b-1"}, status=201))

    result = send(
        HttpRequest(
            "POST",
            http_server.url + "/bookings",
            headers={"apiKey": "k-123"},
            query={"from": "2026-03-03T14:00"},
            body={"slot": "Tuesday 2 PM", "client": "Jane Doe", "seats": 2},
            has_body=True,
        )
    )

    assert isinstance(result, HttpResponse)
    assert (result.status, result.body, result.attempts) == (201, {"bookingId": "b-1"}, 1)
    assert result.duration_ms > 0
    [seen] = http_server.requests
    assert seen.method == "POST"
    assert seen.headers["apikey"] == "k-123"
    assert seen.headers["content-type"] == "application/json"
    assert seen.query == {"from": ["2026-03-03T14:00"]}
    assert seen.json() == {"slot": "Tuesday 2 PM", "client": "Jane Doe", "seats": 2}


def test_get_without_body_sends_no_body(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/slots", Reply.json(["Mon 9:00", "Tue 14:00"]))

    result = send(HttpRequest("get", http_server.url + "/slots"))

    assert isinstance(result, HttpResponse)
    assert result.body == ["Mon 9:00", "Tue 14:00"]
    assert http_server.requests[0].method == "GET"
    assert http_server.requests[0].body == b""


def test_json_null_is_a_body_when_has_body_is_set(http_server: LocalHttpServer) -> None:
    http_server.route("PUT", "/flag", Reply.json(True))

    send(HttpRequest("PUT", http_server.url + "/flag", body=None, has_body=True))

    assert http_server.requests[0].body == b"null"


def test_no_content_answer_is_json_null(http_server: LocalHttpServer) -> None:
    http_server.route("DELETE", "/bookings/b-1", Reply(status_code=204))

    result = send(HttpRequest("DELETE", http_server.url + "/bookings/b-1"))

    assert isinstance(result, HttpResponse)
    assert (result.status, result.body) == (204, None)


def test_5xx_is_retried_with_growing_backoff_until_success(http_server: LocalHttpServer) -> None:
    http_server.route(
        "GET", "/slots", Reply.status(503), Reply.status(500), Reply.json({"first": "Mon"})
    )
    sleeps = RecordedSleeps()

    result = send(HttpRequest("GET", http_server.url + "/slots", retries=3), sleeps)

    assert isinstance(result, HttpResponse)
    assert result.body == {"first": "Mon"}
    assert result.attempts == 3
    assert http_server.hits("GET", "/slots") == 3
    assert sleeps.delays == [0.25, 0.5]


def test_500_after_the_last_retry_is_a_failure_naming_the_status(
    http_server: LocalHttpServer,
) -> None:
    http_server.route("POST", "/bookings", Reply.status(500))

    result = send(HttpRequest("POST", http_server.url + "/bookings", retries=2))

    assert isinstance(result, HttpFailure)
    assert result.reason == f"POST {http_server.url}/bookings answered 500 Internal Server Error"
    assert (result.status, result.attempts) == (500, 3)
    assert http_server.hits("POST", "/bookings") == 3


def test_4xx_is_not_retried(http_server: LocalHttpServer) -> None:
    sleeps = RecordedSleeps()

    result = send(HttpRequest("GET", http_server.url + "/missing", retries=3), sleeps)

    assert isinstance(result, HttpFailure)
    assert result.reason == f"GET {http_server.url}/missing answered 404 Not Found"
    assert (result.status, result.attempts) == (404, 1)
    assert sleeps.delays == []


def test_timeout_is_a_failure_and_is_retried(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/slow", Reply.json({}, delay_seconds=2.0))

    result = send(HttpRequest("GET", http_server.url + "/slow", timeout_seconds=0.2, retries=1))

    assert isinstance(result, HttpFailure)
    assert result.reason == f"GET {http_server.url}/slow timed out after 0.2 s"
    assert (result.status, result.attempts) == (None, 2)
    assert 400 <= result.duration_ms < 1500


def test_slow_first_answer_then_fast_one_succeeds(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/slow", Reply.json(1, delay_seconds=2.0), Reply.json(2))

    result = send(HttpRequest("GET", http_server.url + "/slow", timeout_seconds=0.2, retries=1))

    assert isinstance(result, HttpResponse)
    assert (result.body, result.attempts) == (2, 2)


def test_connection_refused_on_a_closed_port() -> None:
    url = f"http://127.0.0.1:{unused_port()}/bookings"
    sleeps = RecordedSleeps()

    result = send(HttpRequest("POST", url, body={}, has_body=True, retries=2), sleeps)

    assert isinstance(result, HttpFailure)
    assert result.reason == f"POST {url}: connection refused"
    assert (result.status, result.attempts) == (None, 3)
    assert sleeps.delays == [0.25, 0.5]


def test_dropped_connection_is_a_failure_in_words(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/drop", Reply.drop())

    result = send(HttpRequest("GET", http_server.url + "/drop"))

    assert isinstance(result, HttpFailure)
    assert result.reason == (
        f"GET {http_server.url}/drop: the server closed the connection without answering"
    )


@pytest.mark.parametrize(
    ("reply", "excerpt"),
    [
        (Reply.text("<html>Service Unavailable</html>"), "'<html>Service Unavailable</html>'"),
        (Reply.text(""), "(empty body)"),
        (Reply.text("x" * 100), "'" + "x" * 60 + "'..."),
    ],
)
def test_2xx_body_that_is_not_json_is_a_failure_not_retried(
    http_server: LocalHttpServer, reply: Reply, excerpt: str
) -> None:
    http_server.route("GET", "/page", reply)

    result = send(HttpRequest("GET", http_server.url + "/page", retries=2))

    assert isinstance(result, HttpFailure)
    assert result.reason == f"GET {http_server.url}/page: response body is not JSON: {excerpt}"
    assert (result.status, result.attempts) == (200, 1)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "GET not a url: invalid request: "),
        ("ftp://127.0.0.1/file", "GET ftp://127.0.0.1/file: invalid request: "),
    ],
)
def test_unusable_url_is_a_failure_not_an_exception(url: str, reason: str) -> None:
    result = send(HttpRequest("GET", url, retries=2))

    assert isinstance(result, HttpFailure)
    assert result.reason.startswith(reason)
    assert result.attempts == 1


def test_body_over_the_limit_is_a_failure(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/big", Reply.json(["x" * 100] * 20))

    async def go() -> HttpResult:
        async with HttpxClient(max_body_bytes=1000) as client:
            return await client.send(HttpRequest("GET", http_server.url + "/big", retries=2))

    result = asyncio.run(go())

    assert isinstance(result, HttpFailure)
    assert result.reason == f"GET {http_server.url}/big: response body is larger than 1000 bytes"
    assert result.attempts == 1


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(base_seconds=0.5, cap_seconds=3.0)

    assert [backoff.delay_before_retry(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_one_client_serves_concurrent_requests(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/n", Reply.json({"ok": True}, delay_seconds=0.1))

    async def go() -> list[HttpResult]:
        async with HttpxClient() as client:
            request = HttpRequest("GET", http_server.url + "/n")
            return await asyncio.gather(*(client.send(request) for _ in range(10)))

    results = asyncio.run(go())

    assert all(isinstance(result, HttpResponse) for result in results)
    assert http_server.hits("GET", "/n") == 10


def test_header_values_beyond_ascii_go_out_as_utf8(http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/greet", Reply.json({"ok": True}))

    result = send(HttpRequest("GET", http_server.url + "/greet", headers={"X-Client": "José"}))

    assert isinstance(result, HttpResponse)
    [seen] = http_server.requests
    # http.server decodes header bytes as Latin-1, so UTF-8 arrives as its Latin-1 reading.
    assert seen.headers["x-client"].encode("latin-1").decode("utf-8") == "José"


@pytest.mark.parametrize("body", [b'{"score": NaN}', b'{"score": Infinity}', b'{"score": 1e999}'])
def test_2xx_body_with_non_finite_numbers_is_not_json(
    http_server: LocalHttpServer, body: bytes
) -> None:
    http_server.route("GET", "/score", Reply(200, body, "application/json"))

    result = send(HttpRequest("GET", http_server.url + "/score"))

    assert isinstance(result, HttpFailure)
    assert "response body is not JSON" in result.reason
