"""The flow graph of one body: its steps as nodes and every way out of each step as an edge.

A body is the steps of an action, of a flow, or of a flow's `after call` block.
Node i is step i; node len(steps) means "past the last step" (falling off the
end). An edge says how control leaves a step: to the next step, along a jump,
along a handler (`on no_answer`, `on error`, `on Success`, ...), along a global
intent the caller says at a collect (or inside the action a `run` uses), out of
the action through an output, or out of the body for good (`end`, `transfer`).

A step's edges are its ways out as the step table (steps.py) lists them.
Building the graph resolves every jump target of the body (labels, and outputs
in actions) and reports targets that do not exist and ways out that nobody
connected (E0301-E0303), and checks the body's intents (E0131, E0132); later
analyses (paths, definite assignment, loops) only walk the edges, and code
generation follows them: the graph is the one place where a label, a default
handler, an intent or a target is resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flowc_runtime.intents import phrase_words

from . import ast, codes, steps
from .diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    Note,
    did_you_mean,
    error,
    rename_fix,
)
from .parsing.grammar import load_grammar
from .source import Span

# What a body's default handlers can catch.
EVENTS = tuple(event.value for event in steps.Event)


class BodyKind(StrEnum):
    ACTION = "action"
    FLOW = "flow"
    AFTER_CALL = "after call"


@dataclass(frozen=True, slots=True)
class Body:
    kind: BodyKind
    owner: ast.Action | ast.Flow
    steps: tuple[ast.Step, ...]
    # Default handlers (`on no_answer -> T`, `on error -> T` at the top of the body).
    handlers: tuple[ast.Handler, ...]
    # Global intents (`on intent NAME [...] -> T` at the top of the body).
    intents: tuple[ast.Intent, ...]
    span: Span
    # The node that stands for the body in the semantic model.
    node: ast.Action | ast.Flow | ast.AfterCall

    @property
    def name(self) -> str:
        return self.owner.name.name

    def describe(self) -> str:
        if self.kind is BodyKind.AFTER_CALL:
            return f"the 'after call' block of flow '{self.name}'"
        return f"{self.kind} '{self.name}'"


def bodies_of(decl: ast.Action | ast.Flow) -> tuple[Body, ...]:
    if isinstance(decl, ast.Action):
        return (
            Body(BodyKind.ACTION, decl, decl.steps, decl.handlers, decl.intents, decl.span, decl),
        )
    main = Body(BodyKind.FLOW, decl, decl.steps, decl.handlers, decl.intents, decl.span, decl)
    if decl.after_call is None:
        return (main,)
    after = decl.after_call
    return (main, Body(BodyKind.AFTER_CALL, decl, after.steps, (), (), after.span, after))


class EdgeKind(StrEnum):
    NEXT = "next"
    JUMP = "jump"
    BRANCH = "branch"
    OUTPUT = "output"
    NO_ANSWER = "no_answer"
    ERROR = "error"
    INTENT = "intent"


@dataclass(frozen=True, slots=True)
class Leave:
    """Leaving the action through one of its outputs."""

    output: ast.Output


@dataclass(frozen=True, slots=True)
class Stop:
    """The body is over: the call ended or was transferred, or `after call` stopped."""


STOP = Stop()

Destination = int | Leave | Stop


@dataclass(frozen=True, slots=True)
class Edge:
    kind: EdgeKind
    source: int
    destination: Destination
    # The source text that made the edge: a handler, an intent or a jump's target (None
    # for NEXT).
    clause: ast.Handler | ast.Intent | ast.Target | None = None
    # For OUTPUT edges of a `run`: the output of the action this edge follows.
    output: ast.Output | None = None


@dataclass(frozen=True)
class FlowGraph:
    body: Body
    successors: tuple[tuple[Edge, ...], ...]
    labels: Mapping[str, int]
    targets: Mapping[ast.Target, Destination]
    # False when some target could not be resolved: analyses that would only
    # repeat that mistake (unreachable steps, unused labels) stay quiet.
    complete: bool

    @property
    def end(self) -> int:
        """The node past the last step: an edge to it falls off the end of the body."""
        return len(self.body.steps)

    def predecessors(self) -> list[list[Edge]]:
        preds: list[list[Edge]] = [[] for _ in range(self.end + 1)]
        for edges in self.successors:
            for edge in edges:
                if isinstance(edge.destination, int):
                    preds[edge.destination].append(edge)
        return preds


# What a `run` step's action declares as outputs; None when the action is unknown.
RunOutputs = Callable[[ast.Run], "tuple[ast.Output, ...] | None"]


# The body, other than this one, that declares a label (for "belongs to another body").
LabelOwner = Callable[[str], "Body | None"]

# Whether the action a `run` uses (at any depth) can hear its runner's intent of this name.
RunHears = Callable[[ast.Run, str], bool]


def build_graph(
    body: Body,
    run_outputs: RunOutputs,
    labels_elsewhere: LabelOwner,
    run_hears: RunHears,
) -> tuple[FlowGraph, list[Diagnostic]]:
    builder = _Builder(body, run_outputs, labels_elsewhere, run_hears)
    successors = tuple(builder.edges_of(i, step) for i, step in enumerate(body.steps))
    graph = FlowGraph(body, successors, builder.labels, builder.targets, builder.complete)
    return graph, builder.diagnostics


class _Builder:
    def __init__(
        self,
        body: Body,
        run_outputs: RunOutputs,
        labels_elsewhere: LabelOwner,
        run_hears: RunHears,
    ) -> None:
        self.body = body
        self.run_outputs = run_outputs
        self.labels_elsewhere = labels_elsewhere
        self.run_hears = run_hears
        self.diagnostics: list[Diagnostic] = []
        self.targets: dict[ast.Target, Destination] = {}
        self._resolved: dict[ast.Target, Destination | None] = {}
        self._unknown_names: set[str] = set()
        self.complete = True
        self.outputs: dict[str, ast.Output] = (
            {o.name.name: o for o in body.owner.outputs}
            if isinstance(body.owner, ast.Action)
            else {}
        )
        self.defaults_broken = False
        self.labels = self._collect_labels()
        self.defaults = self._default_handlers()
        self.intents = self._declared_intents()

    # -- declarations -------------------------------------------------------

    def _collect_labels(self) -> dict[str, int]:
        labels: dict[str, int] = {}
        declared: dict[str, ast.Ident] = {}
        for index, step in enumerate(self.body.steps):
            for label in step.labels:
                if label.name in declared:
                    self.diagnostics.append(
                        error(
                            codes.DUPLICATE_LABEL,
                            label.span,
                            f"the label '{label.name}' is declared twice in "
                            f"{self.body.describe()}",
                            notes=[Note("first declared here", declared[label.name].span)],
                            help="rename one of them; every label of a body must be unique",
                        )
                    )
                    continue
                if label.name in self.outputs:
                    self.diagnostics.append(
                        error(
                            codes.LABEL_NAMED_LIKE_OUTPUT,
                            label.span,
                            f"the label '{label.name}' has the name of an output of "
                            f"action '{self.body.name}'",
                            notes=[Note("output declared here", self.outputs[label.name].span)],
                            help="rename the label: `-> NAME` could mean either",
                        )
                    )
                    self.complete = False
                declared[label.name] = label
                labels[label.name] = index
        return labels

    def _default_handlers(self) -> dict[str, ast.Handler]:
        defaults: dict[str, ast.Handler] = {}
        for handler in self.body.handlers:
            event = handler.event.name
            if event not in EVENTS:
                self.diagnostics.append(
                    error(
                        codes.UNKNOWN_DEFAULT_EVENT,
                        handler.event.span,
                        f"'{event}' is not an event a default handler can catch",
                        help=_event_help(event),
                        fixes=rename_fix(
                            handler.event.span, event, did_you_mean(event, EVENTS), EVENTS
                        ),
                    )
                )
                # The author meant some default: missing paths would only repeat this.
                self.defaults_broken = True
                self.complete = False
            elif event in defaults:
                self.diagnostics.append(_duplicate_handler(handler, defaults[event]))
            else:
                defaults[event] = handler
                self.resolve(handler.target)
        return defaults

    def _declared_intents(self) -> tuple[ast.Intent, ...]:
        """The body's intents, each name and each phrase once; their targets resolved."""
        intents: dict[str, ast.Intent] = {}
        phrases: dict[tuple[str, ...], tuple[ast.Intent, ast.StringLit]] = {}
        for intent in self.body.intents:
            first = intents.get(intent.name.name)
            if first is not None:
                self.diagnostics.append(_duplicate_intent(intent, first))
                continue
            intents[intent.name.name] = intent
            self.resolve(intent.target)
            for phrase in intent.phrases:
                key = _phrase_key(phrase.plain_text)
                if not key:
                    continue  # no words: E0031, when it was parsed
                if key in phrases:
                    self.diagnostics.append(_shared_phrase(intent, phrase, *phrases[key]))
                else:
                    phrases[key] = (intent, phrase)
        return tuple(intents.values())

    # -- edges ----------------------------------------------------------------

    def edges_of(self, index: int, step: ast.Step) -> tuple[Edge, ...]:
        """The step's edges: those of each of its ways out, in the order the step table
        lists them."""
        kind = steps.kind_of(step)
        edges: list[Edge] = []
        for way in kind.ways:
            edges += self._along(way, index, step, kind)
        return tuple(edges)

    def _along(
        self, way: steps.Way[Any], index: int, step: ast.Step, kind: steps.StepKind[Any]
    ) -> tuple[Edge, ...]:
        match way:
            case steps.NextStep():
                return (Edge(EdgeKind.NEXT, index, index + 1),)
            case steps.CallOver():
                return (Edge(EdgeKind.NEXT, index, STOP),)
            case steps.ExitAction():
                return (Edge(EdgeKind.NEXT, index, self._exit_destination(way.output(step))),)
            case steps.Goto():
                target = way.target(step)
                edge = EdgeKind.BRANCH if way.conditional else EdgeKind.JUMP
                return (self._to(edge, index, target, target),)
            case steps.OnEvent():
                return self._handled(way, index, step, kind)
            case steps.ActionOutputs():
                assert isinstance(step, ast.Run), "only a run takes the outputs of an action"
                return self._run_edges(index, step)
            case steps.HearsIntents():
                return self._intent_edges(way, index, step)

    def _intent_edges(
        self, way: steps.HearsIntents, index: int, step: ast.Step
    ) -> tuple[Edge, ...]:
        """An edge per intent the step can hear: all the body's at a collect; at a run, those
        the action can hear (it has no intent of that name and listens, at any depth)."""
        heard = [
            intent
            for intent in self.intents
            if not way.inside_action
            or (isinstance(step, ast.Run) and self.run_hears(step, intent.name.name))
        ]
        return tuple(self._to(EdgeKind.INTENT, index, i.target, i) for i in heard)

    def _handled(
        self, slot: steps.OnEvent[Any], index: int, step: ast.Step, kind: steps.StepKind[Any]
    ) -> tuple[Edge, ...]:
        """The edge of a handler slot: the step's own handler, else (when the table says
        so) the body's default for the event; without either, what the table says."""
        edge = EdgeKind(slot.event.value)
        handler = slot.own(step)
        if handler is None and slot.unhandled is steps.Unhandled.DEFAULT:
            handler = self.defaults.get(slot.event)
        if handler is not None:
            return (self._to(edge, index, handler.target, handler),)
        if slot.unhandled is not steps.Unhandled.DEFAULT:
            return ()  # nothing to follow: a failed send goes on, a failed transfer ends
        if self.body.kind is BodyKind.AFTER_CALL:
            # `after call` has no default handlers and often no later step to name: there
            # a failure is logged and the block goes on, as after a `send`. (A step that
            # needs the caller is an error there already, E0603.)
            return () if kind.needs_caller else (Edge(edge, index, index + 1),)
        if not self.defaults_broken:
            self.diagnostics.append(self._no_path(slot, step, kind))
        return ()

    def _no_path(
        self, slot: steps.OnEvent[Any], step: ast.Step, kind: steps.StepKind[Any]
    ) -> Diagnostic:
        variable = steps.assigned_variable(step)
        named = f"{kind.keyword} {variable.name}" if variable is not None else kind.keyword
        clause = f"on {slot.event} -> <label>"
        where = f"or a default at the top of {self.body.describe()}:\n  {clause}"
        if slot.event is steps.Event.NO_ANSWER:
            return error(
                codes.COLLECT_WITHOUT_NO_ANSWER,
                step.span,
                f"'{named}' has no path for when the caller does not answer",
                notes=[Note("after every attempt fails the call would have nowhere to go")],
                help=f"add a clause to the collect:\n    {clause}\n{where}",
                fixes=[_add_handlers(step, [slot.event.value], ())],
            )
        return error(
            codes.NO_ERROR_PATH,
            step.span,
            f"'{named}' has no path for when it fails",
            notes=[Note(f"{slot.failure} would strand the call")],
            help=f"add a clause to the step:\n    {clause}\n{where}",
        )

    def _run_edges(self, index: int, run: ast.Run) -> tuple[Edge, ...]:
        # A run in 'after call' is already an error (E0603): its outputs are not checked.
        outputs = None if self.body.kind is BodyKind.AFTER_CALL else self.run_outputs(run)
        by_event: dict[str, ast.Handler] = {}
        unknown: list[ast.Handler] = []
        for handler in run.handlers:
            event = handler.event.name
            if event in by_event:
                self.diagnostics.append(_duplicate_handler(handler, by_event[event]))
            elif outputs is not None and event not in {o.name.name for o in outputs}:
                unknown.append(handler)
            else:
                by_event[event] = handler
        if outputs is None:
            # Unknown action (already reported): follow its handlers, check nothing more.
            self.complete = False
            return tuple(
                self._to(EdgeKind.OUTPUT, index, h.target, h) for h in by_event.values()
            )
        edges = [
            self._to(EdgeKind.OUTPUT, index, by_event[o.name.name].target,
                     by_event[o.name.name], output=o)
            for o in outputs
            if o.name.name in by_event
        ]
        missing = [o for o in outputs if o.name.name not in by_event]
        for handler in unknown:
            meant = did_you_mean(handler.event.name, [o.name.name for o in missing])
            self.diagnostics.append(_unknown_run_output(run, handler, outputs, meant))
            # A misspelt output is one mistake: it is not also reported as unconnected.
            missing = [o for o in missing if o.name.name != meant]
        if missing:
            self.diagnostics.append(_unconnected(run, missing))
        return tuple(edges)

    def _exit_destination(self, name: ast.Ident) -> Destination:
        output = self.outputs.get(name.name)
        if output is not None:
            return Leave(output)
        if self.body.kind is BodyKind.ACTION:
            self.diagnostics.append(self._unknown_output(name))
            # Like an unresolved jump: "output never taken" would only echo the typo.
            self.complete = False
        # `exit` in a flow is reported by the checker (E0604).
        return STOP

    # -- targets ----------------------------------------------------------------

    def _to(
        self,
        kind: EdgeKind,
        index: int,
        target: ast.Target,
        clause: ast.Handler | ast.Intent | ast.Target,
        output: ast.Output | None = None,
    ) -> Edge:
        destination = self.resolve(target)
        if destination is None:
            # Unresolved (reported): the edge ends the path so that analyses continue.
            return Edge(kind, index, STOP, clause, output)
        return Edge(kind, index, destination, clause, output)

    def resolve(self, target: ast.Target) -> Destination | None:
        """Where a target goes; a default handler's target is resolved (and reported) once."""
        if target in self._resolved:
            return self._resolved[target]
        destination = self._resolve(target)
        self._resolved[target] = destination
        if destination is None:
            self.complete = False
        else:
            self.targets[target] = destination
        return destination

    def _resolve(self, target: ast.Target) -> Destination | None:
        name = target.name.name
        if target.args is None and name in self.labels:
            return self.labels[name]
        if name in self.outputs:
            return Leave(self.outputs[name])
        if target.args is not None:
            self.diagnostics.append(
                self._unknown_output(target.name)
                if self.body.kind is BodyKind.ACTION
                else _output_from_flow(target, self.body)
            )
            return None
        other = self.labels_elsewhere(name)
        if other is not None:
            self.diagnostics.append(self._foreign_label(target, other))
            return None
        if name not in self._unknown_names:
            # Like an undefined variable: one report per body, at the first jump.
            self._unknown_names.add(name)
            self.diagnostics.append(self._unknown_label(target))
        return None

    def _unknown_output(self, name: ast.Ident) -> Diagnostic:
        suggestion = did_you_mean(name.name, self.outputs)
        declared = ", ".join(self.outputs) or "none"
        return error(
            codes.UNDEFINED_OUTPUT,
            name.span,
            f"action '{self.body.name}' has no output named '{name.name}'",
            notes=[Note(f"its outputs: {declared}")],
            help=f"did you mean '{suggestion}'?" if suggestion else
            f"declare it: output {name.name}",
            fixes=rename_fix(name.span, name.name, suggestion, self.outputs),
        )

    def _unknown_label(self, target: ast.Target) -> Diagnostic:
        name = target.name.name
        candidates = [*self.labels, *self.outputs]
        suggestion = did_you_mean(name, candidates)
        if suggestion:
            hint: str | None = f"did you mean '{suggestion}'?"
        elif self.body.kind is not BodyKind.ACTION and name[:1].isupper():
            hint = "a flow has no outputs; jump to a label, or end the call with `end`"
        else:
            hint = f"put '{name}:' before the step the call should go to"
        what = "a label or an output" if self.body.kind is BodyKind.ACTION else "a label"
        return error(
            codes.UNDEFINED_LABEL,
            target.name.span,
            f"'{name}' is not {what} of {self.body.describe()}",
            help=hint,
            fixes=rename_fix(target.name.span, name, suggestion, candidates),
        )

    def _foreign_label(self, target: ast.Target, other: Body) -> Diagnostic:
        name = target.name.name
        if self.body.kind is BodyKind.ACTION:
            why = "an action can leave only through its outputs"
        else:
            why = "a flow's steps and its 'after call' block cannot jump into each other"
        return error(
            codes.JUMP_INTO_OTHER_BODY,
            target.name.span,
            f"the label '{name}' belongs to {other.describe()}, not to {self.body.describe()}",
            notes=[Note(why)],
            help="jump to a label of this body"
            + (", or leave through an output: -> OutputName"
               if self.body.kind is BodyKind.ACTION else ""),
        )


