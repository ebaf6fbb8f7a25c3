"""Coverage: which steps and edges of each flow and action the tests took, out of all.

The edges are the checker's (the flow graph of each body in the model); they
are never derived again here. A test's event log says which step ran
(`step` events, by file and line) in which body (`action_entered` and
`action_left` bracket an action, `intent_heard` leaves the actions it names),
and what happened in it (`no_answer`, a failed request, code, message or
transfer, the output an action left through, the intent heard). Following a
step to the next one in the same body, or out of the body, picks the edge of
the step that goes there, the event deciding between edges that go to the same
place (`on no_answer -> next` and the answer, an intent).

Each edge never taken is named with the shortest path (breadth first) from the
body's first step to it, as the steps and edges a test would have to take.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flowc_runtime.events import Event

from .. import ast
from ..checker.model import BodyModel
from ..graph import BodyKind, Destination, Edge, EdgeKind, FlowGraph, Leave, Stop
from ..steps import assigned_variable, kind_of
from .programs import Program

FAILURES = ("request_failed", "code_failed", "message_failed", "transfer_failed")
# A body's place in the coverage, stable across builds: (file, kind, name).
BodyKey = tuple[str, str, str]
# Whether an edge's destination is where the call went.
_Destination = Callable[[Destination], bool]


@dataclass
class _Frame:
    model: BodyModel | None
    pending: int | None = None
    evidence: set[str] = field(default_factory=set)
    left_through: str | None = None


@dataclass
class BodyCoverage:
    model: BodyModel
    steps: set[int] = field(default_factory=set)
    edges: set[tuple[int, int]] = field(default_factory=set)  # (step, position in its edges)

    @property
    def graph(self) -> FlowGraph:
        return self.model.graph


@dataclass
class Coverage:
    bodies: dict[BodyKey, BodyCoverage] = field(default_factory=dict)

    def add_program(self, program: Program) -> None:
        """Every body of the program counts, taken or not."""
        for model in program.build.check.model.bodies.values():
            self.bodies.setdefault(_key(model), BodyCoverage(model))

    def add_run(self, program: Program, events: Iterable[Event]) -> None:
        self.add_program(program)
        _Follower(self, program).follow(events)

    def taken(self, model: BodyModel) -> BodyCoverage:
        return self.bodies[_key(model)]


def _key(model: BodyModel) -> BodyKey:
    body = model.body
    return (body.span.file, str(body.kind), body.name)


class _Follower:
    """Walks one test's events, marking the steps and edges taken."""

    def __init__(self, coverage: Coverage, program: Program) -> None:
        self.coverage = coverage
        self.program = program
        self.frames: list[_Frame] = [_Frame(None)]
        self.after_call: _Frame | None = None

    def follow(self, events: Iterable[Event]) -> None:
        for event in events:
            kind = event["event"]
            if kind == "step":
                self._step(event)
            elif kind == "action_entered":
                self.frames.append(_Frame(None))
            elif kind == "action_left":
                self._action_left(str(event["output"]))
            elif kind == "intent_heard":
                self._intent_heard(event)
            elif kind == "no_answer":
                self._current().evidence.add("no_answer")
            elif kind in FAILURES:
                self._current().evidence.add("error")
            elif kind == "call_ended":
                self._call_ended(str(event["outcome"]))

    def _current(self) -> _Frame:
        return self.after_call or self.frames[-1]

    def _step(self, event: Event) -> None:
        file, line = event["file"], event["line"]
        assert isinstance(file, str) and isinstance(line, int)
        places = self.program.steps.at(file, line)
        if not places:
            return  # the harness of an action under test
        frame = self._current()
        place = next((p for p in places if p[0] is frame.model), None)
        if place is None:
            place = self._first_of_body(places)
            if place[0].body.kind is BodyKind.AFTER_CALL:
                self.after_call = frame = _Frame(place[0])
            else:
                frame.model = place[0]
        model, index = place
        if frame.pending is not None:
            self._take(frame, lambda d: d == index)
        frame.pending, frame.evidence = index, set()
        self.coverage.taken(model).steps.add(index)

    def _first_of_body(self, places: list[tuple[BodyModel, int]]) -> tuple[BodyModel, int]:
        """A body entered: the place that is its first step (an action, or `after call`)."""
        return next((p for p in places if p[1] == 0), places[0])

    def _action_left(self, output: str) -> None:
        frame = self.frames.pop() if len(self.frames) > 1 else self.frames[-1]
        if frame.pending is not None:
            self._take(frame, lambda d: isinstance(d, Leave) and d.output.name.name == output)
        self.frames[-1].left_through = output

    def _intent_heard(self, event: Event) -> None:
        """The actions the intent left are over, none through an output; the body of the
        intent takes its intent edge (at a collect, or at the run of those actions)."""
        left = event["left"]
        for _ in left if isinstance(left, list) else ():
            if len(self.frames) > 1:
                self.frames.pop()
        self._current().evidence.add(f"intent {event['intent']}")

    def _call_ended(self, outcome: str) -> None:
        if outcome in ("ended", "transferred"):
            self._take(self.frames[0], self._out_of(self.frames[0]))
        if self.after_call is not None:
            self._take(self.after_call, self._out_of(self.after_call))

    def _out_of(self, frame: _Frame) -> _Destination:
        end = frame.model.graph.end if frame.model is not None else -1
        return lambda d: isinstance(d, Stop) or d == end

    def _take(self, frame: _Frame, goes_there: _Destination) -> None:
        if frame.model is None or frame.pending is None:
            return
        edges = frame.model.graph.successors[frame.pending]
        candidates = [(i, e) for i, e in enumerate(edges) if goes_there(e.destination)]
        chosen = _by_evidence(candidates, frame)
        if chosen is not None:
            self.coverage.taken(frame.model).edges.add((frame.pending, chosen))
        frame.pending, frame.left_through = None, None


