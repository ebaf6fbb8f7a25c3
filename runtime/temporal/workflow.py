"""`FlowCall`: one call as one Temporal workflow, its id the call's id (the CallSid).

The workflow runs the call with the driver, unchanged (driver.run_call), on a
`WorkflowChannel` and on services whose every effect is deterministic:

- the clock is the workflow's (`workflow.now()`, in the call's zone), the
  environment a snapshot taken once at the call's start by an activity (so a
  replay, or another worker, reads the same values), the call id the workflow id;
- the rule-based understanding runs in the workflow (pure functions of the
  words and the clock); `request`, `send sms`, `send email` and `code` run as
  activities (activities.py), each with an idempotency key from the call, its
  turn and the effect's place in the turn;
- event sinks are written only when the workflow is not replaying, so a worker
  taking over a call does not write its events again.

Caller turns arrive as updates. The first webhook starts the workflow with an
update-with-start of turn 0; each later webhook is the update `turn` with the
update id `CallSid:turn`, so a retried webhook is applied once (Temporal answers
a repeated id with the first one's result). An update's result is the turn's
`Reply` (runtime/serve/turns.py) as JSON, the same record the store-backed
server answers with, so the transports render it unchanged. A turn that runs
longer than the webhook's `hold_after` answers with what was said so far and
HOLD; the platform's next request (`wait`) gets the rest. The status callback is
the signal `hang_up`: the call's next listen raises CallerHungUp, `after call`
runs in the workflow, and the workflow completes. `after call` thus runs exactly
once however the call ended: it is part of the workflow's one execution, which
survives any worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from ..driver import drive, start_call
from ..events import Event, EventSink
from ..ops import FlowFault
from ..serve.turns import DIAL_CONNECTED, CallerInput, InputKind, Next, Reply
from ..services import (
    CallerHungUp,
    DeliveryError,
    HttpFailure,
    HttpRequest,
    HttpResult,
    Question,
    Services,
)
from .activities import (
    CODE_ACTIVITY,
    EMAIL_ACTIVITY,
    ENVIRONMENT_ACTIVITY,
    HTTP_ACTIVITY,
    SMS_ACTIVITY,
    CodeCall,
    EmailMessage,
    EnvironmentSnapshot,
    HttpCall,
    SmsMessage,
    http_result_from_json,
)
from .programs import PROGRAMS

# The sandbox re-imports a workflow's modules for every run, to keep runs apart. The
# runtime (this package included) is passed through instead: its modules hold no
# per-call state (a call's state is its `Call` object), generated code does no I/O,
# clocks or randomness of its own, and the worker's imported builds must be the same
# objects the workflow sees (programs.PROGRAMS). It also saves importing the whole
# runtime for every call. The sandbox still guards the workflow's own code.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("flowc_runtime")
)

WORKFLOW_NAME = "FlowCall"
# A worker lost in the middle of an activity (its heartbeats stop) is noticed after
# this long, and the activity is tried again on another worker.
HEARTBEAT_TIMEOUT = timedelta(seconds=2)
# Tries of an activity when workers are lost; a step's own `retries` are the HTTP
# client's, inside one try (the HTTP client's backoff and its attempt count).
WORKER_LOSS_ATTEMPTS = 3
MESSAGE_TIMEOUT = timedelta(seconds=30)
CODE_TIMEOUT = timedelta(seconds=30)
# A call whose platform has said nothing for this long (no turn, no status callback)
# ends as a hang-up, so that a lost callback does not keep a workflow open forever.
SILENCE_LIMIT = timedelta(hours=2)
# Time beyond a request's own timeouts and backoff for the activity to finish.
ACTIVITY_MARGIN_SECONDS = 5.0


@dataclass(frozen=True)
class CallStart:
    """The workflow's input: the build and flow the call runs, and its numbers."""

    build: str
    flow: str
    caller: str
    callee: str


