"""The driver: runs a call's steps, moves between bodies, and ends the call.

Generated steps return moves (program.py); this loop applies them. It pushes a
frame when a step enters an action and pops it when the action leaves through
an output, so the call's position is always data. Every way a call can end is
decided here:

- a `Stop` move (`end`, `transfer`): outcome ended / transferred;
- the channel raises `CallerHungUp`: outcome hangup;
- anything else raised while a step runs: a runtime fault, outcome error,
  reported as `file.flow:LINE: message` (never a Python traceback);
- the channel raises `AwaitingCaller`: the call is suspended, not ended; its
  state (JSON) is returned and `resume_call` continues it later.

The driver hangs up the line when the call ended (`end`, a failed transfer) or
faulted; `after call` then runs once after any of the endings, with
`call.outcome` set.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from .call import Call, CallInfo
from .channels import AwaitingCaller
from .events import (
    ActionEntered,
    ActionLeft,
    CallEnded,
    CallResumed,
    CallStarted,
    EventLog,
    EventSink,
    Fault,
    HangUpFailed,
    Secrets,
)
from .ops import FlowFault
from .program import MOVE_TYPES, Body, Enter, Frame, IntentTaken, Leave, Outcome, Stop, Vars
from .sealing import KEY_VARIABLE, state_key
from .services import CallerHungUp, Channel, Services
from .state import CallState, FrameState, seal_answers
from .state import StateError as StateError  # also imported from here (serve, the package)

# A loop with no caller turn in it (the checker warns about those) would spin
# forever; when this many steps ran and no caller turn came, the call ends with
# a fault. (Checked every this-many steps, so it fires within twice the count.)
MAX_STEPS_WITHOUT_TURN = 100_000


# Finds a flow or action by generated module name and .flow name (see `find_body`).
BodyFinder: TypeAlias = Callable[[str, str], Body]


@dataclass(frozen=True, slots=True)
class CallResult:
    """How a run of the driver finished.

    `outcome` is None when the call was suspended; `state` then holds its JSON.
    `fault` is the `file.flow:LINE: message` of a runtime fault, if one happened
    (in the call or in its `after call`).
    """

    outcome: Outcome | None
    fault: str | None = None
    state: str | None = None


def start_call(
    flow: Body,
    services: Services,
    channel: Channel,
    *,
    caller: str = "",
    callee: str = "",
    sinks: Iterable[EventSink] = (),
    call_id: str | None = None,
) -> Call:
    """A new call at the first step of `flow`."""
    started_at = services.clock().isoformat(timespec="seconds")
    info = CallInfo(call_id or uuid.uuid4().hex, caller, callee, started_at)
    log = EventLog(info.id, sinks, services.clock, _env_secrets(flow, services))
    call = Call(info, services, channel, log, [Frame(flow, 0, {})])
    if log.active:
        log.emit(CallStarted(flow.name, caller, callee))
    return call


def _env_secrets(flow: Body, services: Services, known: Iterable[str] = ()) -> Secrets:
    """The secrets to mask from the start: `known` values and the program's secret
    environment variables (so that a caller or an API saying one early is masked too)."""
    secrets = Secrets(known)
    for name in flow.secret_env:
        secrets.add(services.env(name))
    return secrets


async def run_call(
    flow: Body,
    services: Services,
    channel: Channel,
    *,
    caller: str = "",
    callee: str = "",
    sinks: Iterable[EventSink] = (),
    call_id: str | None = None,
) -> CallResult:
    """Runs a call of `flow` from its first step until it ends or is suspended."""
    call = start_call(
        flow,
        services,
        channel,
        caller=caller,
        callee=callee,
        sinks=sinks,
        call_id=call_id,
    )
    return await drive(call)


async def resume_call(
    state: str,
    services: Services,
    channel: Channel,
    *,
    sinks: Iterable[EventSink] = (),
    bodies: BodyFinder | None = None,
) -> CallResult:
    """Continues a suspended call from its stored state (see `state_json`)."""
    return await drive(load_state(state, services, channel, sinks, bodies))


async def drive(call: Call) -> CallResult:
    fault: str | None = None
    try:
        outcome = await _run_steps(call)
    except AwaitingCaller:
        return CallResult(None, state=state_json(call))
    except CallerHungUp:
        outcome = Outcome.HANGUP
    # A fault anywhere in a step must end the call cleanly and say where it was.
    except Exception as exc:
        fault = _report_fault(call, call.frames[-1].where, exc)
        outcome = Outcome.ERROR
    call.outcome = outcome  # a StrEnum: the text `call.outcome` reads as
    if outcome in (Outcome.ENDED, Outcome.ERROR):
        await _hang_up(call)
    after_fault = await _run_after_call(call) if call.frames[0].body.after_call else None
    if call.log.active:
        call.log.emit(CallEnded(outcome.value))
    return CallResult(outcome, fault or after_fault)


async def _hang_up(call: Call) -> None:
    """The agent's side of the line closes: after `end`, a failed transfer, or a fault."""
    try:
        await call.channel.hang_up()
    # The call is over either way; a channel that fails to hang up is only logged.
    except Exception as exc:
        call.log.emit(HangUpFailed(f"{type(exc).__name__}: {exc}"))


