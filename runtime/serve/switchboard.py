"""The switchboard: runs served calls one turn at a time on the call store.

Every turn goes the same way, whichever process gets the webhook:

1. load the call's record; decide from its turn number and phase whether the
   request is a new turn, a retry of the last one (answer the stored reply
   again, run nothing), a duplicate of a turn still running (wait for it), or
   stale (refused);
2. claim the turn: compare-and-set the record to RUNNING with a lease, so no
   other process runs it too (the runner renews the lease while the turn runs;
   a process that died lets it lapse, and then another takes the turn over);
3. resume the call from its stored state with a `TurnChannel` holding the
   turn's input, until it waits for the caller again or ends;
4. compare-and-set the record to WAITING (the new state and the reply) or
   ENDED, one turn on.

A turn that takes longer than `hold_after` seconds (a slow API with retries)
gets a hold reply in time: the webhook answers with what was said so far and
a hold phrase, the platform asks again (`wait`), and the turn goes on in the
background meanwhile. A call whose build is no longer in the archive, or whose
state cannot be resumed, ends with a spoken apology and a clear event; nothing
of it runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import events
from ..driver import CallResult, StateError, resume_call, run_call
from ..events import EventSink
from ..program import Body
from ..services import Services
from .builds import Build, BuildArchive, BuildError
from .store import CallStore, Phase, StoredCall, StoreUnavailable
from .turns import HUNG_UP, START, CallerInput, InputKind, Next, Reply, TurnChannel

HOLD_PHRASE = "One moment, please."
APOLOGY = (
    "We're sorry, this call cannot continue because the service was updated. "
    "Please call again."
)
# How often a process waiting for another process's turn looks at the store.
POLL_SECONDS = 0.05
# Pauses between tries to store a finished turn while the store is unavailable.
STORE_RETRY_PAUSES = (0.1, 0.3, 1.0)


class StaleTurn(Exception):
    """The webhook is for a turn the call is no longer at; `current` is the one it is at."""

    def __init__(self, call_id: str, turn: int, current: int) -> None:
        super().__init__(f"call {call_id} is at turn {current}, not {turn}")
        self.current = current


class UnknownCall(Exception):
    """The store has no such call."""


@dataclass(frozen=True)
class Timing:
    """`hold_after`: seconds a webhook waits for its turn before answering with a hold
    (Twilio gives up on a webhook after 15 s); `lease`: seconds a process's claim on a
    running turn lasts before another process may take the turn over. The runner
    renews its lease every third of that while the turn runs, so only a process that
    died (or lost the store for that long) lets it lapse."""

    hold_after: float = 8.0
    lease: float = 15.0

    @property
    def renew_every(self) -> float:
        return self.lease / 3


@dataclass
class _Running:
    turn: int
    channel: TurnChannel
    task: asyncio.Task[None]


class Switchboard:
    def __init__(
        self,
        store: CallStore,
        builds: BuildArchive,
        current: Build,
        flow: str,
        services: Services,
        sinks: Iterable[EventSink] = (),
        timing: Timing = Timing(),
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.builds = builds
        self.current = current
        self.flow = flow
        self.services = services
        self.sinks = list(sinks)
        self.timing = timing
        # A line for the operator (standard error), for what must be seen without --log.
        self.warn = warn
        self._running: dict[str, _Running] = {}
        # Hang-ups waiting for another process's lease to lapse (_end_when_lease_lapses).
        self._watching: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- webhooks

    async def start(self, call_id: str, caller: str, callee: str) -> Reply:
        """The incoming call: stores it on the current build, already claimed for turn 0
        (so that it costs one write, not two), and runs turn 0."""
        deadline = time.monotonic() + self.timing.hold_after
        record = StoredCall(
            call_id,
            version=1,
            turn=0,
            phase=Phase.RUNNING,
            build=self.current.fingerprint,
            flow=self.flow,
            caller_input={"kind": InputKind.START.value, "caller": caller, "callee": callee},
            lease_until=time.time() + self.timing.lease,
        )
        if await self.store.create(record):
            return await self._run(record, START, deadline)
        # A retried first webhook, answered like any retry.
        return await self.turn(call_id, 0, START)

    async def turn(self, call_id: str, turn: int, given: CallerInput) -> Reply:
        """Turn `turn` of the call with the platform's input; see the module docstring."""
        deadline = time.monotonic() + self.timing.hold_after
        while True:
            record = await self._load(call_id)
            settled = await self._settled(record, turn, deadline)
            if settled is not None:
                return settled
            claimed = record.next_version(
                phase=Phase.RUNNING,
                caller_input=given.to_json(),
                lease_until=time.time() + self.timing.lease,
            )
            if await self.store.replace(claimed) is not None:
                return await self._run(claimed, given, deadline)

    async def wait(self, call_id: str, turn: int) -> Reply:
        """The platform asks again after a hold: the rest of turn `turn`'s reply."""
        deadline = time.monotonic() + self.timing.hold_after
        record = await self._load(call_id)
        settled = await self._settled(record, turn, deadline)
        if settled is not None:
            return settled
        # Only a confused client asks to wait for a turn nobody has started: answer
        # with the question the call waits at again.
        return self._replay(record, record.turn - 1)

    async def hang_up(self, call_id: str) -> None:
        """The status callback says the call is over: a call still waiting for the caller
        ends as a hang-up (`after call` runs once); a running turn, and one that wins the
        race to claim the waiting call, is told to end it."""
        record = await self.store.load(call_id)
        if record is None or record.phase is Phase.ENDED:
            return
        # The flag first, whatever the phase: it reaches a runner in another process, and
        # one that claims the waiting call before the hang-up below does (a caller turn
        # and the status callback at once), when it stores its turn as WAITING; the
        # channel's, a runner here mid-turn.
        await self.store.mark_hung_up(call_id)
        running = self._running.get(call_id)
        if running is not None:
            running.channel.caller_gone = True
        # Read again after the flag: a turn seen running now stores after it, so sees it.
        record = await self.store.load(call_id)
        if record is not None and record.phase is Phase.RUNNING and running is None:
            self._end_when_lease_lapses(record)
            return
        while record is not None and record.phase is Phase.WAITING:
            claimed = record.next_version(
                phase=Phase.RUNNING,
                caller_input=HUNG_UP.to_json(),
                lease_until=time.time() + self.timing.lease,
            )
            if await self.store.replace(claimed) is not None:
                await self._run(claimed, HUNG_UP, time.monotonic() + self.timing.hold_after)
                return
            record = await self.store.load(call_id)  # a turn was claimed or stored meanwhile

    def _end_when_lease_lapses(self, record: StoredCall) -> None:
        """The caller hung up while another process ran a turn. That process ends the
        call when it stores the turn; if it died instead, its lease lapses, and then
        this process ends the call (after call runs) from the state before the turn."""

        async def end_when_lapsed() -> None:
            await asyncio.sleep(max(0.0, record.lease_until - time.time()) + POLL_SECONDS)
            latest = await self.store.load(record.call_id)
            if latest is None or latest.phase is not Phase.RUNNING:
                return
            if latest.lease_until > time.time():  # renewed: its runner is alive
                self._end_when_lease_lapses(latest)
                return
            taken = latest.next_version(
                caller_input=HUNG_UP.to_json(), lease_until=time.time() + self.timing.lease
            )
            if await self.store.replace(taken) is not None:
                self._emit(record.call_id, events.TurnTakenOver(latest.turn, "hang-up"))
                await self._run(taken, HUNG_UP, time.monotonic() + self.timing.hold_after)

        task = asyncio.create_task(end_when_lapsed())
        self._watching.add(task)
        task.add_done_callback(self._watching.discard)

    async def close(self) -> None:
        """Lets the turns still running here finish (a graceful stop loses no turn)."""
        for watch in self._watching:
            watch.cancel()
        tasks = [running.task for running in self._running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=self.timing.lease)

    # ---------------------------------------------------------------- turns

    async def _load(self, call_id: str) -> StoredCall:
        record = await self.store.load(call_id)
        if record is None:
            raise UnknownCall(call_id)
        return record

    async def _settled(self, record: StoredCall, turn: int, deadline: float) -> Reply | None:
        """The answer to a request for turn `turn` that starts nothing: the stored reply
        (a retry, or a call that is over), a refusal (StaleTurn), or the reply of the
        turn already running; None when the call waits at `turn`, to be claimed."""
        if record.phase is Phase.ENDED or turn == record.turn - 1:
            return self._replay(record, turn)
        if turn != record.turn:
            raise StaleTurn(record.call_id, turn, record.turn)
        if record.phase is Phase.RUNNING:
            return await self._join(record, deadline)
        return None

    def _replay(self, record: StoredCall, turn: int) -> Reply:
        """The stored answer of the last turn (a retried webhook), or, for a call that is
        over, an empty one."""
        if record.reply is not None and turn == record.turn - 1:
            return Reply.from_json(record.reply)
        return Reply((), Next.HANG_UP if record.phase is Phase.ENDED else Next.NOTHING)

    async def _run(self, record: StoredCall, given: CallerInput, deadline: float) -> Reply:
        channel = TurnChannel(given)
        task = asyncio.create_task(self._run_turn(record, channel))
        self._running[record.call_id] = _Running(record.turn, channel, task)
        return await self._reply_of(channel, task, deadline)

    async def _join(self, record: StoredCall, deadline: float) -> Reply:
        """The turn is running: here (wait for its reply) or in another process (watch
        the store; take the turn over when that process's lease has lapsed)."""
        running = self._running.get(record.call_id)
        if running is not None and running.turn == record.turn:
            return await self._reply_of(running.channel, running.task, deadline)
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            latest = await self._load(record.call_id)
            if latest.version != record.version:
                return await self.wait(record.call_id, record.turn)
        if record.lease_until < time.time() and record.caller_input is not None:
            taken = record.next_version(lease_until=time.time() + self.timing.lease)
            if await self.store.replace(taken) is not None:
                given = CallerInput.from_json(record.caller_input)
                return await self._run(taken, given, time.monotonic() + self.timing.hold_after)
        return Reply((), Next.HOLD)

    async def _reply_of(
        self, channel: TurnChannel, task: asyncio.Task[None], deadline: float
    ) -> Reply:
        """The turn's reply once the call waits again or is over; a hold at `deadline`."""
        over = asyncio.ensure_future(channel.call_over.wait())
        try:
            await asyncio.wait(
                {task, over},
                timeout=max(0.0, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            over.cancel()
        if task.done():
            task.result()  # a failure to store the turn is the webhook's failure
            return channel.reply()
        if channel.call_over.is_set():
            return channel.reply()
        return channel.hold()

    async def _run_turn(self, record: StoredCall, channel: TurnChannel) -> None:
        """Runs the turn's steps and stores where the call is now (in the background of
        the webhook, which may have answered with a hold already)."""
        renewing = asyncio.create_task(self._renew_lease(record))
        try:
            result = await self._drive(record, channel)
            renewing.cancel()
            if result is None:
                # Through the channel, so that the webhook waiting for it hears it too.
                await channel.say(APOLOGY)
                await channel.hang_up()
                phase, state = Phase.ENDED, None
            else:
                phase = Phase.ENDED if result.outcome is not None else Phase.WAITING
                state = result.state
            await self._store_turn(record, channel.reply(), phase, state)
        finally:
            renewing.cancel()
            running = self._running.get(record.call_id)
            if running is not None and running.turn == record.turn:
                del self._running[record.call_id]

    async def _renew_lease(self, record: StoredCall) -> None:
        """Keeps this process's claim on a running turn alive until cancelled."""
        while True:
            await asyncio.sleep(self.timing.renew_every)
            renewed = dataclasses.replace(record, lease_until=time.time() + self.timing.lease)
            try:
                if not await self.store.renew(renewed):
                    return  # the record moved on: taken over, or the turn is stored
            except StoreUnavailable as exc:
                self._emit(record.call_id, events.StoreUnavailable(str(exc)))

    async def _drive(self, record: StoredCall, channel: TurnChannel) -> CallResult | None:
        """Runs the call's steps on its own build; None when the call cannot continue."""
        try:
            # A build in the archive that no longer imports (an edited or half-deleted
            # folder) is a BuildError: the call ends as for a missing build.
            build = self.builds.get(record.build)
            if build is None:
                self._abandon(record, f"its build {record.build} is no longer in the archive")
                return None
            if record.state is None:
                return await self._start_call(record, build, channel)
            return await resume_call(
                record.state, self.services, channel, sinks=self.sinks, bodies=build.body
            )
        except (StateError, BuildError) as exc:
            self._abandon(record, str(exc))
            return None

    async def _start_call(
        self, record: StoredCall, build: Build, channel: TurnChannel
    ) -> CallResult:
        module, _, name = record.flow.partition(":")
        flow: Body = build.body(module, name)
        numbers = record.caller_input or {}
        return await run_call(
            flow,
            self.services,
            channel,
            caller=str(numbers.get("caller", "")),
            callee=str(numbers.get("callee", "")),
            sinks=self.sinks,
            call_id=record.call_id,
        )

    async def _store_turn(
        self, record: StoredCall, reply: Reply, phase: Phase, state: str | None
    ) -> None:
        done = record.next_version(
            turn=record.turn + 1,
            phase=phase,
            state=state,
            reply=reply.to_json(),
            caller_input=None,
            lease_until=0.0,
        )
        stored = await self._replace_retrying(done)
        if stored is None:
            self._emit(record.call_id, events.TurnLost(record.turn, "taken over"))
            return
        # The caller hung up while this turn ran in a process that had no channel for it.
        if phase is Phase.WAITING and stored.hung_up:
            await self.turn(record.call_id, done.turn, HUNG_UP)

    async def _replace_retrying(self, record: StoredCall) -> StoredCall | None:
        """Stores a finished turn, trying again for a moment if the store is unavailable:
        the turn has run, and losing its record would run it again on a retry."""
        for pause in STORE_RETRY_PAUSES:
            try:
                return await self.store.replace(record)
            except StoreUnavailable as exc:
                self._emit(record.call_id, events.StoreUnavailable(str(exc)))
                await asyncio.sleep(pause)
        return await self.store.replace(record)

    def _abandon(self, record: StoredCall, reason: str) -> None:
        self._emit(record.call_id, events.CallAbandoned(record.build, reason))
        if self.warn is not None:
            self.warn(f"call {record.call_id} ends with an apology: {reason}")

    def _emit(self, call_id: str, record: events.EventRecord) -> None:
        event = record.stamped(call_id, self.services.clock().isoformat())
        for sink in self.sinks:
            sink.emit(event)


