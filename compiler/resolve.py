"""Program-wide names: what each module declares and imports, and what each `run` uses.

This pass sees the whole program (every loaded module) and answers, for every
module, "which action, flow or python callable does this name mean?". It
reports duplicate declarations, imported names that do not exist, `run`s of
unknown actions or of flows, and actions that run themselves (directly or
through a chain). Names inside bodies (variables, labels, outputs) are the
checker's business.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from . import ast, codes
from .diagnostics import Diagnostic, Fix, Note, did_you_mean, error, rename_fix, warning
from .loader import Program
from .source import Span


@dataclass(frozen=True, slots=True, eq=False)
class ActionRef:
    """An action and the module (source path) that declares it."""

    module: str
    action: ast.Action

    @property
    def name(self) -> str:
        return self.action.name.name

    # Identity is the declaration's place: hashing the whole action tree on every
    # lookup would make the checker's dictionaries cost as much as the program.
    def _key(self) -> tuple[str, Span]:
        return (self.module, self.action.span)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActionRef) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True, slots=True)
class FlowRef:
    module: str
    flow: ast.Flow


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A name whose declaration cannot be known: it comes from a file that did not
    parse or was not found, or it was already reported. Uses are not checked further,
    so that one mistake gives one error."""


UNRESOLVED = Unresolved()

Symbol = ActionRef | FlowRef | Unresolved


@dataclass
class ModuleScope:
    """The top-level names visible in one module: its own declarations and its imports."""

    path: str
    symbols: dict[str, Symbol] = field(default_factory=dict)
    declared_at: dict[str, Span] = field(default_factory=dict)
    pythons: dict[tuple[str, str], ast.PythonDecl] = field(default_factory=dict)
    imported: dict[str, ast.Ident] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)


@dataclass
class Resolution:
    scopes: dict[str, ModuleScope]
    # What each `run` refers to; UNRESOLVED when that was already reported.
    run_actions: dict[ast.Run, Symbol]
    diagnostics: list[Diagnostic]


def resolve_program(program: Program, checked: frozenset[str]) -> Resolution:
    """Build the module scopes of the `checked` modules and resolve every `run` in them."""
    diagnostics: list[Diagnostic] = []
    scopes = {path: _declare(program.modules[path], diagnostics) for path in sorted(checked)}
    for path, scope in scopes.items():
        _import_names(program, program.modules[path], scope, checked, diagnostics)
    run_actions: dict[ast.Run, Symbol] = {}
    for path, scope in scopes.items():
        for run in _runs(program.modules[path]):
            run_actions[run] = _lookup_run(run, scope, program, diagnostics)
    diagnostics.extend(_recursion(scopes, program, run_actions))
    diagnostics.extend(_unused_imports(scopes))
    return Resolution(scopes, run_actions, diagnostics)


def _declare(module: ast.Module, diagnostics: list[Diagnostic]) -> ModuleScope:
    scope = ModuleScope(module.path)
    for decl in module.declarations:
        if isinstance(decl, ast.Action | ast.Flow):
            symbol: Symbol = (
                ActionRef(module.path, decl)
                if isinstance(decl, ast.Action)
                else FlowRef(module.path, decl)
            )
            _define(scope, decl.name, symbol, diagnostics)
        elif isinstance(decl, ast.PythonDecl):
            key = (decl.module, decl.function.name)
            if key in scope.pythons:
                earlier = scope.pythons[key]
                diagnostics.append(
                    error(
                        codes.DUPLICATE_DECLARATION,
                        decl.span,
                        f"'{decl.module}.{decl.function.name}' is declared twice",
                        notes=[Note("first declared here", earlier.span)],
                        help="remove one of the two declarations",
                    )
                )
            else:
                scope.pythons[key] = decl
    return scope