PLAIN = (EdgeKind.NEXT, EdgeKind.JUMP, EdgeKind.BRANCH)
SIGNALS = (("no_answer", EdgeKind.NO_ANSWER), ("error", EdgeKind.ERROR))


def _by_evidence(candidates: list[tuple[int, Edge]], frame: _Frame) -> int | None:
    """The edge among those to the same place that the step's events point at."""
    intent = next((i for i, e in candidates if e.kind is EdgeKind.INTENT
                   and isinstance(e.clause, ast.Intent)
                   and f"intent {e.clause.name.name}" in frame.evidence), None)
    if intent is not None:
        return intent
    left = frame.left_through
    if left is not None:
        return _first(candidates, lambda e: e.kind is EdgeKind.OUTPUT
                      and e.output is not None and e.output.name.name == left)
    for signal, kind in SIGNALS:
        found = next((i for i, e in candidates if e.kind is kind), None)
        if signal in frame.evidence and found is not None:
            return found
    # A failure nobody handles goes on to the next step (a send) or ends the call (a
    # transfer); the latter is not the step's own way to the end.
    failed = "error" in frame.evidence
    return _first(candidates, lambda e: e.kind in PLAIN
                  and not (failed and isinstance(e.destination, Stop)))


def _first(candidates: list[tuple[int, Edge]], wanted: Callable[[Edge], bool]) -> int | None:
    return next((i for i, e in candidates if wanted(e)), None)


# --------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Untaken:
    """An edge never taken; `path`: the steps from the start to it, () if none reaches it."""

    line: int
    description: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class BodyReport:
    kind: str
    name: str
    file: str
    steps_taken: int
    steps: int
    edges_taken: int
    edges: int
    untaken: tuple[Untaken, ...]


def report(coverage: Coverage) -> list[BodyReport]:
    reports = []
    for key in sorted(coverage.bodies):
        taken = coverage.bodies[key]
        graph = taken.graph
        all_edges = [(s, i) for s, edges in enumerate(graph.successors) for i in range(len(edges))]
        untaken = tuple(
            _untaken(graph, s, i) for s, i in all_edges if (s, i) not in taken.edges
        )
        reports.append(
            BodyReport(
                kind=key[1], name=key[2], file=key[0],
                steps_taken=len(taken.steps), steps=len(graph.body.steps),
                edges_taken=len(all_edges) - len(untaken), edges=len(all_edges),
                untaken=untaken,
            )
        )
    return reports


def _untaken(graph: FlowGraph, step: int, position: int) -> Untaken:
    edge = graph.successors[step][position]
    path = shortest_path(graph, step)
    return Untaken(
        graph.body.steps[step].span.line,
        describe_edge(graph, edge),
        describe_path(graph, path, step) if path is not None else (),
    )