@dataclass(frozen=True)
class TurnRequest:
    """A webhook's turn: its number (0: the incoming call), the caller's input
    (`CallerInput.to_json()`), and how long the webhook may wait for its reply."""

    sequence: int
    # Any, not JSON, here and in the replies: Temporal's converter would try to make a
    # value into each member of the JSON union in turn (and a dict into a bool).
    input: dict[str, Any]
    hold_after: float


@dataclass(frozen=True)
class WaitRequest:
    """The request after a hold: the rest of turn `sequence`'s reply."""

    sequence: int
    hold_after: float


@dataclass(frozen=True)
class CallOutcome:
    """The workflow's result: how the call ended, and its fault if it had one."""

    outcome: str
    fault: str | None


STALE_TURN = "StaleTurn"


@workflow.defn(name=WORKFLOW_NAME)
class FlowCall:
    @workflow.init  # before any update is handled; Temporal passes it the run's input
    def __init__(self, start: CallStart) -> None:
        self._turn = 0  # the turn running now; turn 0 is the incoming call
        self._input: CallerInput | None = None  # the next turn's input, once it came
        self._says: list[str] = []  # said in this turn
        self._delivered = 0  # of them, already sent in a hold reply
        self._held: set[int] = set()  # of them, the positions of uninterruptible texts
        self._replies: dict[int, Reply] = {}  # the replies of settled turns
        self._caller_gone = False
        self._over = False  # the call has ended (after call may still run)
        self._effects = 0  # effects in this turn: the last part of an idempotency key

    @workflow.run
    async def run(self, start: CallStart) -> CallOutcome:
        program = PROGRAMS.get(start.build)
        flow = program.flow(start.flow)
        snapshot = await workflow.execute_local_activity(
            ENVIRONMENT_ACTIVITY,
            list(program.env_names),
            result_type=EnvironmentSnapshot,
            start_to_close_timeout=timedelta(seconds=10),
        )
        services = Services(
            http=ActivityHttp(self.effect_key),
            mailer=ActivityMailer(self.effect_key),
            sms=ActivitySms(self.effect_key),
            understanding=PROGRAMS.rules(),
            clock=_workflow_clock(snapshot),
            env=snapshot.values.get,
        )
        call = start_call(
            flow,
            services,
            WorkflowChannel(self),
            caller=start.caller,
            callee=start.callee,
            sinks=[NotWhenReplaying(sink) for sink in PROGRAMS.sinks],
            call_id=workflow.info().workflow_id,
        )
        call.code_runner = ActivityCode(self.effect_key).run
        result = await drive(call)
        self.finish(Next.NOTHING)
        # Replies still waiting for their webhook go out before the workflow completes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert result.outcome is not None  # a WorkflowChannel waits; it never suspends
        return CallOutcome(result.outcome.value, result.fault)

    # ---------------------------------------------------------------- messages

    @workflow.update(name="turn")
    async def turn(self, request: TurnRequest) -> dict[str, Any]:
        if request.sequence > 0:
            if self._over:
                return Reply((), Next.HANG_UP).to_json()
            self._input = CallerInput.from_json(request.input)
        return await self._reply_within(request.sequence, request.hold_after)

    @turn.validator
    def _check_turn(self, request: TurnRequest) -> None:
        """A turn other than the one the call waits for is refused (nothing of it is
        kept in the history); the refusal says which turn the call is at."""
        if request.sequence == 0 or self._over:
            return
        waiting = self._turn in self._replies and self._input is None
        if not waiting or request.sequence != self._turn + 1:
            raise ApplicationError(
                f"the call is at turn {self._turn + 1}, not {request.sequence}",
                self._turn + 1,
                type=STALE_TURN,
                non_retryable=True,
            )

    @workflow.update(name="wait")
    async def wait(self, request: WaitRequest) -> dict[str, Any]:
        return await self._reply_within(request.sequence, request.hold_after)

    @workflow.signal(name="hang_up")
    def hang_up(self) -> None:
        self._caller_gone = True

    async def _reply_within(self, sequence: int, hold_after: float) -> dict[str, Any]:
        """Turn `sequence`'s reply, or a hold with the words said so far when it takes
        longer than `hold_after` seconds (they are not said again in the reply)."""
        try:
            await workflow.wait_condition(
                lambda: sequence in self._replies or self._over, timeout=hold_after
            )
        except TimeoutError:
            if sequence != self._turn:
                return Reply((), Next.HOLD).to_json()
            says, held = self._undelivered()
            self._delivered = len(self._says)
            return Reply(says, Next.HOLD, uninterruptible=held).to_json()
        reply = self._replies.get(sequence)
        return (reply or Reply((), Next.HANG_UP)).to_json()

    # ---------------------------------------------------------------- the turn

    def say(self, text: str, interruptible: bool) -> None:
        if not interruptible:
            self._held.add(len(self._says))
        self._says.append(text)

    def _undelivered(self) -> tuple[tuple[str, ...], frozenset[int]]:
        """The turn's texts not yet sent in a hold, and which of them (by their position
        among these) the caller may not interrupt."""
        held = frozenset(i - self._delivered for i in self._held if i >= self._delivered)
        return tuple(self._says[self._delivered :]), held

    def settle(
        self, how: Next, question: Question | None = None, number: str | None = None
    ) -> None:
        """The current turn's reply is known: the words not yet delivered, then `how`."""
        if self._turn not in self._replies:
            says, held = self._undelivered()
            self._replies[self._turn] = Reply(says, how, question, number, held)

    def finish(self, how: Next) -> None:
        """The agent's side is done (hang-up, transfer, the run's end)."""
        self.settle(how)
        self._over = True

    async def next_input(self) -> CallerInput:
        """Waits for the next turn's input and begins that turn; CallerHungUp when the
        caller hangs up instead (or the platform stays silent for SILENCE_LIMIT)."""
        try:
            await workflow.wait_condition(
                lambda: self._input is not None or self._caller_gone,
                timeout=SILENCE_LIMIT,
            )
        except TimeoutError:
            raise CallerHungUp() from None
        given, self._input = self._input, None
        if given is None:
            raise CallerHungUp()
        self._turn += 1
        self._says, self._delivered, self._held, self._effects = [], 0, set(), 0
        self._replies = {t: r for t, r in self._replies.items() if t >= self._turn - 1}
        if given.kind is InputKind.HANGUP:
            self.finish(Next.NOTHING)
            raise CallerHungUp()
        return given

    def effect_key(self) -> str:
        """The idempotency key of the next effect: call, turn, and its place in the turn
        (the same on a replay and on the worker that takes the call over)."""
        self._effects += 1
        return f"{workflow.info().workflow_id}:{self._turn}:{self._effects}"


