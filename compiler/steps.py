"""The step table: one entry per kind of step, holding what every pass needs to know about it.

The flow graph (graph.py) makes a step's edges from its ways out; the checker
reads its keyword, the variable it assigns and that variable's type rule,
whether it needs the caller on the line and whether it gives the caller a turn;
definite assignment reads along which edges the variable gets its value;
lowering and the IR read its name in generated code, whether its function
waits (`async def`), its template macro, and what happens to an event that no
handler catches. Adding a kind of step is one entry here, the per-kind code
that checks and lowers its own clauses, a macro in templates/steps.jinja, and
their tests.

Each entry is generic in its AST class, so mypy checks every accessor against
the fields of that class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from . import ast
from . import types as ty

S = TypeVar("S", bound=ast.Step)


class Waits(StrEnum):
    """What a step's generated function waits on; one that waits is an `async def`."""

    NOTHING = "nothing"  # it only computes, or returns a move (`run`, `exit`)
    CALLER = "caller"  # it says something, listens, or hands the call on
    SERVICE = "service"  # HTTP, a message, a Python callable


class Asks(StrEnum):
    """Whether passing through a step gives the caller a turn (for loops that never wait)."""

    NEVER = "never"
    ALWAYS = "always"
    IF_ITS_ACTION_ASKS = "if its action asks"  # a `run`: when the action, at any depth, collects


class Event(StrEnum):
    """What a handler slot and a body's default handler catch."""

    NO_ANSWER = "no_answer"
    ERROR = "error"


class Unhandled(StrEnum):
    """What becomes of a step's event when no handler of its own catches it."""

    # The body's default handler for the event takes it; without one the checker
    # asks for a path (E0302, E0303). In `after call`, which has no defaults, the
    # failure is logged and the block goes on.
    DEFAULT = "default"
    CONTINUES = "continues"  # the failure is logged and the call goes on with the next step
    ENDS_CALL = "ends the call"


class VariableKind(StrEnum):
    """What gave a variable its value: an action's input, or the step that assigns it."""

    INPUT = "input"
    COLLECT = "collect"
    REQUEST = "request"
    RUN = "run"
    CODE = "code"
    SET = "set"


class Declarations(Protocol):
    """What the type of a step's variable may depend on besides the step: the program's
    actions and `python` declarations (the checker answers, and reports what is missing)."""

    def run_result(self, run: ast.Run) -> ty.Type: ...

    def python_result(self, code: ast.Code) -> ty.Type: ...


# --------------------------------------------------------------------------
# Ways out of a step, in the order the flow graph makes their edges.


@dataclass(frozen=True, slots=True)
class NextStep:
    """On to the following step (past the last one: falling off the end of the body)."""


@dataclass(frozen=True, slots=True)
class CallOver:
    """The body is over: the call ended (`end`) or was handed on (`transfer`)."""


@dataclass(frozen=True, slots=True)
class ExitAction(Generic[S]):
    """Out of the action through the output the step names (`exit Out`)."""

    output: Callable[[S], ast.Ident]


@dataclass(frozen=True, slots=True)
class Goto(Generic[S]):
    """To the step's `-> T`: a branch when the step can also go on (`if`), else a jump."""

    target: Callable[[S], ast.Target]
    conditional: bool


@dataclass(frozen=True, slots=True)
class OnEvent(Generic[S]):
    """The step's handler slot: `on EVENT -> T`, its own or (see Unhandled) another."""

    event: Event
    own: Callable[[S], ast.Handler | None]
    unhandled: Unhandled
    # What makes the step fail, in words, for "has no path for when it fails" (E0303).
    failure: str = ""


@dataclass(frozen=True, slots=True)
class ActionOutputs(Generic[S]):
    """One way per output of the action a `run` uses, each along its `on Out -> T`."""

    handlers: Callable[[S], tuple[ast.Handler, ...]]


@dataclass(frozen=True, slots=True)
class HearsIntents:
    """One way per intent of the body (`on intent NAME [...] -> T`), taken when the caller
    says one of its phrases instead of answering.

    `inside_action` False: the step listens itself (a `collect`). True: the action the
    step runs listens, at any depth; there the intent is heard at every collect, except
    in an action that has an intent of the same name (its own is heard instead).
    """

    inside_action: bool


Way = (
    NextStep | CallOver | ExitAction[S] | Goto[S] | OnEvent[S] | ActionOutputs[S] | HearsIntents
)


@dataclass(frozen=True, slots=True)
class Assignment(Generic[S]):
    """The variable a step assigns, and the type it gives it."""

    kind: VariableKind
    variable: Callable[[S], ast.Ident]
    # None: typed from the value it assigns, in source order (`set`).
    type_rule: Callable[[S, Declarations], ty.Type] | None
    # False: assigned when the step succeeds, along its edge to the next step only.
    # True: assigned along each output edge, with the fields of that output (`run`).
    per_output: bool = False