def _phrase_key(phrase: str) -> tuple[str, ...]:
    """A phrase as the runtime matches it: its words, case, punctuation and apostrophes
    aside ("Don't know!" is "dont know")."""
    return phrase_words(phrase)


def _duplicate_intent(intent: ast.Intent, first: ast.Intent) -> Diagnostic:
    name = intent.name.name
    return error(
        codes.DUPLICATE_INTENT,
        intent.name.span,
        f"the intent '{name}' is declared twice",
        notes=[Note("first declared here", first.name.span)],
        help=f"keep one 'on intent {name}', with the phrases of both",
    )


def _shared_phrase(
    intent: ast.Intent, phrase: ast.StringLit, first: ast.Intent, first_phrase: ast.StringLit
) -> Diagnostic:
    said = phrase.plain_text
    return error(
        codes.PHRASE_OF_TWO_INTENTS,
        phrase.span,
        f"the phrase \"{said}\" belongs to the intents '{first.name.name}' and "
        f"'{intent.name.name}'",
        notes=[Note(f"a phrase of '{first.name.name}' here", first_phrase.span)],
        help="a caller saying it could mean either: keep it in one of them",
    )


def _event_help(event: str) -> str:
    meant = did_you_mean(event, EVENTS)
    if meant:
        return f"did you mean '{meant}'?"
    return "a body's default handlers are `on no_answer -> T` and `on error -> T`"