class WorkflowChannel:
    """The call's channel: `say` adds to the turn's reply; `listen` and `transfer`
    settle the reply and wait for the next turn's input."""

    def __init__(self, call: FlowCall) -> None:
        self._call = call

    async def say(self, text: str, interruptible: bool = True) -> None:
        self._call.say(text, interruptible)

    async def listen(self, question: Question) -> str | None:
        while True:
            self._call.settle(Next.LISTEN, question=question)
            given = await self._call.next_input()
            if given.kind is InputKind.TURN:
                return given.heard
            # Anything else at a question (a stray dial's end): the call still waits there.

    async def transfer(self, number: str) -> None:
        self._call.settle(Next.DIAL, number=number)
        given = await self._call.next_input()
        if given.kind is not InputKind.DIAL or given.dial_status not in DIAL_CONNECTED:
            raise DeliveryError(f"the dial to {number} ended {given.dial_status or 'unknown'}")
        self._call.finish(Next.HANG_UP)

    async def hang_up(self) -> None:
        self._call.finish(Next.HANG_UP)


# ---------------------------------------------------------------- services


def _activity_seconds(request: HttpRequest) -> timedelta:
    """Every try of the step (`retries N`, each within `timeout`) and their backoff."""
    tries = request.retries + 1
    return timedelta(seconds=tries * (request.timeout_seconds + 1) + ACTIVITY_MARGIN_SECONDS)