@dataclass(frozen=True, slots=True)
class StepKind(Generic[S]):
    """One kind of step: what every pass needs to know about it, apart from what its own
    clauses mean (the checker checks and lowering translates those)."""

    node: type[S]
    # As written in .flow and named in messages: "collect", "send sms", "->".
    keyword: str
    # Its name in generated code (step functions, `Step(line, name, ...)`) and in events.
    name: str
    # The macro of templates/steps.jinja that writes the body of its step function.
    template: str
    ways: tuple[Way[S], ...]
    waits: Waits
    # The expressions it holds itself (targets' arguments are reached through `ways`).
    expressions: Callable[[S], Iterable[ast.Expr]]
    # It talks to the caller, or may (a `run`): refused in `after call` (E0603).
    needs_caller: bool = False
    asks: Asks = Asks.NEVER
    assigns: Assignment[S] | None = None

    @property
    def handler(self) -> OnEvent[S] | None:
        """Its handler slot, if it has one."""
        return next((way for way in self.ways if isinstance(way, OnEvent)), None)


# --------------------------------------------------------------------------
# Accessors and type rules the entries share


def _variable(step: ast.Collect | ast.Request | ast.Run | ast.Code | ast.Set) -> ast.Ident:
    return step.var


def _on_error(
    step: ast.Request | ast.Code | ast.SendSms | ast.SendEmail | ast.Transfer,
) -> ast.Handler | None:
    return step.on_error


def _target(step: ast.If | ast.Jump) -> ast.Target:
    return step.target


def _present(*exprs: ast.Expr | None) -> tuple[ast.Expr, ...]:
    return tuple(expr for expr in exprs if expr is not None)


def _values(args: Sequence[ast.Arg]) -> tuple[ast.Expr, ...]:
    return tuple(arg.value for arg in args)


def _collected_type(step: ast.Collect, _: Declarations) -> ty.Type:
    """`collect x: text in [...]` gives a text; otherwise the type asked for."""
    return ty.TEXT if step.options is not None else ty.from_syntax(step.type)


def _form_expressions(step: ast.Collect) -> tuple[ast.Expr, ...]:
    """A form's own expressions: its fields' options, their prompts, `given` and the
    read-back (which may read the form's variable: checker/forms.py)."""
    form = step.form
    if form is None:
        return ()
    options = tuple(f.options for f in form.fields if f.options is not None)
    asks = tuple(ask.prompt for ask in form.asks)
    return (*options, *asks, *_present(form.given, form.confirm))


def _expected_shape(step: ast.Request, _: Declarations) -> ty.Type:
    """The `expect` shape; json (checked where it is used) without one."""
    return ty.from_syntax(step.expect) if step.expect is not None else ty.JSON


def _run_result(step: ast.Run, declarations: Declarations) -> ty.Type:
    return declarations.run_result(step)


def _python_result(step: ast.Code, declarations: Declarations) -> ty.Type:
    return declarations.python_result(step)


def _request_expressions(step: ast.Request) -> tuple[ast.Expr, ...]:
    entries = (*step.headers, *step.query, *(step.body or ()))
    return (step.url, *(part for entry in entries for part in (entry.key, entry.value)))


# --------------------------------------------------------------------------
# The table