def _duplicate_handler(handler: ast.Handler, first: ast.Handler) -> Diagnostic:
    event = handler.event.name
    return error(
        codes.DUPLICATE_HANDLER,
        handler.span,
        f"'on {event}' is handled twice",
        notes=[Note("first handled here", first.span)],
        help="keep one of the two handlers",
    )


def _unknown_run_output(
    run: ast.Run, handler: ast.Handler, outputs: tuple[ast.Output, ...], meant: str | None
) -> Diagnostic:
    names = [o.name.name for o in outputs]
    suggestion = meant or did_you_mean(handler.event.name, names)
    return error(
        codes.UNDEFINED_OUTPUT,
        handler.event.span,
        f"action '{run.action.name}' has no output named '{handler.event.name}'",
        notes=[Note(f"its outputs: {', '.join(names)}")],
        help=f"did you mean '{suggestion}'?" if suggestion else None,
        fixes=rename_fix(handler.event.span, handler.event.name, suggestion, names),
    )


def _unconnected(run: ast.Run, missing: list[ast.Output]) -> Diagnostic:
    names = [f"'{o.name.name}'" for o in missing]
    action = run.action.name
    if len(names) == 1:
        message = f"output path {names[0]} of '{run.var.name}' ({action}) is not connected"
    else:
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        message = f"output paths {listed} of '{run.var.name}' ({action}) are not connected"
    indent = " " * (run.span.column + 1)
    lines = "\n".join(f"{indent}on {o.name.name} -> <label>" for o in missing)
    return error(
        codes.OUTPUT_NOT_CONNECTED,
        run.span,
        message,
        notes=[Note(f"output '{o.name.name}' declared here", o.span) for o in missing],
        help=f"every output of {action} must lead somewhere; add to the run:\n{lines}",
        fixes=[_add_handlers(run, [o.name.name for o in missing], run.handlers)],
    )


