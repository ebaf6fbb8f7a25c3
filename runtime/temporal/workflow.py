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
HOLD; the platform's next request (`wait`) gets the rest: the words a hold
carried are left out of it only once the engine signals `delivered` (the
webhook answered with them), so a hold nobody waited for loses no words. The
workflow's result carries the last turn's reply, for a wait that comes after
the workflow completed. The status callback is
the signal `hang_up`: the call's next listen raises CallerHungUp, `after call`
runs in the workflow, and the workflow completes. `after call` thus runs exactly
once however the call ended: it is part of the workflow's one execution, which
survives any worker.
"""

from __future__ import annotations

import dataclasses
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
from ..http import Backoff
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

# The sandbox re-imports a workflow's modules for every run, to keep runs apart, and
# restricts what the code it imported may call (I/O, threads, the clock, randomness).
# The runtime is passed through instead, and "flowc_runtime" covers every module of
# it, this one and the workflow included: the sandbox then guards none of flowc's
# code, nor the builds' generated modules (imported by the worker at start). What
# keeps a call deterministic is the runtime's design, not the sandbox: a call reads
# the clock and the environment only through its Services (the workflow's time and
# the call's snapshot), its effects are activities, generated code does no I/O,
# clocks or randomness of its own (the one perf_counter, in Call.code, only times a
# code_failed event, which decides nothing), and the replay tests
# (tests/temporal/test_replay.py) fail on any other effect. Passing through is
# needed: the worker's builds must be the objects the workflow sees (PROGRAMS), and a
# call's state is its `Call` object, not module state. phonenumbers is passed too:
# it imports a region's metadata the first time a number of that region is parsed,
# and that import, run in the sandbox, would take a lock the sandbox forbids.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "flowc_runtime", "phonenumbers"
    )
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
class Delivered:
    """The signal `delivered`: the platform got turn `sequence`'s texts up to `through`
    (a hold reply's words, which the webhook answered with)."""

    sequence: int
    through: int


@dataclass(frozen=True)
class CallOutcome:
    """The workflow's result: how the call ended, its fault if it had one, and its last
    turn's reply (a webhook that comes after the workflow completed, such as the wait
    of a turn held when the call ended, reads it here)."""

    outcome: str
    fault: str | None
    last_turn: int = 0
    last_reply: dict[str, Any] | None = None


STALE_TURN = "StaleTurn"
# The key of a hold reply's JSON that says how many of the turn's texts it carries up to.
THROUGH = "through"


@workflow.defn(name=WORKFLOW_NAME)
class FlowCall:
    @workflow.init  # before any update is handled; Temporal passes it the run's input
    def __init__(self, start: CallStart) -> None:
        self._turn = 0  # the turn running now; turn 0 is the incoming call
        self._input: CallerInput | None = None  # the next turn's input, once it came
        self._says: list[str] = []  # said in this turn
        self._held: set[int] = set()  # of them, the positions of uninterruptible texts
        # Per turn, how many of its texts the platform is known to have got: only the
        # engine's `delivered` signal moves it, sent once a hold reply reached the
        # webhook. A hold reply nobody waited for any longer leaves its words here.
        self._delivered: dict[int, int] = {}
        self._replies: dict[int, Reply] = {}  # the replies of settled turns, in full
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
            understanding=PROGRAMS.rules(snapshot.values),
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
        last = self._reply_of(self._turn)
        return CallOutcome(
            result.outcome.value, result.fault, self._turn, last.to_json() if last else None
        )

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

    @workflow.signal(name="delivered")
    def delivered(self, delivered: Delivered) -> None:
        known = self._delivered.get(delivered.sequence, 0)
        self._delivered[delivered.sequence] = max(known, delivered.through)

    async def _reply_within(self, sequence: int, hold_after: float) -> dict[str, Any]:
        """Turn `sequence`'s reply, or a hold with the words said so far when it takes
        longer than `hold_after` seconds. A hold's JSON has `through`, the count of the
        turn's texts it carries up to: the engine signals it back as `delivered` once
        the webhook has them, and only then are they left out of later replies."""
        try:
            await workflow.wait_condition(
                lambda: sequence in self._replies or self._over, timeout=hold_after
            )
        except TimeoutError:
            if sequence != self._turn:
                return Reply((), Next.HOLD).to_json()
            said = Reply(tuple(self._says), Next.HOLD, uninterruptible=frozenset(self._held))
            hold = _after(said, self._delivered.get(sequence, 0))
            return {**hold.to_json(), THROUGH: len(self._says)}
        reply = self._reply_of(sequence)
        return (reply or Reply((), Next.HANG_UP)).to_json()

    def _reply_of(self, sequence: int) -> Reply | None:
        """Turn `sequence`'s settled reply without the texts the platform already got."""
        reply = self._replies.get(sequence)
        return _after(reply, self._delivered.get(sequence, 0)) if reply else None

    # ---------------------------------------------------------------- the turn

    def say(self, text: str, interruptible: bool) -> None:
        if not interruptible:
            self._held.add(len(self._says))
        self._says.append(text)

    def settle(
        self, how: Next, question: Question | None = None, number: str | None = None
    ) -> None:
        """The current turn's reply is known: all its words, then `how`."""
        if self._turn not in self._replies:
            held = frozenset(self._held)
            self._replies[self._turn] = Reply(tuple(self._says), how, question, number, held)

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
        self._says, self._held, self._effects = [], set(), 0
        # An older turn's retried webhook is answered as it was: the last one is kept.
        self._replies = {t: r for t, r in self._replies.items() if t >= self._turn - 1}
        self._delivered = {t: n for t, n in self._delivered.items() if t >= self._turn - 1}
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


def _after(reply: Reply, delivered: int) -> Reply:
    """`reply` without its first `delivered` texts (the platform has them already)."""
    held = frozenset(i - delivered for i in reply.uninterruptible if i >= delivered)
    return dataclasses.replace(reply, says=reply.says[delivered:], uninterruptible=held)


# ---------------------------------------------------------------- services


def http_activity_limit(request: HttpRequest) -> timedelta:
    """The activity's start-to-close: every try of the step (`retries N`, each within
    `timeout`), the HTTP client's backoff before each retry (the workers' HttpxClient,
    config.services_from_env, backs off on Backoff's schedule), and a margin."""
    backoff = Backoff()
    pauses = sum(backoff.delay_before_retry(retry) for retry in range(1, request.retries + 1))
    tries = request.retries + 1
    seconds = tries * request.timeout_seconds + pauses + ACTIVITY_MARGIN_SECONDS
    return timedelta(seconds=seconds)


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
                start_to_close_timeout=http_activity_limit(request),
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
    """`send sms` as the activity `flowc.sms`; `via` names the worker's sender that took
    the last message (the call's message_sent event shows it)."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys
        self.via = "ActivitySms"

    async def send_sms(self, to: str, text: str) -> None:
        self.via = await _deliver(SMS_ACTIVITY, SmsMessage(to, text, self._keys()))


class ActivityMailer:
    """`send email` as the activity `flowc.email`; `via` as ActivitySms's."""

    def __init__(self, keys: Callable[[], str]) -> None:
        self._keys = keys
        self.via = "ActivityMailer"

    async def send_email(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage(to, subject, body, self._keys())
        self.via = await _deliver(EMAIL_ACTIVITY, message)


async def _deliver(activity: str, message: SmsMessage | EmailMessage) -> str:
    """Runs a message's activity, answering the name of the sender that took it; a
    refusal (or workers lost every try) is the step's DeliveryError, which takes its
    `on error` path."""
    try:
        sender: str = await workflow.execute_activity(
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
    return sender


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


__all__ = ["CallOutcome", "CallStart", "Delivered", "FlowCall", "TurnRequest", "WaitRequest"]
