"""Definite assignment: a forward "must" dataflow over one body's flow graph.

A fact is "variable v holds a value" or, for the variable of a `run`, "field f
of v holds a value" (`book.meeting_link` exists only after `on Success`). Facts
are bits of a Python int; a step's incoming set is the intersection over its
incoming edges, and a worklist iterates to the fixed point, loops included.
Each edge adds (gen) and removes (kill) facts:

- `collect`, `request`, `code`, `set`: their variable, on the edge to the next
  step only (not on no_answer / error edges);
- `run`: its variable and the fields of the output taken, on that output's
  edge; the fields of the other outputs are removed (a new run replaces them).

When a use lacks its fact, the explanation walks back along edges lacking it
to the first jump or handler on the way, which the message names.

A flow's `after call` block starts with the facts that hold wherever the call
can end: before every step where the caller can hang up or the call can be
ended or handed on (a step that waits on the caller or a service, a `run`,
whose action may), and at the end of the flow. So a variable the flow assigns
before anything can interrupt it (`set` as the very first step) holds a value
there; one a `collect` assigns does not, as the caller can hang up at its
question.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import ast, codes
from .. import types as ty
from ..diagnostics import Diagnostic, Note, error
from ..graph import Edge, EdgeKind, FlowGraph
from ..steps import Waits, assigned_variable, kind_of
from ..walk import walk
from .body import BodyFacts
from .expressions import Use
from .model import Variable
from .paths import reachable_steps


@dataclass(frozen=True, slots=True)
class _Facts:
    variable_bit: Mapping[str, int]
    field_bit: Mapping[tuple[str, str], int]
    all_bits: int


@dataclass(frozen=True, slots=True)
class WhenCallEnds:
    """What holds a value however the call ends: the facts an `after call` starts with."""

    variables: frozenset[str]
    # (variable, field) of a `run`'s result: `book.meeting_link`.
    fields: frozenset[tuple[str, str]]
    # For each variable that may have no value: the first step where the call can end
    # before it is assigned (None: only by falling off the end of the flow).
    ends_without: Mapping[str, ast.Step | None]


NOTHING_KNOWN = WhenCallEnds(frozenset(), frozenset(), {})


def check_assignment(
    graph: FlowGraph, body: BodyFacts, start: WhenCallEnds = NOTHING_KNOWN
) -> tuple[list[Diagnostic], WhenCallEnds]:
    """The body's reads of variables that may have no value, and what holds a value
    wherever the call can end in it (for the `after call` of a flow). `start` is what
    holds when the body begins: nothing, or for `after call` what the flow left."""
    facts = _number_facts(body.assigned, body.variables)
    transfer = {
        id(edge): _gen_kill(graph.body.steps[edge.source], edge, facts)
        for edges in graph.successors
        for edge in edges
    }
    incoming = _solve(graph, facts, transfer, _bits_of(start, facts))
    reporter = _Reporter(graph, facts, body, incoming, transfer, start)
    diagnostics = reporter.report(body.uses, body.handler_uses)
    return diagnostics, _when_call_ends(graph, facts, incoming, reporter.reached)


def _bits_of(known: WhenCallEnds, facts: _Facts) -> int:
    bits = 0
    for name in known.variables:
        bits |= facts.variable_bit.get(name, 0)
    for pair in known.fields:
        bits |= facts.field_bit.get(pair, 0)
    return bits


def _call_can_end_at(step: ast.Step) -> bool:
    """Whether the caller can hang up, or the call end, while the step runs: it waits,
    runs an action (which may), or computes something that can fault at run time."""
    waits = kind_of(step).waits is not Waits.NOTHING
    return waits or isinstance(step, ast.Run) or _may_fault(step)


def _may_fault(step: ast.Step) -> bool:
    """Whether evaluating the step's expressions can raise a run-time fault, which ends
    the call: arithmetic (division by zero, a json operand of the wrong kind), an index,
    len(), a format, an ordering or `in`, a typed env()."""
    return any(
        _can_fault(node) for expr in kind_of(step).expressions(step) for node in walk(expr)
    )


def _can_fault(expr: ast.Expr) -> bool:
    match expr:
        case ast.Arithmetic() | ast.Negative() | ast.IndexAccess() | ast.FunctionCall():
            return True
        case ast.Formatted():
            return True
        case ast.Compare():
            return expr.op not in (ast.CompareOp.EQ, ast.CompareOp.NE)
        case ast.EnvRef():
            return expr.as_type is not None
        case _:
            return False


def _when_call_ends(
    graph: FlowGraph, facts: _Facts, incoming: Sequence[int], reached: Sequence[bool]
) -> WhenCallEnds:
    known = incoming[graph.end]
    ends_without: dict[str, ast.Step | None] = {}
    for index, step in enumerate(graph.body.steps):
        if not (reached[index] and _call_can_end_at(step)):
            continue
        known &= incoming[index]
        for name, bit in facts.variable_bit.items():
            if not incoming[index] & bit:
                ends_without.setdefault(name, step)
    for name, bit in facts.variable_bit.items():
        if not known & bit:
            ends_without.setdefault(name, None)
    return WhenCallEnds(
        frozenset(name for name, bit in facts.variable_bit.items() if known & bit),
        frozenset(pair for pair, bit in facts.field_bit.items() if known & bit),
        ends_without,
    )


def _number_facts(assigned: Sequence[str], variables: Mapping[str, Variable]) -> _Facts:
    variable_bit: dict[str, int] = {}
    field_bit: dict[tuple[str, str], int] = {}
    for name in assigned:
        variable_bit[name] = 1 << (len(variable_bit) + len(field_bit))
        var_type = variables[name].type
        if isinstance(var_type, ty.RunResult):
            for field in var_type.field_names:
                field_bit[(name, field)] = 1 << (len(variable_bit) + len(field_bit))
    total = len(variable_bit) + len(field_bit)
    return _Facts(variable_bit, field_bit, (1 << total) - 1)


def _gen_kill(step: ast.Step, edge: Edge, facts: _Facts) -> tuple[int, int]:
    """The facts an edge adds and removes: what the step table says its step assigns."""
    assigns = kind_of(step).assigns
    if assigns is None:
        return 0, 0
    name = assigns.variable(step).name
    if assigns.per_output:
        return _output_taken(name, edge, facts) if edge.kind is EdgeKind.OUTPUT else (0, 0)
    return (facts.variable_bit.get(name, 0), 0) if edge.kind is EdgeKind.NEXT else (0, 0)


def _output_taken(name: str, edge: Edge, facts: _Facts) -> tuple[int, int]:
    """A `run` leaving through one output: its variable and that output's fields hold
    values; the fields only other outputs declare no longer do (a new run replaces them)."""
    gen = facts.variable_bit.get(name, 0)
    kill = 0
    taken = {f.name.name for f in edge.output.fields} if edge.output else set()
    for (owner, field), bit in facts.field_bit.items():
        if owner != name:
            continue
        if field in taken:
            gen |= bit
        else:
            kill |= bit
    return gen, kill


def _solve(
    graph: FlowGraph, facts: _Facts, transfer: Mapping[int, tuple[int, int]], start: int
) -> list[int]:
    """incoming[i]: the facts true on every path from the start to step i.

    Everything starts at "all facts" (the neutral element of the intersection),
    except the start, which has only `start`; unreachable steps keep "all" and so
    never narrow their successors.
    """
    incoming = [facts.all_bits] * (graph.end + 1)
    incoming[0] = start
    queue = deque(range(graph.end))
    queued = [True] * graph.end + [False]
    while queue:
        node = queue.popleft()
        queued[node] = False
        for edge in graph.successors[node]:
            dest = edge.destination
            if not isinstance(dest, int) or dest == 0:
                continue  # nothing flows into the start: a body begins with nothing
            gen, kill = transfer[id(edge)]
            narrowed = incoming[dest] & ((incoming[node] & ~kill) | gen)
            if narrowed != incoming[dest]:
                incoming[dest] = narrowed
                if dest < graph.end and not queued[dest]:
                    queued[dest] = True
                    queue.append(dest)
    return incoming


class _Reporter:
    def __init__(
        self,
        graph: FlowGraph,
        facts: _Facts,
        body: BodyFacts,
        incoming: list[int],
        transfer: Mapping[int, tuple[int, int]],
        start: WhenCallEnds,
    ) -> None:
        self.graph = graph
        self.facts = facts
        self.variables = body.variables
        self.inherited = body.inherited
        self.start = start
        self.incoming = incoming
        self.transfer = transfer
        self.predecessors = graph.predecessors()
        self.reached = reachable_steps(graph)

    def report(
        self, uses: Sequence[Sequence[Use]], handler_uses: Sequence[Use]
    ) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        reported: set[str] = set()
        for index, step_uses in enumerate(uses):
            if not self.reached[index]:
                continue
            for use in step_uses:
                known = self._known_at(index, use.clause)
                found += self._check(index, use, known, reported)
            # A default handler's target arguments are read on every edge it makes.
            for edge in self.graph.successors[index]:
                for use in handler_uses:
                    if use.clause is edge.clause:
                        found += self._check(index, use, self._out(edge), reported)
        return found

    def _known_at(self, index: int, clause: ast.Handler | ast.Intent | None) -> int:
        """The facts where a use is read: before the step, or on its handler's edges."""
        if clause is None:
            return self.incoming[index]
        known = self.facts.all_bits
        for edge in self.graph.successors[index]:
            if edge.clause is clause:
                known &= self._out(edge)
        return known

    def _check(self, index: int, use: Use, known: int, reported: set[str]) -> list[Diagnostic]:
        if use.guarded or use.root in reported:
            return []
        bit = self.facts.variable_bit.get(use.root)
        if bit is None:
            return []  # an input, `call`, or an unknown name (reported elsewhere)
        if not known & bit:
            reported.add(use.root)
            return [self._unassigned(index, use, bit)]
        field_bit = self.facts.field_bit.get((use.root, use.field or ""))
        if field_bit is not None and not known & field_bit:
            reported.add(use.root)
            return [self._field_unassigned(index, use, field_bit)]
        return []

    def _culprit(self, index: int, use: Use, bit: int) -> Edge | None:
        """The first jump or handler on a path to the use along which `bit` is missing,
        walking backwards; None when the path leads back to the start of the body."""
        if use.clause is not None:
            # Read in a handler's target: that handler's own edge is the path.
            return next(
                (e for e in self.graph.successors[index]
                 if e.clause is use.clause and not self._out(e) & bit),
                None,
            )
        node = index
        visited = {node}
        while True:
            edge = next(
                (e for e in self.predecessors[node]
                 if self.reached[e.source] and not self._out(e) & bit),
                None,
            )
            if edge is None:
                return None
            if edge.kind is not EdgeKind.NEXT:
                return edge
            node = edge.source
            if node in visited:
                return None
            visited.add(node)

    def _out(self, edge: Edge) -> int:
        gen, kill = self.transfer[id(edge)]
        return (self.incoming[edge.source] & ~kill) | gen

    def _unassigned(self, index: int, use: Use, bit: int) -> Diagnostic:
        name = use.root
        var = self.variables[name]
        edge = self._culprit(index, use, bit)
        declared = Note(f"'{name}' is assigned here", var.span)
        step = self.graph.body.steps[index]
        if edge is not None and _assigns(step, name) and isinstance(edge.clause, ast.Intent):
            return error(
                codes.NOT_DEFINITELY_ASSIGNED,
                use.span,
                f"'{name}' has no value in {_describe(edge, self.graph)}, before '{name}' "
                "is assigned",
                notes=[declared],
                help=f"leave '{name}' out of the intent's target: on that path it never "
                "holds a value",
            )
        if edge is not None and _assigns(step, name) and use.clause is not None:
            # `request q = ... on error -> Fail(reason = q.why)`: the handler runs
            # because the step failed, so the step's own variable can never hold a value.
            return error(
                codes.NOT_DEFINITELY_ASSIGNED,
                use.span,
                f"'{name}' has no value in {_describe(edge, self.graph)}: the handler "
                f"runs when the '{kind_of(step).keyword}' at line {step.span.line} fails, "
                f"before '{name}' is assigned",
                notes=[declared],
                help=f"leave '{name}' out of the handler: on that path it never holds a "
                "value; say what failed instead",
            )
        if edge is not None:
            return error(
                codes.NOT_DEFINITELY_ASSIGNED,
                use.span,
                f"'{name}' is not assigned when the call reaches here through "
                f"{_describe(edge, self.graph)}",
                notes=[declared],
                help=f"assign '{name}' on that path too, or give a fallback: "
                f"`{_fallback_example(use)}`",
            )
        notes = [declared]
        if name in self.inherited:
            message = f"'{name}' may not be assigned when 'after call' runs: "
            ends_at = self.start.ends_without.get(name)
            if ends_at is None:
                message += "the call can end before it is"
            else:
                step_kind = kind_of(ends_at).keyword
                message += (f"the call can end at the '{step_kind}' at line "
                            f"{ends_at.span.line}, before it is")
                notes.append(Note(_how_the_call_ends_at(ends_at), ends_at.span))
        else:
            message = f"'{name}' is used before it is assigned on the way here from the start " \
                f"of {self.graph.body.describe()}"
        return error(
            codes.NOT_DEFINITELY_ASSIGNED,
            use.span,
            message,
            notes=notes,
            help=f"give a fallback: `{_fallback_example(use)}`",
        )

    def _field_unassigned(self, index: int, use: Use, bit: int) -> Diagnostic:
        var = self.variables[use.root]
        assert isinstance(var.type, ty.RunResult)
        field = use.field or ""
        owners = var.type.outputs_with(field)
        edge = self._culprit(index, use, bit)
        through = (
            f"; the call can reach here through {_describe(edge, self.graph)}"
            if edge is not None
            else ""
        )
        which = " or ".join(f"'{o}'" for o in owners)
        return error(
            codes.FIELD_FROM_OTHER_PATH,
            use.span,
            f"'{use.root}.{field}' is set only when '{use.root}' leaves {var.type.action} "
            f"through {which}{through}",
            notes=[Note(f"'{use.root}' is assigned here", var.span)],
            help=f"use it only on the {which} path, or give a fallback: "
            f"`{_fallback_example(use)}`",
        )