async def _run_steps(call: Call) -> Outcome:
    """Runs steps until the call stops: the hot loop, so the frame's parts are locals."""
    log = call.log
    frame = call.frames[-1]
    steps, variables = frame.body.steps, frame.vars
    steps_since_check, turns_at_check = 0, call.turns
    while True:
        try:
            step = steps[frame.index]
        except IndexError:
            raise FlowFault(f"'{frame.body.name}' ran past its last step") from None
        steps_since_check += 1
        if steps_since_check > MAX_STEPS_WITHOUT_TURN:
            if call.turns == turns_at_check:
                raise FlowFault(f"{MAX_STEPS_WITHOUT_TURN} steps ran without a caller turn")
            steps_since_check, turns_at_check = 0, call.turns
        if log.active:
            call.step_entered(frame.body.source, step)
        try:
            result = step.run(call, variables)
            # Steps that await nothing return their move directly; the others a coroutine.
            move = result if isinstance(result, MOVE_TYPES) else await result
        except IntentTaken as taken:
            _take_intent(call, taken)
            frame = call.frames[-1]
            steps, variables = frame.body.steps, frame.vars
            continue
        if isinstance(move, int):
            frame.index = move
            continue
        if isinstance(move, Stop):
            return move.outcome
        if isinstance(move, Enter):
            _enter(call, move)
        else:
            _leave(call, move)
        frame = call.frames[-1]
        steps, variables = frame.body.steps, frame.vars


def _enter(call: Call, move: Enter) -> None:
    variables: Vars = dict(move.args)
    # Defaults filled and secret inputs registered first, so the event shows
    # every input and masks the secret ones (and a fault in a default is
    # reported at the `run` step, still the current one).
    move.action.inputs(call, variables)
    call.frames.append(Frame(move.action, 0, variables, move.variable, move.returns))
    if call.log.active:
        call.log.emit(ActionEntered(move.action.name, move.variable, variables))


def _leave(call: Call, move: Leave) -> None:
    if len(call.frames) < 2:
        raise FlowFault(f"'exit {move.output}' outside an action")
    frame = call.frames.pop()
    parent = call.frames[-1]
    call.log.emit(ActionLeft(frame.body.name, move.output))
    assert frame.variable is not None
    call.set(parent.vars, frame.variable, dict(move.fields))
    parent.index = frame.returns[move.output]


def _take_intent(call: Call, taken: IntentTaken) -> None:
    """A global intent heard: the actions above its body are left, as if the caller hung
    up on them (their run variables get no value), and its body goes on at its target."""
    del call.frames[taken.frame + 1 :]
    call.frames[-1].index = taken.step