TALK: StepKind[ast.Talk] = StepKind(
    ast.Talk,
    keyword="talk",
    name="talk",
    template="talk_step",
    ways=(NextStep(),),
    waits=Waits.CALLER,
    expressions=lambda step: (step.text,),
    needs_caller=True,
)
COLLECT: StepKind[ast.Collect] = StepKind(
    ast.Collect,
    keyword="collect",
    name="collect",
    template="collect_step",
    ways=(
        NextStep(),
        OnEvent(Event.NO_ANSWER, lambda step: step.on_no_answer, Unhandled.DEFAULT),
        HearsIntents(inside_action=False),
    ),
    waits=Waits.CALLER,
    expressions=lambda step: (
        *_present(step.prompt, step.reprompt, step.options), *_form_expressions(step)
    ),
    needs_caller=True,
    asks=Asks.ALWAYS,
    assigns=Assignment(VariableKind.COLLECT, _variable, _collected_type),
)
REQUEST: StepKind[ast.Request] = StepKind(
    ast.Request,
    keyword="request",
    name="request",
    template="request_step",
    ways=(
        NextStep(),
        OnEvent(
            Event.ERROR, _on_error, Unhandled.DEFAULT,
            failure="a network error, a timeout or a bad answer",
        ),
    ),
    waits=Waits.SERVICE,
    expressions=_request_expressions,
    assigns=Assignment(VariableKind.REQUEST, _variable, _expected_shape),
)
RUN: StepKind[ast.Run] = StepKind(
    ast.Run,
    keyword="run",
    name="run",
    template="run_step",
    ways=(ActionOutputs(lambda step: step.handlers), HearsIntents(inside_action=True)),
    waits=Waits.NOTHING,
    expressions=lambda step: _values(step.args),
    needs_caller=True,
    asks=Asks.IF_ITS_ACTION_ASKS,
    assigns=Assignment(VariableKind.RUN, _variable, _run_result, per_output=True),
)
CODE: StepKind[ast.Code] = StepKind(
    ast.Code,
    keyword="code",
    name="code",
    template="code_step",
    ways=(
        NextStep(),
        OnEvent(
            Event.ERROR, _on_error, Unhandled.DEFAULT,
            failure="an exception in the Python function",
        ),
    ),
    waits=Waits.SERVICE,
    expressions=lambda step: _values(step.args),
    assigns=Assignment(VariableKind.CODE, _variable, _python_result),
)
SET: StepKind[ast.Set] = StepKind(
    ast.Set,
    keyword="set",
    name="set",
    template="set_step",
    ways=(NextStep(),),
    waits=Waits.NOTHING,
    expressions=lambda step: (step.value,),
    assigns=Assignment(VariableKind.SET, _variable, None),
)
IF: StepKind[ast.If] = StepKind(
    ast.If,
    keyword="if",
    name="if",
    template="if_step",
    ways=(Goto(_target, conditional=True), NextStep()),
    waits=Waits.NOTHING,
    expressions=lambda step: (step.condition,),
)
JUMP: StepKind[ast.Jump] = StepKind(
    ast.Jump,
    keyword="->",
    name="jump",
    template="jump_step",
    ways=(Goto(_target, conditional=False),),
    waits=Waits.NOTHING,
    expressions=lambda step: (),
)
SEND_SMS: StepKind[ast.SendSms] = StepKind(
    ast.SendSms,
    keyword="send sms",
    name="sms",
    template="sms_step",
    ways=(NextStep(), OnEvent(Event.ERROR, _on_error, Unhandled.CONTINUES)),
    waits=Waits.SERVICE,
    expressions=lambda step: (step.to, step.text),
)
SEND_EMAIL: StepKind[ast.SendEmail] = StepKind(
    ast.SendEmail,
    keyword="send email",
    name="email",
    template="email_step",
    ways=(NextStep(), OnEvent(Event.ERROR, _on_error, Unhandled.CONTINUES)),
    waits=Waits.SERVICE,
    expressions=lambda step: (step.to, step.subject, step.body),
)
TRANSFER: StepKind[ast.Transfer] = StepKind(
    ast.Transfer,
    keyword="transfer",
    name="transfer",
    template="transfer_step",
    ways=(CallOver(), OnEvent(Event.ERROR, _on_error, Unhandled.ENDS_CALL)),
    waits=Waits.CALLER,
    expressions=lambda step: _present(step.to, step.say),
    needs_caller=True,
)
END: StepKind[ast.End] = StepKind(
    ast.End,
    keyword="end",
    name="end",
    template="end_step",
    ways=(CallOver(),),
    waits=Waits.CALLER,
    expressions=lambda step: _present(step.text),
    needs_caller=True,
)
EXIT: StepKind[ast.Exit] = StepKind(
    ast.Exit,
    keyword="exit",
    name="exit",
    template="exit_step",
    ways=(ExitAction(lambda step: step.output),),
    waits=Waits.NOTHING,
    expressions=lambda step: _values(step.args),
)

STEP_KINDS: tuple[StepKind[Any], ...] = (
    TALK, COLLECT, REQUEST, RUN, CODE, SET, IF, JUMP, SEND_SMS, SEND_EMAIL, TRANSFER, END, EXIT,
)
_BY_NODE: dict[type[ast.Step], StepKind[Any]] = {kind.node: kind for kind in STEP_KINDS}


def kind_of(step: ast.Step) -> StepKind[Any]:
    return _BY_NODE[type(step)]


def assigned_variable(step: ast.Step) -> ast.Ident | None:
    """The variable the step assigns, if it assigns one."""
    assigns = kind_of(step).assigns
    return assigns.variable(step) if assigns is not None else None


def targets_of(step: ast.Step) -> Iterator[tuple[ast.Target, ast.Handler | None]]:
    """Every `-> T` the step holds, with the handler it belongs to (None for an if or jump)."""
    for way in kind_of(step).ways:
        match way:
            case Goto():
                yield way.target(step), None
            case OnEvent():
                handler = way.own(step)
                if handler is not None:
                    yield handler.target, handler
            case ActionOutputs():
                for handler in way.handlers(step):
                    yield handler.target, handler
            case _:
                pass
