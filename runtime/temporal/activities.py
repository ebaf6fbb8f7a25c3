"""The activities of a call's workflow: the steps that reach the world and `code` steps,
run by a worker with the real services (config.services_from_env).

Each carries an idempotency key made by the workflow from the call, the turn and
the effect's place in the turn, the same on every try:

- `flowc.http` sends it as the `Idempotency-Key` header (unless the step sets
  one), so an API that honours the header applies a request once even when a
  worker died after sending it and another worker sent it again;
- `flowc.sms` and `flowc.email` record the key as the activity's heartbeat
  right after the message was handed over: a try after a lost worker finds it
  and does not send again. Twilio's Messages API and SMTP take no key of
  their own, so a worker lost between the hand-over and that heartbeat reaching
  the server (heartbeats are sent at most every 0.8 x HEARTBEAT_TIMEOUT) is the
  one case a message goes out twice;
- `flowc.code` calls a `code` step's function, by module and name, with its
  arguments as JSON, a plain function in a thread (the key is for the log: a
  function has no way to take it).

Every activity heartbeats while it runs, so a lost worker is noticed within the
workflow's HEARTBEAT_TIMEOUT and the activity is tried again elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .. import ops
from ..call import call_in_process
from ..services import (
    DeliveryError,
    HttpFailure,
    HttpRequest,
    HttpResponse,
    HttpResult,
    Services,
)

CODE_ACTIVITY = "flowc.code"
HTTP_ACTIVITY = "flowc.http"
SMS_ACTIVITY = "flowc.sms"
EMAIL_ACTIVITY = "flowc.email"
ENVIRONMENT_ACTIVITY = "flowc.environment"
IDEMPOTENCY_HEADER = "Idempotency-Key"
HEARTBEAT_EVERY_SECONDS = 0.5
HANDED_OVER = "handed over"


@dataclass(frozen=True)
class HttpCall:
    """A `request` step's request, and its idempotency key."""

    method: str
    url: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any
    has_body: bool
    timeout_seconds: float
    retries: int
    key: str

    @classmethod
    def of(cls, request: HttpRequest, key: str) -> HttpCall:
        return cls(
            request.method,
            request.url,
            dict(request.headers),
            dict(request.query),
            request.body,
            request.has_body,
            request.timeout_seconds,
            request.retries,
            key,
        )

    def request(self) -> HttpRequest:
        headers = dict(self.headers)
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = self.key
        return HttpRequest(
            self.method,
            self.url,
            headers,
            self.query,
            self.body,
            self.has_body,
            self.timeout_seconds,
            self.retries,
        )


@dataclass(frozen=True)
class CodeCall:
    """A `code` step's function, by module and qualified name, and its arguments (JSON)."""

    module: str
    function: str
    arguments: list[Any]
    key: str


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    key: str


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    body: str
    key: str


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """The values of the environment variables a call's build reads, and the worker's
    UTC offset (the call's clock when FLOWC_TIMEZONE is not set)."""

    values: dict[str, str]
    utc_offset_minutes: int


def http_result_to_json(result: HttpResult) -> dict[str, Any]:
    if isinstance(result, HttpFailure):
        return {
            "reason": result.reason,
            "status": result.status,
            "duration_ms": result.duration_ms,
            "attempts": result.attempts,
        }
    return {
        "status": result.status,
        "body": result.body,
        "duration_ms": result.duration_ms,
        "attempts": result.attempts,
    }


def http_result_from_json(data: Mapping[str, Any]) -> HttpResult:
    if "reason" in data:
        return HttpFailure(
            str(data["reason"]), data["status"], float(data["duration_ms"]), int(data["attempts"])
        )
    return HttpResponse(
        int(data["status"]), data["body"], float(data["duration_ms"]), int(data["attempts"])
    )


@contextlib.asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeats in the background while the block runs: a worker that dies stops them."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


def _handed_over_before() -> bool:
    """A previous try of this activity handed the message over (its last heartbeat)."""
    return HANDED_OVER in activity.info().heartbeat_details


class FlowActivities:
    """The activities, on the worker's services and environment."""

    def __init__(self, services: Services, environ: Mapping[str, str]) -> None:
        self._services = services
        self._environ = environ

    def all(self) -> Sequence[Any]:
        return [self.http, self.sms, self.email, self.code, self.environment]

    @activity.defn(name=HTTP_ACTIVITY)
    async def http(self, call: HttpCall) -> dict[str, Any]:
        async with heartbeating():
            return http_result_to_json(await self._services.http.send(call.request()))

    # Each message activity answers with the name of the worker's sender that took the
    # message ("TwilioSms", "SmtpMailer"), for the event the workflow writes.
    @activity.defn(name=SMS_ACTIVITY)
    async def sms(self, message: SmsMessage) -> str:
        sender = type(self._services.sms).__name__
        if _handed_over_before():
            return sender
        async with heartbeating():
            await _refused_as_error(self._services.sms.send_sms(message.to, message.text))
        activity.heartbeat(HANDED_OVER)
        return sender

    @activity.defn(name=EMAIL_ACTIVITY)
    async def email(self, message: EmailMessage) -> str:
        sender = type(self._services.mailer).__name__
        if _handed_over_before():
            return sender
        async with heartbeating():
            sending = self._services.mailer.send_email(message.to, message.subject, message.body)
            await _refused_as_error(sending)
        activity.heartbeat(HANDED_OVER)
        return sender

    @activity.defn(name=CODE_ACTIVITY)
    async def code(self, call: CodeCall) -> Any:
        """The function's result as JSON; whatever it raises (even sys.exit()) is the
        step's error, final: the same arguments would fail the same way again."""
        async with heartbeating():
            try:
                function = _function_named(call.module, call.function)
                return ops.to_json(await _off_the_loop(function, tuple(call.arguments)))
            except (Exception, SystemExit) as exc:
                raise ApplicationError(
                    _failure_text(exc), type="CodeFailed", non_retryable=True
                ) from None

    @activity.defn(name=ENVIRONMENT_ACTIVITY)
    async def environment(self, names: list[str]) -> EnvironmentSnapshot:
        values = {name: self._environ[name] for name in names if name in self._environ}
        offset = time.localtime().tm_gmtoff // 60
        return EnvironmentSnapshot(values, offset)


def _function_named(module: str, qualified_name: str) -> Callable[..., object]:
    """The function `qualified_name` of `module` (imported as the generated module does,
    from the flow's folder on the worker's path)."""
    found: Any = importlib.import_module(module)
    for part in qualified_name.split("."):
        found = getattr(found, part)
    if not callable(found):
        raise TypeError(f"{module}.{qualified_name} is not a function")
    return cast(Callable[..., object], found)


async def _off_the_loop(function: Callable[..., object], arguments: tuple[object, ...]) -> object:
    """The function's result; a plain (blocking) function runs in a thread, so the
    worker's loop goes on heartbeating meanwhile: run on the loop, a function that
    blocks longer than HEARTBEAT_TIMEOUT would look like a lost worker and run again."""
    if inspect.iscoroutinefunction(function):
        return await call_in_process(function, arguments)
    return await ops.settle(await asyncio.to_thread(function, *arguments))


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"the function called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _refused_as_error(sending: Any) -> None:
    """A refused message is final (non-retryable): the step takes its error path."""
    try:
        await sending
    except DeliveryError as exc:
        raise ApplicationError(str(exc), type="DeliveryError", non_retryable=True) from None
