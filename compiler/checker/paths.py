"""Analyses of the paths through one body's flow graph.

Falling off the end (E0304), unreachable steps (W0101), outputs never taken
(W0102), labels never used (W0103) and loops that can repeat without a caller
turn (W0104). Each is one linear walk over the graph.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, error, warning
from ..graph import BodyKind, FlowGraph, Leave
from ..steps import Goto, kind_of

# Whether control passing through a step waits for the caller (a `collect`, or a
# `run` of an action that may ask something).
WaitsForCaller = Callable[[ast.Step], bool]


def reachable_steps(graph: FlowGraph) -> list[bool]:
    """reachable[i]: some path from the first step reaches node i (i == end: falls off)."""
    seen = [False] * (graph.end + 1)
    seen[0] = True
    stack = [0]
    while stack:
        node = stack.pop()
        if node == graph.end:
            continue
        for edge in graph.successors[node]:
            dest = edge.destination
            if isinstance(dest, int) and not seen[dest]:
                seen[dest] = True
                stack.append(dest)
    return seen


def check_paths(
    graph: FlowGraph, reachable: list[bool], waits: WaitsForCaller
) -> list[Diagnostic]:
    found = _fall_off(graph, reachable)
    if graph.complete:
        found += _unreachable(graph, reachable)
        found += _unused_labels(graph, reachable)
        found += _outputs_never_taken(graph)
    found += _busy_loops(graph, reachable, waits)
    return found


def _fall_off(graph: FlowGraph, reachable: list[bool]) -> list[Diagnostic]:
    body = graph.body
    if body.kind is BodyKind.AFTER_CALL or not reachable[graph.end]:
        return []
    if body.kind is BodyKind.ACTION:
        fix = "end the action with `exit OutputName`, or jump with `-> label`"
    else:
        fix = "end the flow with `end \"...\"` or `transfer to ...`, or jump with `-> label`"
    if not body.steps:
        message = f"{body.describe()} has no steps"
        return [error(codes.FALLS_OFF_END, body.owner.name.span, message, help=fix)]
    last = body.steps[-1]
    kind = kind_of(last)
    branches = any(isinstance(way, Goto) and way.conditional for way in kind.ways)
    when = " when its condition is false" if branches else ""
    return [
        error(
            codes.FALLS_OFF_END,
            last.span,
            f"the call can run past the end of {body.describe()} after this "
            f"'{kind.keyword}' (line {last.span.line}){when}",
            notes=[Note("after its last step a body must not simply stop: the caller "
                        "would be left in silence")],
            help=fix,
        )
    ]


def _unreachable(graph: FlowGraph, reachable: list[bool]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for index, step in enumerate(graph.body.steps):
        # One warning per run of unreachable steps: its first step.
        if reachable[index] or (index > 0 and not reachable[index - 1]):
            continue
        labels = ", ".join(f"'{label.name}'" for label in step.labels)
        why = f"nothing jumps to {labels}" if labels else "no step, jump or handler leads here"
        found.append(
            warning(
                codes.UNREACHABLE_STEP,
                step.span,
                f"this '{kind_of(step).keyword}' can never run",
                notes=[Note(why)],
                help="remove it, or put a label before it and jump to it"
                if not labels
                else "remove it, or jump to it",
            )
        )
    return found


def _unused_labels(graph: FlowGraph, reachable: list[bool]) -> list[Diagnostic]:
    """Labels nothing jumps to, on steps that run anyway (else W0101 says it all)."""
    used = {target.name.name for target, d in graph.targets.items() if isinstance(d, int)}
    found: list[Diagnostic] = []
    for step_index, step in enumerate(graph.body.steps):
        if not reachable[step_index]:
            continue
        for label in step.labels:
            if label.name not in used and graph.labels.get(label.name) == step_index:
                found.append(
                    warning(
                        codes.LABEL_NEVER_USED,
                        label.span,
                        f"the label '{label.name}' is never used",
                        help="remove it, or jump to it with `-> " + label.name + "`",
                    )
                )
    return found


def _outputs_never_taken(graph: FlowGraph) -> list[Diagnostic]:
    owner = graph.body.owner
    if not isinstance(owner, ast.Action):
        return []
    taken = {
        edge.destination.output.name.name
        for edges in graph.successors
        for edge in edges
        if isinstance(edge.destination, Leave)
    }
    return [
        warning(
            codes.OUTPUT_NEVER_TAKEN,
            output.name.span,
            f"action '{owner.name.name}' never leaves through its output '{output.name.name}'",
            notes=[Note("every run of the action must still connect it")],
            help=f"remove the output, or take it with `exit {output.name.name}`",
        )
        for output in owner.outputs
        if output.name.name not in taken
    ]


def _busy_loops(
    graph: FlowGraph, reachable: list[bool], waits: WaitsForCaller
) -> list[Diagnostic]:
    """Cycles of steps that never wait for the caller: strongly connected components of the
    graph without its waiting steps (iterative Tarjan)."""
    steps = graph.body.steps
    nodes = [i for i in range(len(steps)) if reachable[i] and not waits(steps[i])]
    allowed = set(nodes)

    def successors(node: int) -> list[int]:
        return [
            e.destination
            for e in graph.successors[node]
            if isinstance(e.destination, int) and e.destination in allowed
        ]

    found: list[Diagnostic] = []
    for component in _strongly_connected(nodes, successors):
        first = min(component)
        if len(component) == 1 and first not in successors(first):
            continue
        found.append(
            warning(
                codes.LOOP_WITHOUT_TURN,
                steps[first].span,
                "this loop can repeat forever without waiting for the caller",
                notes=[Note(_loop_lines([steps[i].span.line for i in sorted(component)]))],
                help="put a `collect` in the loop, or make sure a condition leaves it",
            )
        )
    return found


def _loop_lines(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"the loop is the step at line {lines[0]}, repeating itself"
    return f"the loop runs through lines {', '.join(map(str, lines))}"


def _strongly_connected(
    nodes: list[int], successors: Callable[[int], list[int]]
) -> list[list[int]]:
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[int, list[int], int]] = [(root, successors(root), 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, succ, position = work[-1]
            if position < len(succ):
                work[-1] = (node, succ, position + 1)
                nxt = succ[position]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, successors(nxt), 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components
