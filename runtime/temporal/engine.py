"""The serving side on Temporal: webhooks start and update the calls' workflows.

`TemporalEngine` answers what the transports ask the store-backed `Switchboard`
(start, turn, wait, hang_up), so twilio_voice.py and relay.py use either
unchanged. It runs no step itself: the incoming call is an update-with-start of
the workflow `FlowCall` (id: the CallSid) on the current build's task queue,
each turn the update `turn` with the id `CallSid:turn`, the status callback the
signal `hang_up`. The workflow answers within `hold_after` (a hold when a step
runs longer; once the webhook has a hold's words, the engine signals
`delivered`); when no worker answers in that time, the webhook answers with a
hold too, and the platform's next request waits again, up to
UNPOLLED_HOLDS_LIMIT holds while no worker polls the call's task queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from ..events import CallAbandoned, EventSink
from ..serve.builds import Build
from ..serve.store import StoreUnavailable
from ..serve.switchboard import StaleTurn, UnknownCall
from ..serve.turns import START, CallerInput, Next, Reply
from ..services import Services
from .connection import build_queue, connect
from .workflow import (
    STALE_TURN,
    THROUGH,
    CallStart,
    Delivered,
    FlowCall,
    TurnRequest,
    WaitRequest,
)

if TYPE_CHECKING:
    from ..serve.app import ServerLog
    from ..serve.settings import ServeConfig

# How much longer than `hold_after` a webhook waits for the workflow's own answer
# (which is a hold at `hold_after`) before answering with a hold itself.
NO_WORKER_GRACE_SECONDS = 1.0
# Holds in a row that a server answers itself while no worker polls the call's task
# queue, after which the call ends with NO_WORKER_APOLOGY (about half a minute of
# hold phrases with the default hold_after): a new build served before its workers
# run, or an old build's workers stopped while its calls were live.
UNPOLLED_HOLDS_LIMIT = 3
NO_WORKER_APOLOGY = "We're sorry, this call cannot continue right now. Please call again."


class TemporalEngine:
    def __init__(
        self,
        client: Client,
        address: str,
        task_queue: str,
        current: Build,
        flow: str,
        services: Services,
        hold_after: float,
        sinks: Iterable[EventSink] = (),
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.address = address
        self.current = current
        self.flow = flow
        self.services = services  # the transports stamp their events with its clock
        self.sinks = list(sinks)
        self.queue = build_queue(task_queue, current.fingerprint)
        self.hold_after = hold_after
        self.warn = warn
        # Per call, the holds in a row this process answered while no worker polled
        # its queue (per process: with several servers, a call may hold a few more).
        self._unpolled: dict[str, int] = {}

    async def start(self, call_id: str, caller: str, callee: str) -> Reply:
        operation = WithStartWorkflowOperation(
            FlowCall.run,
            CallStart(self.current.fingerprint, self.flow, caller, callee),
            id=call_id,
            task_queue=self.queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A first webhook retried after the call is over must not start it again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # No execution timeout: it would end a call's workflow without its after
            # call. A call the platform leaves silent ends at the workflow's
            # SILENCE_LIMIT, and every activity has its own timeouts.
        )
        request = TurnRequest(0, START.to_json(), self.hold_after)
        update = self.client.execute_update_with_start_workflow(
            FlowCall.turn, request, start_workflow_operation=operation, id=f"{call_id}:0"
        )
        return await self._answer(call_id, 0, update)

    async def turn(self, call_id: str, turn: int, given: CallerInput) -> Reply:
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        request = TurnRequest(turn, given.to_json(), self.hold_after)
        update = handle.execute_update(FlowCall.turn, request, id=f"{call_id}:{turn}")
        return await self._answer(call_id, turn, update)

    async def wait(self, call_id: str, turn: int) -> Reply:
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        update = handle.execute_update(FlowCall.wait, WaitRequest(turn, self.hold_after))
        return await self._answer(call_id, turn, update)

    async def hang_up(self, call_id: str) -> None:
        self._unpolled.pop(call_id, None)
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        try:
            await handle.signal(FlowCall.hang_up)
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:  # over already, or never started
                raise self._unavailable(exc) from None

    async def check(self) -> None:
        """For /healthz: StoreUnavailable when the Temporal server does not answer, or no
        worker polls the current build's task queue (new calls would only hold)."""
        try:
            await self.client.service_client.check_health()
            polled = await self._polled(self.queue)
        except RPCError as exc:
            raise self._unavailable(exc) from None
        if not polled:
            raise StoreUnavailable(
                f"no worker polls task queue {self.queue} on {self.address}: start "
                f"`flowc worker` for build {self.current.fingerprint}"
            )

    async def _answer(self, call_id: str, turn: int, update: Awaitable[Any]) -> Reply:
        """The update's reply, translated: a refused turn is StaleTurn, a call the server
        does not know UnknownCall, a call that is over its last reply (_after_the_end),
        no answer in time a hold (or the call's end, _held_without_worker), and a server
        that cannot be reached StoreUnavailable (503). A hold's words are acknowledged.

        `update` is Awaitable[Any]: temporalio types the result of an async update
        method as the method's coroutine; it is the reply's JSON."""
        try:
            async with asyncio.timeout(self.hold_after + NO_WORKER_GRACE_SECONDS):
                answer: dict[str, Any] = await update
        # The client turns the timeout's cancellation into its own error. The update
        # stays with the server, which hands it to a worker when one polls again.
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return await self._held_without_worker(call_id)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == STALE_TURN:
                current = int(cause.details[0]) if cause.details else turn
                raise StaleTurn(call_id, turn, current) from None
            raise
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                return await self._after_the_end(call_id, turn)
            raise self._unavailable(exc) from None
        self._unpolled.pop(call_id, None)
        through = answer.pop(THROUGH, None)
        reply = Reply.from_json(answer)
        if isinstance(through, int) and reply.says:
            await self._acknowledge(call_id, Delivered(turn, through))
        return reply

    async def _acknowledge(self, call_id: str, delivered: Delivered) -> None:
        """Tells the workflow that a hold's words reach the platform, so that they are
        not in the turn's later replies. Unsent (the server failing just now), they are
        said again: twice is better than never."""
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        with contextlib.suppress(RPCError):
            await handle.signal(FlowCall.delivered, delivered)

    async def _after_the_end(self, call_id: str, turn: int) -> Reply:
        """The answer to a webhook whose workflow is not running (an update answers
        NOT_FOUND both then and for no such workflow; describe tells them apart): the
        last turn's reply, from the workflow's result, to that turn (its wait after a
        hold), an empty hang-up to any other; UnknownCall when there is no such call."""
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        try:
            status = (await handle.describe()).status
            if status is not WorkflowExecutionStatus.COMPLETED:
                return Reply((), Next.HANG_UP)  # failed or terminated: nothing to say
            outcome = await handle.result()
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise UnknownCall(call_id) from None
            raise self._unavailable(exc) from None
        if outcome.last_turn == turn and outcome.last_reply is not None:
            return Reply.from_json(outcome.last_reply)
        return Reply((), Next.HANG_UP)

    async def _held_without_worker(self, call_id: str) -> Reply:
        """No worker answered in time: a hold, unless no worker polls the call's task queue
        for UNPOLLED_HOLDS_LIMIT holds in a row; then the workflow is terminated (a
        worker coming later must not run a call the caller has left) and the call ends
        with an apology and a line on the server's standard error."""
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        try:
            queue = (await handle.describe()).task_queue
            polled = await self._polled(queue)
        except RPCError:
            return Reply((), Next.HOLD)  # the server will tell at the next webhook
        if polled:
            self._unpolled.pop(call_id, None)
            return Reply((), Next.HOLD)
        holds = self._unpolled.get(call_id, 0) + 1
        if holds < UNPOLLED_HOLDS_LIMIT:
            self._unpolled[call_id] = holds
            return Reply((), Next.HOLD)
        self._unpolled.pop(call_id, None)
        reason = f"no worker polls its task queue {queue}"
        with contextlib.suppress(RPCError):
            await handle.terminate(reason=reason)
        self._abandon(call_id, queue, reason)
        return Reply((NO_WORKER_APOLOGY,), Next.HANG_UP)

    async def _polled(self, queue: str) -> bool:
        """Some worker polls `queue` for workflow tasks (as the server saw lately)."""
        request = DescribeTaskQueueRequest(
            namespace=self.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        described = await self.client.workflow_service.describe_task_queue(request)
        return len(described.pollers) > 0

    def _abandon(self, call_id: str, queue: str, reason: str) -> None:
        build = queue.rpartition(".")[2]  # connection.build_queue: BASE.FINGERPRINT
        event = CallAbandoned(build, reason).stamped(call_id, self.services.clock().isoformat())
        for sink in self.sinks:
            sink.emit(event)
        if self.warn is not None:
            self.warn(f"call {call_id} ends with an apology: {reason}")

    def _unavailable(self, exc: RPCError) -> StoreUnavailable:
        return StoreUnavailable(f"the Temporal server at {self.address}: {exc.message}")


@contextlib.asynccontextmanager
async def serving_on_temporal(
    config: ServeConfig, current: Build, services: Services, log: ServerLog
) -> AsyncIterator[TemporalEngine]:
    """The engine of a server started with `--engine temporal` (checked at start by
    cli.check_config: the address is given and the key is good)."""
    assert config.temporal is not None
    client = await connect(config.temporal, config.namespace, os.environ)
    sinks = [log] if config.log_path is not None else []
    yield TemporalEngine(
        client,
        config.temporal,
        config.task_queue,
        current,
        config.flow,
        services,
        config.timing.hold_after,
        sinks,
        log.warn,
    )
