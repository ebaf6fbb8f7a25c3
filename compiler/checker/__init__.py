"""Semantic analysis of a whole program: `analyze(program) -> Analysis(diagnostics, model)`.

The passes, in order, each with one job:
1. resolve.py: top-level names across files (imports, `run` targets, recursion);
2. per body (an action, a flow, a flow's `after call`):
   graph.py builds the flow graph and resolves jump targets;
   intents.py checks where the body's global intents are heard;
   body.py types variables and expressions, checks arguments and secrets;
   paths.py walks the graph (falling off the end, unreachable steps, loops);
   assignment.py runs definite assignment over the graph.
Files with syntax errors are not analysed (their own errors say enough), and
names imported from them are not checked further.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import ast, codes
from ..codes import Phase
from ..diagnostics import Diagnostic
from ..graph import Body, BodyKind, bodies_of, build_graph
from ..loader import Program
from ..resolve import ActionRef, Resolution, resolve_program
from ..steps import Asks, assigned_variable, kind_of
from .assignment import NOTHING_KNOWN, WhenCallEnds, check_assignment
from .body import BodyChecker
from .intents import IntentReach, check_intents
from .meta import check_meta
from .model import BodyModel, ByNode, Model, Variable, VariableKind
from .paths import check_paths, reachable_steps
from .python_decls import PythonSources, check_python_decls

__all__ = ["Analysis", "BodyModel", "Model", "Variable", "VariableKind", "analyze"]


@dataclass(frozen=True)
class Analysis:
    diagnostics: tuple[Diagnostic, ...]
    model: Model


def analyze(program: Program) -> Analysis:
    # A file with syntax errors (or unreadable bytes) has no AST to analyse.
    broken = {
        d.span.file for d in program.diagnostics if codes.lookup(d.code).phase is Phase.SYNTAX
    }
    checked = frozenset(path for path in program.modules if path not in broken)
    resolution = resolve_program(program, checked)
    # `flowc run` puts the entry file's folder on sys.path for the `python` modules.
    entry_folders = [os.path.dirname(os.path.normpath(entry)) for entry in program.entries]
    analyzer = _Analyzer(resolution, PythonSources(entry_folders))
    for path in sorted(checked):
        analyzer.check_module(program.modules[path])
    model = Model(
        bodies=analyzer.bodies,
        run_actions=ByNode(
            (run, ref) for run, ref in analyzer.run_actions.items() if isinstance(ref, ActionRef)
        ),
        python_calls=analyzer.python_calls,
    )
    return Analysis(tuple(resolution.diagnostics + analyzer.diagnostics), model)


class _Analyzer:
    def __init__(self, resolution: Resolution, python_sources: PythonSources) -> None:
        self.resolution = resolution
        self.python_sources = python_sources
        self.diagnostics: list[Diagnostic] = []
        self.bodies: ByNode[ast.Action | ast.Flow | ast.AfterCall, BodyModel] = ByNode()
        self.python_calls: ByNode[ast.Code, ast.PythonDecl] = ByNode()
        # Which action (or other symbol) each `run` names, looked up by the step itself.
        self.run_actions = ByNode(resolution.run_actions.items())
        self.intent_reach = IntentReach(self.run_actions)
        self._asks: dict[ActionRef, bool] = {}

    def check_module(self, module: ast.Module) -> None:
        # Each declared once: a duplicate is E0109's, and checked as its first.
        pythons = self.resolution.scopes[module.path].pythons.values()
        self.diagnostics += check_python_decls(module, pythons, self.python_sources)
        grouped = [
            bodies_of(d) for d in module.declarations if isinstance(d, ast.Action | ast.Flow)
        ]
        bodies = [body for group in grouped for body in group]
        label_owner = _first_owner(bodies, _label_names)
        variable_owner = _first_owner(bodies, _assigned_names)
        for group in grouped:
            meta = group[0].owner.meta
            if meta is not None:
                self.diagnostics += check_meta(meta)
            # A flow's `after call` sees the flow's variables, holding a value or not
            # as the flow left them wherever the call can end.
            inherited: Mapping[str, Variable] = {}
            left = NOTHING_KNOWN
            for body in group:
                inherited, left = self._check_body(
                    module, body, inherited, left, label_owner, variable_owner
                )

    def _check_body(
        self,
        module: ast.Module,
        body: Body,
        inherited: Mapping[str, Variable],
        left: WhenCallEnds,
        label_owner: Callable[[str, Body], Body | None],
        variable_owner: Callable[[str, Body], Body | None],
    ) -> tuple[Mapping[str, Variable], WhenCallEnds]:
        resolution = self.resolution
        graph, found = build_graph(
            body,
            self._run_outputs,
            lambda name: label_owner(name, body),
            self.intent_reach.run_hears,
        )
        self.diagnostics += found
        self.diagnostics += check_intents(body, self.intent_reach)

        def elsewhere(name: str) -> str | None:
            other = variable_owner(name, body)
            return other.describe() if other is not None else None

        checker = BodyChecker(
            body, resolution.scopes[module.path], self.run_actions,
            inherited if body.kind is BodyKind.AFTER_CALL else {}, elsewhere,
        )
        facts = checker.check(graph.targets)
        self.diagnostics += checker.diagnostics
        for code, decl in checker.python_calls.items():
            self.python_calls.record(code, decl)
        self.diagnostics += check_paths(graph, reachable_steps(graph), self._waits)
        unassigned, when_call_ends = check_assignment(graph, facts, left)
        self.diagnostics += unassigned
        self.bodies.record(body.node, BodyModel(body, graph, facts.variables, facts.types))
        return facts.variables, when_call_ends

    def _run_outputs(self, run: ast.Run) -> tuple[ast.Output, ...] | None:
        ref = self.run_actions.get(run)
        return ref.action.outputs if isinstance(ref, ActionRef) else None

    def _waits(self, step: ast.Step) -> bool:
        """Whether the step gives the caller a turn: a collect, or a run of an action that asks."""
        asks = kind_of(step).asks
        if asks is Asks.IF_ITS_ACTION_ASKS:
            ref = self._action_run_by(step)
            return ref is not None and self._action_asks(ref)
        return asks is Asks.ALWAYS

    def _action_run_by(self, step: ast.Step) -> ActionRef | None:
        ref = self.run_actions.get(step) if isinstance(step, ast.Run) else None
        return ref if isinstance(ref, ActionRef) else None

    def _action_asks(self, ref: ActionRef) -> bool:
        """Whether the action, or one it runs at any depth, has a `collect`.

        A walk with its own stack, not recursion: a chain of actions may be longer
        than Python's recursion limit. Cycles (reported as recursion) are walked once.
        """
        if ref in self._asks:
            return self._asks[ref]
        seen = {ref}
        stack = [ref]
        while stack:
            for step in stack.pop().action.steps:
                if kind_of(step).asks is Asks.ALWAYS:
                    self._asks[ref] = True
                    return True
                target = self._action_run_by(step)
                if target is None or target in seen:
                    continue
                if self._asks.get(target) is True:
                    self._asks[ref] = True
                    return True
                seen.add(target)
                if target not in self._asks:  # a known False asks nothing further down
                    stack.append(target)
        # Nothing reachable from here asks, so nothing reachable from those does either.
        self._asks.update(dict.fromkeys(seen, False))
        return False


def _assigned_names(body: Body) -> list[str]:
    return [var.name for step in body.steps if (var := assigned_variable(step)) is not None]


def _label_names(body: Body) -> list[str]:
    return [label.name for step in body.steps for label in step.labels]


def _first_owner(
    bodies: list[Body], names_of: Callable[[Body], list[str]]
) -> Callable[[str, Body], Body | None]:
    """A lookup "which other body declares this name?" built in one pass over the module.

    A body of the same flow comes first: a label of the flow's steps named from its
    `after call` is that flow's, even when an action earlier in the file has one too.
    """
    owners: dict[str, list[Body]] = {}
    for body in bodies:
        for name in dict.fromkeys(names_of(body)):
            owners.setdefault(name, []).append(body)

    def lookup(name: str, current: Body) -> Body | None:
        others = [b for b in owners.get(name, ()) if b is not current]
        sibling = next((b for b in others if b.owner is current.owner), None)
        return sibling or next(iter(others), None)

    return lookup
