"""The serving side on Temporal: webhooks start and update the calls' workflows.

`TemporalEngine` answers what the transports ask the store-backed `Switchboard`
(start, turn, wait, hang_up), so twilio_voice.py and relay.py use either
unchanged. It runs no step itself: the incoming call is an update-with-start of
the workflow `FlowCall` (id: the CallSid) on the current build's task queue,
each turn the update `turn` with the id `CallSid:turn`, the status callback the
signal `hang_up`. The workflow answers within `hold_after` (a hold when a step
runs longer); when no worker answers in that time, the webhook answers with a
hold too, and the platform's next request waits again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from ..events import EventSink
from ..serve.builds import Build
from ..serve.store import StoreUnavailable
from ..serve.switchboard import StaleTurn, UnknownCall
from ..serve.turns import START, CallerInput, Next, Reply
from ..services import Services
from .connection import build_queue, connect
from .workflow import STALE_TURN, CallStart, FlowCall, TurnRequest, WaitRequest

if TYPE_CHECKING:
    from ..serve.app import ServerLog
    from ..serve.settings import ServeConfig

# How much longer than `hold_after` a webhook waits for the workflow's own answer
# (which is a hold at `hold_after`) before answering with a hold itself.
NO_WORKER_GRACE_SECONDS = 1.0
# A finished call's workflow is kept this long, so late webhooks are told it is over.
CALL_RUN_TIMEOUT = timedelta(days=1)


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
    ) -> None:
        self.client = client
        self.address = address
        self.current = current
        self.flow = flow
        self.services = services  # the transports stamp their events with its clock
        self.sinks = list(sinks)
        self.queue = build_queue(task_queue, current.fingerprint)
        self.hold_after = hold_after

    async def start(self, call_id: str, caller: str, callee: str) -> Reply:
        operation = WithStartWorkflowOperation(
            FlowCall.run,
            CallStart(self.current.fingerprint, self.flow, caller, callee),
            id=call_id,
            task_queue=self.queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A first webhook retried after the call is over must not start it again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            execution_timeout=CALL_RUN_TIMEOUT,
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
        handle = self.client.get_workflow_handle_for(FlowCall.run, call_id)
        try:
            await handle.signal(FlowCall.hang_up)
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:  # over already, or never started
                raise self._unavailable(exc) from None

    async def check(self) -> None:
        """For /healthz: StoreUnavailable when the Temporal server does not answer."""
        try:
            await self.client.service_client.check_health()
        except RPCError as exc:
            raise self._unavailable(exc) from None

    async def _answer(self, call_id: str, turn: int, update: Awaitable[Any]) -> Reply:
        """The update's reply, translated: a refused turn is StaleTurn, a call the server
        does not know UnknownCall, a call that is over an empty hang-up reply, no answer
        in time a hold, and a server that cannot be reached StoreUnavailable (503).

        `update` is Awaitable[Any]: temporalio types the result of an async update
        method as the method's coroutine; it is the reply's JSON."""
        try:
            async with asyncio.timeout(self.hold_after + NO_WORKER_GRACE_SECONDS):
                return Reply.from_json(await update)
        # The client turns the timeout's cancellation into its own error. The update
        # stays with the server, which hands it to a worker when one polls again.
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return Reply((), Next.HOLD)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == STALE_TURN:
                current = int(cause.details[0]) if cause.details else turn
                raise StaleTurn(call_id, turn, current) from None
            raise
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                # NOT_FOUND is both "no such workflow" and "workflow execution already
                # completed"; only the message tells them apart.
                if "completed" in exc.message:
                    return Reply((), Next.HANG_UP)
                raise UnknownCall(call_id) from None
            raise self._unavailable(exc) from None

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
    )