class ActivityHttp:
    """`request` steps as the activity `flowc.http`, each with its idempotency key."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys

    async def send(self, request: HttpRequest) -> HttpResult:
        try:
            answer = await workflow.execute_activity(
                HTTP_ACTIVITY,
                HttpCall.of(request, self._keys()),
                result_type=dict,
                start_to_close_timeout=_activity_seconds(request),
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=WORKER_LOSS_ATTEMPTS),
            )
        except ActivityError as exc:
            reason = f"{request.method} {request.url}: no worker could finish it ({exc.cause})"
            return HttpFailure(reason, None, 0.0, 0)
        return http_result_from_json(answer)


class ActivityCode:
    """`code` steps as the activity `flowc.code`: the function by module and name, its
    arguments as JSON; what it raises comes back as the step's error."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys

    async def run(self, function: Callable[..., object], arguments: tuple[object, ...]) -> object:
        call = CodeCall(function.__module__, function.__qualname__, list(arguments), self._keys())
        try:
            return await workflow.execute_activity(
                CODE_ACTIVITY,
                call,
                start_to_close_timeout=CODE_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RetryPolicy(
                    maximum_attempts=WORKER_LOSS_ATTEMPTS, non_retryable_error_types=["CodeFailed"]
                ),
            )
        except ActivityError as exc:
            raise FlowFault(_cause_text(exc)) from None


class ActivitySms:
    """`send sms` as the activity `flowc.sms`."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys

    async def send_sms(self, to: str, text: str) -> None:
        await _deliver(SMS_ACTIVITY, SmsMessage(to, text, self._keys()))


class ActivityMailer:
    """`send email` as the activity `flowc.email`."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys

    async def send_email(self, to: str, subject: str, body: str) -> None:
        await _deliver(EMAIL_ACTIVITY, EmailMessage(to, subject, body, self._keys()))


async def _deliver(activity: str, message: SmsMessage | EmailMessage) -> None:
    """Runs a message's activity; a refusal (or workers lost every try) is the step's
    DeliveryError, which takes its `on error` path."""
    try:
        await workflow.execute_activity(
            activity,
            message,
            start_to_close_timeout=MESSAGE_TIMEOUT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RetryPolicy(
                maximum_attempts=WORKER_LOSS_ATTEMPTS, non_retryable_error_types=["DeliveryError"]
            ),
        )
    except ActivityError as exc:
        raise DeliveryError(_cause_text(exc)) from None


def _cause_text(exc: ActivityError) -> str:
    """Why an activity failed: its own error's message, or the timeout's (workers lost)."""
    cause = exc.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause)


def _workflow_clock(snapshot: EnvironmentSnapshot) -> Callable[[], datetime]:
    """The workflow's time, in FLOWC_TIMEZONE's zone, else at the worker's UTC offset
    when the call started (taken with the snapshot, so it stays the call's)."""
    zone_name = (snapshot.values.get("FLOWC_TIMEZONE") or "").strip()
    zone: tzinfo = (
        ZoneInfo(zone_name)
        if zone_name
        else timezone(timedelta(minutes=snapshot.utc_offset_minutes))
    )

    def now() -> datetime:
        return workflow.now().astimezone(zone)

    return now


class NotWhenReplaying:
    """An event sink written only while the workflow is not replaying its history: a
    worker taking a call over replays the turns another worker already logged."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def emit(self, event: Event) -> None:
        if not workflow.unsafe.is_replaying():
            self._sink.emit(event)


__all__ = ["CallOutcome", "CallStart", "FlowCall", "TurnRequest", "WaitRequest"]
