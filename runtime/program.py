"""What a generated module is made of: bodies of steps, and the moves steps return.

A generated module defines one `Body` per flow and action. A body is a table of
`Step`s; each step is a small `async def (call, v) -> Move` where `v` holds the
body's variables keyed by their .flow names. A step never calls another step:
it returns where to go, and the driver (driver.py) goes there. That keeps the
whole state of a call plain data (which body, which step, which variables), so
it can be stored between caller turns and resumed in another process.

Moves:
- an `int`: the index of the next step in the same body;
- `Enter`: start an action; its outputs map to step indexes of this body;
- `Leave`: leave the current action through one of its outputs, with fields;
- `Stop`: the call is over (`end`, or `transfer`).

One move is not returned but raised: `IntentTaken`, from a `collect` whose answer
said a global intent, possibly one of a body further down the frames (a flow's
intent heard inside an action it runs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

from .services import JSON

if TYPE_CHECKING:
    from .call import Call

Vars: TypeAlias = dict[str, JSON]


class Outcome(StrEnum):
    """How a call ended; `call.outcome` in `after call`."""

    ENDED = "ended"
    TRANSFERRED = "transferred"
    HANGUP = "hangup"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Stop:
    outcome: Outcome


ENDED = Stop(Outcome.ENDED)
TRANSFERRED = Stop(Outcome.TRANSFERRED)


@dataclass(frozen=True, slots=True)
class Enter:
    """`run var = Action(args)`: `returns` maps each output to a step of the caller."""

    action: Body
    variable: str
    args: Vars
    returns: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Leave:
    """`exit Output(fields)` or `-> Output(fields)` inside an action."""

    output: str
    fields: Vars = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Intent:
    """`on intent NAME ["phrase", ...] -> T` of a body: `step` is T, a step of that body."""

    name: str
    phrases: tuple[str, ...]
    step: int


class IntentTaken(Exception):
    """A collect heard an intent: the call goes on at `step` of the body of frame `frame`
    (an index into `Call.frames`), whose frames above are left."""

    def __init__(self, frame: int, step: int) -> None:
        super().__init__(frame, step)
        self.frame = frame
        self.step = step


Move: TypeAlias = int | Enter | Leave | Stop
MOVE_TYPES = (int, Enter, Leave, Stop)
# A step that talks to the outside world is a coroutine function; one that only
# computes (set, if, jump, run, exit) is a plain function, which saves creating
# a coroutine per step.
StepFn: TypeAlias = Callable[["Call", Vars], Awaitable[Move] | Move]
InputsFn: TypeAlias = Callable[["Call", Vars], None]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a body: where it is in the source, and the code that runs it."""

    line: int
    kind: str
    run: StepFn


def no_inputs(call: Call, v: Vars) -> None:
    """The inputs function of a flow, which has none."""


@dataclass(frozen=True, slots=True)
class Body:
    """A flow or an action, as the driver runs it.

    `module` is the Python module defining it (so a stored call can find it
    again), `name` its .flow name, `source` the .flow file faults point into.
    `inputs` fills an action's defaults and registers its secret inputs;
    `after_call` (flows only) runs once when the call is over. `secret_env`
    (flows only) names every environment variable the program reads as a
    secret: the driver masks their values from the call's first event, before
    any step has read them.
    """

    module: str
    name: str
    source: str
    steps: tuple[Step, ...]
    inputs: InputsFn = no_inputs
    after_call: tuple[Step, ...] = ()
    is_action: bool = False
    secret_env: tuple[str, ...] = ()
    # Its global intents, heard at its collects and those of the actions it runs.
    intents: tuple[Intent, ...] = ()


@dataclass(slots=True)
class Frame:
    """A body in progress: the flow at the bottom, actions in progress above it.

    An action's frame remembers the caller's variable that receives its output
    (`variable`) and where each output continues in the caller (`returns`).
    """

    body: Body
    index: int
    vars: Vars
    variable: str | None = None
    returns: Mapping[str, int] = field(default_factory=dict)

    @property
    def step(self) -> Step:
        return self.body.steps[self.index]

    @property
    def where(self) -> str:
        """`file.flow:LINE` of the current step, for faults."""
        if 0 <= self.index < len(self.body.steps):
            return f"{self.body.source}:{self.step.line}"
        return self.body.source