async def _run_after_call(call: Call) -> str | None:
    """Runs the flow's `after call` steps; a fault there is reported and stops them."""
    flow = call.frames[0]
    steps = flow.body.after_call
    index = 0
    for _ in range(MAX_STEPS_WITHOUT_TURN):
        if not 0 <= index < len(steps):
            return None
        step = steps[index]
        call.step_entered(flow.body.source, step)
        try:
            result = step.run(call, flow.vars)
            move = result if isinstance(result, MOVE_TYPES) else await result
        except Exception as exc:  # as in drive(): a fault ends after-call cleanly
            return _report_fault(call, f"{flow.body.source}:{step.line}", exc)
        # Only plain steps are allowed in after call; anything else ends it.
        index = move if isinstance(move, int) else len(steps)
    loop = FlowFault(f"'after call' ran {MAX_STEPS_WITHOUT_TURN} steps (a loop?)")
    return _report_fault(call, f"{flow.body.source}:{steps[index].line}", loop)


def _report_fault(call: Call, where: str, exc: Exception) -> str:
    message = str(exc) if isinstance(exc, FlowFault) else _describe_exception(exc)
    call.log.emit(Fault(where, message))
    masked = call.log.secrets.mask(f"{where}: {message}")
    assert isinstance(masked, str)
    return masked


def _describe_exception(exc: Exception) -> str:
    detail = str(exc)
    return f"internal error: {type(exc).__name__}" + (f": {detail}" if detail else "")


# --------------------------------------------------------------------------
# State: where a suspended call is, as JSON (state.py)


def state_json(call: Call) -> str:
    """The call's state as JSON (`CallState`): its info, its frames and what it is
    waiting on, with the values of secret environment variables stored as references."""
    env_names = _secret_env_values(call.frames[0].body, call.services)
    is_secret = call.log.secrets.holds
    answers = call.secret_answers
    return CallState(
        call=call.info,
        frames=tuple(
            FrameState.of_frame(frame, env_names, is_secret, answers) for frame in call.frames
        ),
        pending_attempt=call.pending_attempt,
        pending_transfer=call.pending_transfer,
        sealed_answers=seal_answers(answers, _state_key(call.services), call.info.id),
    ).to_json()


def _state_key(services: Services) -> str:
    """The key that seals secret answers at rest (sealing.py)."""
    return state_key(services.env(KEY_VARIABLE))


def _secret_env_values(flow: Body, services: Services) -> dict[str, str]:
    """The value of each secret environment variable the program reads -> its name."""
    values = {}
    for name in flow.secret_env:
        value = services.env(name)
        if value:
            values[value] = name
    return values


def load_state(
    state: str,
    services: Services,
    channel: Channel,
    sinks: Iterable[EventSink] = (),
    bodies: BodyFinder | None = None,
) -> Call:
    """A `Call` positioned where `state_json` left it; raises StateError when it cannot be.

    `bodies` finds a frame's body by module and name (default: `find_body`, by import).
    """
    find = bodies or find_body
    stored = CallState.from_json(state)
    answers = stored.answers(_state_key(services))
    frames = [
        frame.to_frame(find(frame.module, frame.body), services.env, answers)
        for frame in stored.frames
    ]
    secrets = _env_secrets(frames[0].body, services, stored.secret_values())
    info = stored.call
    call = Call(info, services, channel, EventLog(info.id, sinks, services.clock, secrets), frames)
    for answer in answers:
        call.keep_answer(answer)
    call.pending_attempt = stored.pending_attempt
    call.pending_transfer = stored.pending_transfer
    call.log.emit(CallResumed(frames[0].body.name, frames[-1].where))
    return call


def find_body(module_name: str, body_name: str) -> Body:
    """The flow or action `body_name` of the generated module `module_name`."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StateError(f"cannot import the flow module '{module_name}': {exc}") from exc
    bodies = getattr(module, "BODIES", None)
    if not isinstance(bodies, dict) or body_name not in bodies:
        raise StateError(f"module '{module_name}' defines no flow or action '{body_name}'")
    body = bodies[body_name]
    if not isinstance(body, Body):
        raise StateError(f"'{module_name}.{body_name}' is not a generated flow body")
    return body
