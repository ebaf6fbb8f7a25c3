"""The HTTP service: `HttpxClient`, the real `HttpClient` of `request` steps.

One shared `httpx.AsyncClient` serves every request of a process, so connections
are pooled. A request is retried (up to `HttpRequest.retries` extra attempts,
with exponential backoff) when it could not connect, timed out, or the server
answered 5xx: those may pass on a second try. A 4xx, a redirect loop or a body
that is not JSON is final. Whatever happens, `send` returns a value, never
raises: an `HttpFailure` whose `reason` is a sentence the event log can show.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType

import httpx

from .services import JSON, HttpFailure, HttpRequest, HttpResponse, HttpResult

Sleep = Callable[[float], Awaitable[None]]

# How much of a body that is not JSON the failure reason quotes.
BODY_EXCERPT_CHARS = 60
# A request step holds its answer in the call's state: far larger is a mistake.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class _BodyTooLarge(Exception):
    """The response body passed the limit while it was being read."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry n (1-based): base * 2**(n-1), never more than cap."""

    base_seconds: float = 0.25
    cap_seconds: float = 4.0

    def delay_before_retry(self, retry_number: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2.0 ** (retry_number - 1))


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The outcome of one try: a result, and whether another try could help."""

    result: HttpResponse | HttpFailure
    retryable: bool


class HttpxClient:
    """`HttpClient` over httpx: timeouts, retries with backoff, failures as values.

    Use it as an async context manager, or call `aclose()` when done. `sleep`
    is injectable so tests of the backoff do not wait for real.
    """

    def __init__(
        self,
        *,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        client: httpx.AsyncClient | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._backoff = backoff or Backoff()
        self._max_body_bytes = max_body_bytes
        self._sleep = sleep
        self._client = client or httpx.AsyncClient(follow_redirects=True)

    async def __aenter__(self) -> HttpxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, request: HttpRequest) -> HttpResult:
        started = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            attempt = await self._attempt(request)
            if not attempt.retryable or attempts > request.retries:
                return _with_totals(attempt.result, started, attempts)
            await self._sleep(self._backoff.delay_before_retry(attempts))

    async def _attempt(self, request: HttpRequest) -> _Attempt:
        target = f"{request.method.upper()} {request.url}"
        try:
            built = self._build(request)
        except (httpx.InvalidURL, ValueError, TypeError) as error:
            return _Attempt(_failure(f"{target}: invalid request: {error}"), retryable=False)
        try:
            # asyncio.timeout bounds the whole exchange; httpx's own timeout is per
            # phase (connect, each read), so a slow trickle could outlast it.
            async with asyncio.timeout(request.timeout_seconds):
                response, content = await self._receive(built)
        except _BodyTooLarge:
            too_large = f"{target}: response body is larger than {self._max_body_bytes} bytes"
            return _Attempt(_failure(too_large), retryable=False)
        except (TimeoutError, httpx.TimeoutException):
            return _Attempt(
                _failure(f"{target} timed out after {float(request.timeout_seconds)} s"),
                True,
            )
        except httpx.UnsupportedProtocol as error:
            return _Attempt(_failure(f"{target}: invalid request: {error}"), retryable=False)
        except httpx.TooManyRedirects:
            return _Attempt(_failure(f"{target}: too many redirects"), retryable=False)
        except httpx.HTTPError as error:
            return _Attempt(_failure(f"{target}: {describe_network_error(error)}"), retryable=True)
        return _judge(target, response, content)

    async def _receive(self, built: httpx.Request) -> tuple[httpx.Response, bytes]:
        """The response and its body, read in chunks so a huge body stops early."""
        response = await self._client.send(built, stream=True)
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > self._max_body_bytes:
                    raise _BodyTooLarge
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response, b"".join(chunks)

    def _build(self, request: HttpRequest) -> httpx.Request:
        # httpx encodes str header values as ASCII; a name the caller said ("José")
        # would fail the request, so values go out as UTF-8 bytes.
        headers = httpx.Headers(
            [(name.encode(), value.encode("utf-8")) for name, value in request.headers.items()]
        )
        content: bytes | None = None
        if request.has_body:
            # Encoded here rather than with httpx's `json=`, which takes None
            # (JSON null, a valid body) to mean "no body".
            content = json.dumps(request.body, allow_nan=False).encode()
            if "content-type" not in headers:
                headers["Content-Type"] = "application/json"
        return self._client.build_request(
            request.method.upper(),
            request.url,
            headers=headers,
            params=dict(request.query),
            content=content,
            timeout=httpx.Timeout(request.timeout_seconds),
        )


def _judge(target: str, response: httpx.Response, content: bytes) -> _Attempt:
    """A response that arrived: 2xx with JSON is a success, anything else a failure."""
    status = response.status_code
    if not 200 <= status < 300:
        answered = f"{target} answered {status} {_phrase(status, response)}".rstrip()
        return _Attempt(_failure(answered, status), retryable=status >= 500)
    # 204/205 carry no body by definition: the request step gets JSON null.
    if status in (HTTPStatus.NO_CONTENT, HTTPStatus.RESET_CONTENT):
        return _Attempt(HttpResponse(status, None, 0.0, 0), retryable=False)
    try:
        body: JSON = json.loads(content, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError):
        excerpt = _excerpt(content.decode(response.encoding or "utf-8", errors="replace"))
        return _Attempt(_failure(f"{target}: response body is not JSON: {excerpt}", status), False)
    return _Attempt(HttpResponse(status, body, 0.0, 0), retryable=False)


def _no_constant(name: str) -> float:
    """NaN and Infinity are not JSON (RFC 8259); Python's json would accept them."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 overflows to inf
        raise ValueError(f"{text} is out of range")
    return value


def _phrase(status: int, response: httpx.Response) -> str:
    if response.reason_phrase:
        return response.reason_phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _excerpt(text: str) -> str:
    if not text.strip():
        return "(empty body)"
    if len(text) <= BODY_EXCERPT_CHARS:
        return repr(text)
    return repr(text[:BODY_EXCERPT_CHARS]) + "..."


def describe_network_error(error: httpx.HTTPError) -> str:
    """What went wrong on the wire, in words rather than an exception's repr.

    Shared with the Twilio SMS sender, which talks HTTP too.
    """
    chain = list(exception_chain(error))
    if any(isinstance(cause, ConnectionRefusedError) for cause in chain):
        return "connection refused"
    if any(isinstance(cause, socket.gaierror) for cause in chain):
        return "could not resolve the host name"
    detail = str(error) or type(error).__name__
    if isinstance(error, httpx.ConnectError):
        return f"could not connect ({detail})"
    if isinstance(error, httpx.RemoteProtocolError) and "disconnect" in detail.lower():
        return "the server closed the connection without answering"
    return f"request failed ({detail})"


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it, outermost first (httpx wraps OS errors)."""
    current: BaseException | None = error
    visited: set[int] = set()
    while current is not None and id(current) not in visited:
        visited.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _failure(reason: str, status: int | None = None) -> HttpFailure:
    return HttpFailure(reason=reason, status=status, duration_ms=0.0, attempts=0)


def _with_totals(result: HttpResponse | HttpFailure, started: float, attempts: int) -> HttpResult:
    """Stamp the result with the time spent over all attempts (backoff included)."""
    duration_ms = (time.perf_counter() - started) * 1000.0
    if isinstance(result, HttpResponse):
        return HttpResponse(result.status, result.body, duration_ms, attempts)
    return HttpFailure(result.reason, result.status, duration_ms, attempts)