def _add_handlers(step: ast.Step, events: list[str], handlers: tuple[ast.Handler, ...]) -> Fix:
    """Handlers for `events` written after the step, each to a placeholder label.

    Which step the call should go to is the author's decision, so this is only a
    suggestion: the label is named after the event (`on NotInterested -> not_interested`),
    and the check that follows reports it until a step carries that label.
    """
    column = handlers[0].span.column - 1 if handlers else step.span.column + 1
    clauses = [f"on {event} -> {_placeholder_label(event)}" for event in events]
    text = "".join(f"\n{' ' * column}{clause}" for clause in clauses)
    span = step.span
    end = Span(span.file, span.end_line, span.end_column, span.end_line, span.end_column)
    message = "add " + ", ".join(f"'{clause}'" for clause in clauses)
    return Fix(message, (Edit(end, text),), Applicability.SUGGESTION)


def _placeholder_label(event: str) -> str:
    """`NotInterested` -> `not_interested`: a label name that is no keyword."""
    label = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", event).lower()
    return f"{label}_step" if label in load_grammar().reserved else label


def _output_from_flow(target: ast.Target, body: Body) -> Diagnostic:
    return error(
        codes.OUTPUT_TARGET_IN_FLOW,
        target.span,
        f"{body.describe()} has no outputs; '-> {target.name.name}(...)' leaves an action",
        help="in a flow, jump to a label, or end the call with `end`",
    )