def _define(scope: ModuleScope, name: ast.Ident, symbol: Symbol, out: list[Diagnostic]) -> bool:
    """Bind the name in the module; False (and reported) when it is already bound."""
    bound = scope.declared_at.get(name.name)
    if bound is None:
        scope.symbols[name.name] = symbol
        scope.declared_at[name.name] = name.span
        return True
    # Declarations are bound before imports, so the one bound first may come later
    # in the text: the report goes to whichever the reader meets second.
    first, second = sorted((bound, name.span), key=lambda span: (span.line, span.column))
    out.append(
        error(
            codes.DUPLICATE_DECLARATION,
            second,
            f"the name '{name.name}' is declared twice in this file",
            notes=[Note(f"'{name.name}' first declared here", first)],
            help="rename one of them; actions and flows of one file share one namespace",
        )
    )
    return False


def _import_names(
    program: Program,
    module: ast.Module,
    scope: ModuleScope,
    checked: frozenset[str],
    diagnostics: list[Diagnostic],
) -> None:
    for imp in module.imports:
        targets = program.import_targets.get(imp, ())
        readable = [program.modules[t] for t in targets if t in program.modules]
        # A missing file (E0201/E0202) or one with syntax errors: names are unknowable.
        knowable = bool(targets) and all(t in checked for t in targets)
        for name in imp.names:
            symbol = _find_exported(name, imp, readable, knowable, diagnostics)
            # A name that clashes is already reported: not also as an unused import.
            if _define(scope, name, symbol, diagnostics) and isinstance(symbol, ActionRef):
                scope.imported[name.name] = name


def _find_exported(
    name: ast.Ident,
    imp: ast.Import,
    modules: list[ast.Module],
    knowable: bool,
    diagnostics: list[Diagnostic],
) -> Symbol:
    for module in modules:
        for action in module.actions:
            if action.name.name == name.name:
                return ActionRef(module.path, action)
    if not knowable:
        return UNRESOLVED
    source = imp.path.plain_text if isinstance(imp, ast.FileImport) else imp.package
    flows = [f for m in modules for f in m.flows if f.name.name == name.name]
    if flows:
        diagnostics.append(
            error(
                codes.FLOW_AS_ACTION,
                name.span,
                f"'{name.name}' in '{source}' is a flow; only actions can be imported",
                notes=[Note(f"flow '{name.name}' declared here", flows[0].name.span)],
                help="turn it into an action (with outputs) to reuse it from another file",
            )
        )
        return UNRESOLVED
    available = [a.name.name for m in modules for a in m.actions]
    suggestion = did_you_mean(name.name, available)
    listing = ", ".join(sorted(available)) or "none"
    diagnostics.append(
        error(
            codes.IMPORTED_NAME_NOT_FOUND,
            name.span,
            f"'{source}' has no action named '{name.name}'",
            notes=[Note(f"actions in '{source}': {listing}")],
            help=f"did you mean '{suggestion}'?" if suggestion else None,
            fixes=rename_fix(name.span, name.name, suggestion, available),
        )
    )
    return UNRESOLVED


def _runs(module: ast.Module) -> Iterator[ast.Run]:
    for decl in module.declarations:
        if isinstance(decl, ast.Action | ast.Flow):
            yield from (s for s in decl.steps if isinstance(s, ast.Run))
        if isinstance(decl, ast.Flow) and decl.after_call is not None:
            yield from (s for s in decl.after_call.steps if isinstance(s, ast.Run))


def _lookup_run(
    run: ast.Run, scope: ModuleScope, program: Program, diagnostics: list[Diagnostic]
) -> Symbol:
    name = run.action.name
    symbol = scope.symbols.get(name)
    scope.used.add(name)
    if isinstance(symbol, FlowRef):
        diagnostics.append(
            error(
                codes.FLOW_AS_ACTION,
                run.action.span,
                f"'{name}' is a flow; only actions can be run",
                notes=[Note(f"flow '{name}' declared here", symbol.flow.name.span)],
                help="a flow is a whole call; move the shared steps into an action",
            )
        )
        return UNRESOLVED
    if symbol is not None:
        return symbol
    diagnostics.append(_unknown_action(run, scope, program))
    return UNRESOLVED