def shortest_path(graph: FlowGraph, step: int) -> list[Edge] | None:
    """The fewest edges from the body's first step to `step` (breadth first); None when
    no path reaches it (the checker warns of such steps, W0101)."""
    came_by: dict[int, Edge | None] = {0: None}
    queue = deque([0])
    while queue:
        node = queue.popleft()
        if node == step:
            break
        if node >= len(graph.successors):
            continue
        for edge in graph.successors[node]:
            target = edge.destination
            if isinstance(target, int) and target not in came_by:
                came_by[target] = edge
                queue.append(target)
    if step not in came_by:
        return None
    path: list[Edge] = []
    node = step
    while (hop := came_by.get(node)) is not None:
        path.append(hop)
        node = hop.source
    return list(reversed(path))


def describe_step(graph: FlowGraph, index: int) -> str:
    step = graph.body.steps[index]
    variable = assigned_variable(step)
    named = f" {variable.name}" if variable is not None else ""
    return f"line {step.span.line} {kind_of(step).keyword}{named}"


def describe_edge(graph: FlowGraph, edge: Edge) -> str:
    """`line 26 request slots: on error -> exit Fail`: the step and the way out of it."""
    return f"{describe_step(graph, edge.source)}: {_way(graph, edge)} {_destination(graph, edge)}"


def describe_path(graph: FlowGraph, path: list[Edge], last: int) -> tuple[str, ...]:
    """Each step of a path, the way it was left in brackets unless it is the plain next:
    `line 37 if (false)`, `line 26 request slots (on error)`; then the step `last`."""
    hops = []
    for edge in path:
        way = _way(graph, edge)
        plain = edge.kind is EdgeKind.NEXT and way == "then"
        shown = way.removesuffix(" ->").removesuffix(", then").removeprefix("if ")
        hops.append(describe_step(graph, edge.source) + ("" if plain else f" ({shown})"))
    return (*hops, describe_step(graph, last))


def _way(graph: FlowGraph, edge: Edge) -> str:
    if edge.kind is EdgeKind.OUTPUT:
        return f"on {edge.output.name.name if edge.output is not None else '?'} ->"
    if isinstance(edge.clause, ast.Intent):
        return f"on intent {edge.clause.name.name} ->"
    if edge.kind is EdgeKind.NEXT and isinstance(graph.body.steps[edge.source], ast.If):
        return "if false, then"
    return {
        EdgeKind.NEXT: "then",
        EdgeKind.JUMP: "->",
        EdgeKind.BRANCH: "if true ->",
        EdgeKind.NO_ANSWER: "on no_answer ->",
        EdgeKind.ERROR: "on error ->",
    }[edge.kind]


def _destination(graph: FlowGraph, edge: Edge) -> str:
    target = edge.destination
    if isinstance(target, Leave):
        return f"exit {target.output.name.name}"
    if isinstance(target, Stop):
        return "the call's end"
    if target >= len(graph.body.steps):
        return "the end of the block"
    return describe_step(graph, target)


def render_human(reports: list[BodyReport]) -> str:
    steps = sum(r.steps for r in reports), sum(r.steps_taken for r in reports)
    edges = sum(r.edges for r in reports), sum(r.edges_taken for r in reports)
    lines = [f"coverage: {edges[1]} of {edges[0]} edges, {steps[1]} of {steps[0]} steps"]
    for r in reports:
        lines.append(
            f"  {r.kind} {r.name} ({r.file}): steps {r.steps_taken}/{r.steps}, "
            f"edges {r.edges_taken}/{r.edges}"
        )
        for untaken in r.untaken:
            lines.append(f"    never taken: {untaken.description}")
            route = " -> ".join(untaken.path) or "none: no path from the start reaches it"
            lines.append(f"      shortest path: {route}")
    return "\n".join(lines) + "\n"


def render_json(reports: list[BodyReport]) -> str:
    document = {
        "bodies": [
            {
                "kind": r.kind,
                "name": r.name,
                "file": r.file,
                "steps": {"taken": r.steps_taken, "total": r.steps},
                "edges": {"taken": r.edges_taken, "total": r.edges},
                "untaken": [
                    {"line": u.line, "edge": u.description, "shortest_path": list(u.path)}
                    for u in r.untaken
                ],
            }
            for r in reports
        ],
        "edges": {"taken": sum(r.edges_taken for r in reports),
                  "total": sum(r.edges for r in reports)},
        "steps": {"taken": sum(r.steps_taken for r in reports),
                  "total": sum(r.steps for r in reports)},
    }
    return json.dumps(document, indent=2)
