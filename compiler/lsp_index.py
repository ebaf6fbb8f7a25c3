"""Where every name of a checked program is declared and used: the index behind hover,
go to definition, find references, rename and semantic tokens.

Nothing is resolved here: the index reads what the checker recorded in the
model (each body's flow graph with its resolved targets, its variables and
their types, the action each `run` uses, the `python` declaration each `code`
calls) and the AST's spans. A symbol is known by the place that declares it,
so the same declaration seen by two analyses (two open files importing one
library) is one symbol.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from . import ast
from .checker.model import BodyModel, Model, Variable
from .graph import Body, BodyKind, Edge, Leave
from .loader import Program
from .lsp_positions import Point, contains
from .resolve import ActionRef
from .source import Span
from .steps import assigned_variable, kind_of, targets_of
from .walk import walk


class SymbolKind(StrEnum):
    ACTION = "action"
    FLOW = "flow"
    LABEL = "label"
    VARIABLE = "variable"
    OUTPUT = "output"
    PYTHON = "python function"


@dataclass(frozen=True, slots=True)
class Symbol:
    kind: SymbolKind
    name: str
    declared_at: Span  # the name in its declaration: the symbol's identity


@dataclass(frozen=True, slots=True)
class Occurrence:
    span: Span
    symbol: Symbol
    is_declaration: bool


@dataclass
class Index:
    """Every occurrence of every symbol in the program's files, by file in source order."""

    by_file: dict[str, list[Occurrence]] = field(default_factory=dict)
    # What the checker knows of each symbol, for hover.
    variables: dict[Symbol, Variable] = field(default_factory=dict)
    actions: dict[Symbol, ActionRef] = field(default_factory=dict)
    outputs: dict[Symbol, tuple[ast.Action, ast.Output]] = field(default_factory=dict)
    pythons: dict[Symbol, ast.PythonDecl] = field(default_factory=dict)
    flows: dict[Symbol, ast.Flow] = field(default_factory=dict)
    label_bodies: dict[Symbol, str] = field(default_factory=dict)  # "flow 'Main'"

    def at(self, path: str, point: Point) -> Occurrence | None:
        """The occurrence under the cursor, if there is one."""
        occurrences = self.by_file.get(path, [])
        keys = [(o.span.line, o.span.column) for o in occurrences]
        i = bisect.bisect_right(keys, (point.line, point.column))
        # A cursor just past a name still names it; the occurrence starting there wins.
        for candidate in occurrences[max(0, i - 2) : i][::-1]:
            if contains(candidate.span, point):
                return candidate
        return None

    def occurrences_of(self, symbol: Symbol) -> Iterator[Occurrence]:
        for occurrences in self.by_file.values():
            yield from (o for o in occurrences if o.symbol == symbol)


def build_index(program: Program, model: Model) -> Index:
    builder = _Builder(model)
    for module in program.modules.values():
        builder.add_module(program, module)
    for body_model in model.bodies.values():
        builder.add_body(body_model)
    index = builder.index
    for occurrences in index.by_file.values():
        occurrences.sort(key=lambda o: (o.span.line, o.span.column))
    return index