def _how_the_call_ends_at(step: ast.Step) -> str:
    if isinstance(step, ast.End):
        return "the call ends here"
    if isinstance(step, ast.Transfer):
        return "the call is handed on here"
    if isinstance(step, ast.Run):
        return "the call can end inside the action this runs"
    if kind_of(step).waits is Waits.NOTHING:
        return "a fault in what this computes ends the call"
    return "the caller can hang up here"


def _describe(edge: Edge, graph: FlowGraph) -> str:
    step = graph.body.steps[edge.source]
    clause = edge.clause
    if isinstance(clause, ast.Handler):
        return f"'on {clause.event.name} -> {clause.target.name.name}' (line {clause.span.line})"
    if isinstance(clause, ast.Intent):
        return (
            f"'on intent {clause.name.name} -> {clause.target.name.name}' "
            f"(line {clause.span.line}), taken {_when_said(clause, step)}"
        )
    if isinstance(clause, ast.Target):
        keyword = "if ... " if edge.kind is EdgeKind.BRANCH else ""
        return f"'{keyword}-> {clause.name.name}' (line {step.span.line})"
    if edge.kind is EdgeKind.ERROR:
        return f"the failure of the '{kind_of(step).keyword}' at line {step.span.line}"
    return f"the '{kind_of(step).keyword}' at line {step.span.line}"


def _when_said(intent: ast.Intent, step: ast.Step) -> str:
    """When an intent's edge from `step` is taken: its caller says it at the collect,
    or at a collect of the action the `run` runs."""
    where = "during" if isinstance(step, ast.Run) else "at"
    return (
        f"when the caller says the intent '{intent.name.name}' {where} the "
        f"'{kind_of(step).keyword}' at line {step.span.line}"
    )


def _assigns(step: ast.Step, name: str) -> bool:
    variable = assigned_variable(step)
    return variable is not None and variable.name == name


def _fallback_example(use: Use) -> str:
    return f'{{{{{use.path} ?? "..."}}}}' if use.in_template else f"{use.path} ?? <value>"
