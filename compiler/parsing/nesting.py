"""The nesting limit of expressions and types, checked without recursion.

Later passes walk the AST recursively; the parser itself keeps its own stack,
so it reads any depth, and refuses what nests past MAX_NESTING before a
recursive pass could meet it.
"""

from __future__ import annotations

from .. import ast
from ..source import Span
from ..walk import children

MAX_NESTING = 64
"""Deepest expression or type accepted."""


def too_deep(root: ast.Expr | ast.TypeExpr) -> Span | None:
    """The span of a node nested deeper than MAX_NESTING under `root`, if any."""
    pending: list[tuple[ast.Expr | ast.TypeExpr, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            return node.span
        pending.extend((child, depth + 1) for child in _children(node))
    return None


def _children(node: ast.Expr | ast.TypeExpr) -> tuple[ast.Expr | ast.TypeExpr, ...]:
    match node:
        case ast.ListType():
            return (node.element,)
        case ast.RecordType():
            return tuple(f.type for f in node.fields)
        case ast.NamedType():
            return ()
        case _:
            return children(node)