class _Builder:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.index = Index()

    def add(self, span: Span, symbol: Symbol, is_declaration: bool = False) -> None:
        self.index.by_file.setdefault(span.file, []).append(
            Occurrence(span, symbol, is_declaration)
        )

    # -- top level: declarations and imports

    def add_module(self, program: Program, module: ast.Module) -> None:
        for decl in module.declarations:
            match decl:
                case ast.Action():
                    self.add(decl.name.span, self.action(ActionRef(module.path, decl)), True)
                    for output in decl.outputs:
                        self.add(output.name.span, self.output(decl, output), True)
                case ast.Flow():
                    symbol = Symbol(SymbolKind.FLOW, decl.name.name, decl.name.span)
                    self.index.flows[symbol] = decl
                    self.add(decl.name.span, symbol, True)
                case ast.PythonDecl():
                    self.add(decl.function.span, self.python(decl), True)
                case ast.FileImport() | ast.PackageImport():
                    self.add_import(program, decl)

    def add_import(self, program: Program, imp: ast.Import) -> None:
        modules = [
            program.modules[t] for t in program.import_targets.get(imp, ()) if t in program.modules
        ]
        for name in imp.names:
            found = next(
                (
                    ActionRef(m.path, a)
                    for m in modules
                    for a in m.actions
                    if a.name.name == name.name
                ),
                None,
            )
            if found is not None:
                self.add(name.span, self.action(found))

    def action(self, ref: ActionRef) -> Symbol:
        symbol = Symbol(SymbolKind.ACTION, ref.name, ref.action.name.span)
        self.index.actions[symbol] = ref
        return symbol

    def output(self, action: ast.Action, output: ast.Output) -> Symbol:
        symbol = Symbol(SymbolKind.OUTPUT, output.name.name, output.name.span)
        self.index.outputs[symbol] = (action, output)
        return symbol

    def python(self, decl: ast.PythonDecl) -> Symbol:
        symbol = Symbol(
            SymbolKind.PYTHON, f"{decl.module}.{decl.function.name}", decl.function.span
        )
        self.index.pythons[symbol] = decl
        return symbol

    # -- bodies: labels, variables, outputs taken, actions run

    def add_body(self, body_model: BodyModel) -> None:
        body = body_model.body
        graph = body_model.graph
        labels: dict[str, Symbol] = {}
        for step in body.steps:
            for label in step.labels:
                symbol = labels.setdefault(
                    label.name, Symbol(SymbolKind.LABEL, label.name, label.span)
                )
                self.index.label_bodies[symbol] = body.describe()
                self.add(label.span, symbol, symbol.declared_at == label.span)
        for target, destination in graph.targets.items():
            if isinstance(destination, int) and target.name.name in labels:
                self.add(target.name.span, labels[target.name.name])
            elif isinstance(destination, Leave) and isinstance(body.owner, ast.Action):
                self.add(target.name.span, self.output(body.owner, destination.output))
        variables = {name: self.variable(v) for name, v in body_model.variables.items()}
        if body.kind is BodyKind.ACTION and isinstance(body.owner, ast.Action):
            self.add_inputs(body.owner, variables)
        # The targets of the default handlers and intents read variables too.
        top = [handler.target for handler in body.handlers] + [i.target for i in body.intents]
        self.add_reads([arg.value for target in top for arg in target.args or ()], variables)
        for step, edges in zip(body.steps, graph.successors, strict=True):
            self.add_step(step, variables)
            self.add_outputs_taken(body, step, edges)

    def add_inputs(self, action: ast.Action, variables: dict[str, Symbol]) -> None:
        for item in action.inputs:
            symbol = variables.get(item.name.name)
            if symbol is not None:
                self.add(item.name.span, symbol, symbol.declared_at == item.name.span)
            if item.default is not None:
                self.add_reads([item.default], variables)

    def variable(self, variable: Variable) -> Symbol:
        symbol = Symbol(SymbolKind.VARIABLE, variable.name, variable.span)
        self.index.variables[symbol] = variable
        return symbol

    def add_step(self, step: ast.Step, variables: dict[str, Symbol]) -> None:
        assigned = assigned_variable(step)
        if assigned is not None and assigned.name in variables:
            symbol = variables[assigned.name]
            self.add(assigned.span, symbol, symbol.declared_at == assigned.span)
        expressions = list(kind_of(step).expressions(step))
        expressions += [arg.value for target, _ in targets_of(step) for arg in target.args or ()]
        self.add_reads(expressions, variables)
        match step:
            case ast.Run():
                self.add_run(step)
            case ast.Code():
                decl = self.model.python_calls.get(step)
                if decl is not None:
                    self.add(step.function.span, self.python(decl))
            case _:
                pass

    def add_reads(self, expressions: list[ast.Expr], variables: dict[str, Symbol]) -> None:
        """The variables the expressions read, at every depth (walk.py knows every kind)."""
        for expr in expressions:
            for node in walk(expr):
                if isinstance(node, ast.Name) and node.ident.name in variables:
                    self.add(node.ident.span, variables[node.ident.name])

    def add_run(self, run: ast.Run) -> None:
        ref = self.model.run_actions.get(run)
        if ref is None:
            return
        self.add(run.action.span, self.action(ref))
        inputs = {i.name.name: i for i in ref.action.inputs}
        for arg in run.args:
            declared = inputs.get(arg.name.name)
            if declared is not None:
                symbol = Symbol(SymbolKind.VARIABLE, arg.name.name, declared.name.span)
                self.add(arg.name.span, symbol)

    def add_outputs_taken(self, body: Body, step: ast.Step, edges: tuple[Edge, ...]) -> None:
        """The outputs the step's edges follow: a run's `on Out ->`, an action's `exit Out`."""
        for edge in edges:
            if isinstance(step, ast.Run) and isinstance(edge.clause, ast.Handler) and edge.output:
                ref = self.model.run_actions.get(step)
                if ref is not None:
                    self.add(edge.clause.event.span, self.output(ref.action, edge.output))
            elif isinstance(step, ast.Exit) and isinstance(edge.destination, Leave):
                assert isinstance(body.owner, ast.Action), "only an action has outputs to leave by"
                self.add(step.output.span, self.output(body.owner, edge.destination.output))
