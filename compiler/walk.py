"""Walking expressions: the one place that knows which sub-expressions each kind holds.

`children(expr)` is written once, as a match over the AST's expression classes
(mypy checks that it covers them all); `walk(expr)` visits an expression and
everything inside it, and `module_expressions(module)` yields every expression
a module evaluates when it runs, so an analysis over a whole program is a
filter over their walks.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ast
from .steps import kind_of, targets_of


def children(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    """The expressions directly inside `expr`, left to right."""
    match expr:
        case ast.StringLit():
            return tuple(part.expr for part in expr.parts if isinstance(part, ast.TemplatePart))
        case ast.ListLit():
            return expr.items
        case ast.RecordLit():
            return tuple(item.value for item in expr.fields)
        case ast.FieldAccess():
            return (expr.target,)
        case ast.IndexAccess():
            return (expr.target, expr.index)
        case ast.FunctionCall():
            return expr.args
        case ast.Compare() | ast.Logic() | ast.Fallback() | ast.Arithmetic():
            return (expr.left, expr.right)
        case ast.Not() | ast.Negative():
            return (expr.operand,)
        case ast.Formatted():
            return (expr.value,)
        case (
            ast.NumberLit() | ast.BoolLit() | ast.DurationLit() | ast.MomentLit() | ast.Clock()
            | ast.Name() | ast.EnvRef()
        ):  # fmt: skip
            return ()


def walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    """`expr` and every expression inside it, in source order (each before its parts).

    A loop with its own stack: nesting is bounded by the parser, but a walk should
    not depend on that to stay within Python's recursion limit.
    """
    pending = [expr]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(children(node)))


def module_expressions(module: ast.Module) -> Iterator[ast.Expr]:
    """Every expression the module evaluates at run time: input defaults, what each step
    holds, and the arguments of targets (`-> Fail(reason = ...)`). Meta values, import
    paths, input labels and intent phrases are plain text, never evaluated."""
    for action in module.actions:
        yield from (item.default for item in action.inputs if item.default is not None)
    decls: tuple[ast.Action | ast.Flow, ...] = (*module.actions, *module.flows)
    for decl in decls:
        steps = decl.steps
        if isinstance(decl, ast.Flow) and decl.after_call is not None:
            steps += decl.after_call.steps
        targets = [handler.target for handler in decl.handlers]
        targets += (intent.target for intent in decl.intents)
        for step in steps:
            yield from kind_of(step).expressions(step)
            targets += (target for target, _ in targets_of(step))
        yield from (arg.value for target in targets for arg in target.args or ())