def _unknown_action(run: ast.Run, scope: ModuleScope, program: Program) -> Diagnostic:
    name = run.action.name
    elsewhere = sorted(
        path
        for path, module in program.modules.items()
        if path != scope.path and any(a.name.name == name for a in module.actions)
    )
    if elsewhere:
        relative = os.path.relpath(elsewhere[0], os.path.dirname(scope.path) or ".")
        hint: str | None = f'import it: from "{relative}" import {name}'
        fixes: tuple[Fix, ...] = ()
    else:
        actions = [n for n, s in scope.symbols.items() if isinstance(s, ActionRef | Unresolved)]
        suggestion = did_you_mean(name, actions)
        hint = f"did you mean '{suggestion}'?" if suggestion else None
        fixes = rename_fix(run.action.span, name, suggestion, actions)
        if suggestion:
            scope.used.add(suggestion)  # meant to be run: not also an unused import
    return error(
        codes.UNDEFINED_ACTION,
        run.action.span,
        f"'{name}' is not an action declared or imported in this file",
        help=hint,
        fixes=fixes,
    )


def _unused_imports(scopes: Mapping[str, ModuleScope]) -> list[Diagnostic]:
    return [
        warning(
            codes.IMPORT_NEVER_USED,
            name.span,
            f"'{name.name}' is imported but never run",
            help=f"remove '{name.name}' from the import",
        )
        for scope in scopes.values()
        for name in scope.imported.values()
        if name.name not in scope.used
    ]


def _recursion(
    scopes: Mapping[str, ModuleScope], program: Program, run_actions: Mapping[ast.Run, Symbol]
) -> list[Diagnostic]:
    """One diagnostic per cycle of actions running each other, found by depth-first search."""
    calls: dict[ActionRef, list[tuple[ast.Run, ActionRef]]] = {}
    for path in scopes:
        for action in program.modules[path].actions:
            ref = ActionRef(path, action)
            calls[ref] = [
                (s, target)
                for s in action.steps
                if isinstance(s, ast.Run) and isinstance(target := run_actions[s], ActionRef)
            ]
    diagnostics: list[Diagnostic] = []
    done: set[ActionRef] = set()
    for root in calls:
        if root not in done:
            _search_cycles(root, calls, done, diagnostics)
    return diagnostics


def _search_cycles(
    root: ActionRef,
    calls: Mapping[ActionRef, list[tuple[ast.Run, ActionRef]]],
    done: set[ActionRef],
    diagnostics: list[Diagnostic],
) -> None:
    # Iterative DFS: the explicit stack holds (action, index of its next call to follow).
    path: list[ActionRef] = [root]
    on_path = {root}
    cursor = [0]
    while path:
        current = path[-1]
        edges = calls.get(current, [])
        if cursor[-1] == len(edges):
            done.add(current)
            on_path.discard(current)
            path.pop()
            cursor.pop()
            continue
        run, target = edges[cursor[-1]]
        cursor[-1] += 1
        if target in on_path:
            cycle = [*path[path.index(target) :], target]
            diagnostics.append(_cycle_error(run, cycle))
        elif target not in done and target in calls:
            path.append(target)
            on_path.add(target)
            cursor.append(0)


def _cycle_error(run: ast.Run, cycle: list[ActionRef]) -> Diagnostic:
    shown = " -> ".join(ref.name for ref in cycle)
    first = cycle[0]
    message = (
        f"action '{first.name}' runs itself"
        if len(cycle) == 2
        else f"actions run each other in a cycle: {shown}"
    )
    return error(
        codes.RECURSIVE_ACTIONS,
        run.span,
        message,
        notes=[Note(f"'{first.name}' declared here", first.action.name.span)],
        help="actions cannot be recursive; repeat steps with a label and a jump instead",
    )
