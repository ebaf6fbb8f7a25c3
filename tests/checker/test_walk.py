"""The expression walker (flowc.walk): what `children` and `walk` visit, and that
`module_expressions` reaches every expression a module evaluates."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flowc import ast
from flowc.checker.expressions import names_read
from flowc.loader import load_program
from flowc.source import Span
from flowc.walk import children, module_expressions, walk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = Span("test.flow", 1, 1, 1, 2)


def name(text: str) -> ast.Name:
    return ast.Name(ast.Ident(text, AT), AT)


def test_walk_visits_each_node_before_its_parts_left_to_right() -> None:
    a, b, c, d = name("a"), name("b"), name("c"), name("d")
    field = ast.FieldAccess(b, ast.Ident("f", AT), AT)
    compare = ast.Compare(ast.CompareOp.EQ, a, ast.Fallback(field, c, AT), AT)
    string = ast.StringLit((ast.TextPart("x", AT), ast.TemplatePart(d, AT)), AT)
    expr = ast.Logic(ast.LogicOp.AND, compare, ast.Not(ast.ListLit((string,), AT), AT), AT)
    order = [type(node).__name__ for node in walk(expr)]
    assert order == [
        "Logic", "Compare", "Name", "Fallback", "FieldAccess", "Name", "Name",
        "Not", "ListLit", "StringLit", "Name",
    ]
    assert [n.ident.name for n in names_read(expr)] == ["a", "b", "c", "d"]
    assert children(string) == (d,)


def test_call_is_not_a_variable_read() -> None:
    caller = ast.FieldAccess(name("call"), ast.Ident("caller", AT), AT)
    assert list(names_read(caller)) == []


def test_walk_needs_no_recursion_for_deep_nesting() -> None:
    expr: ast.Expr = name("x")
    for _ in range(5000):
        expr = ast.Not(expr, AT)
    assert sum(1 for _ in walk(expr)) == 5001


def reflective_expressions(node: object, skip: tuple[type, ...]) -> list[ast.Expr]:
    """Every expression node under `node`, found by looking at every dataclass field (the
    oracle `module_expressions` and `walk` are checked against)."""
    found: list[ast.Expr] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple):
            pending.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, (Span, *skip)):
            if isinstance(item, ast.Expr):
                found.append(item)
            pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    return found


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.flow")), ids=lambda p: p.relative_to(EXAMPLES).as_posix()
)
def test_module_expressions_reach_every_evaluated_expression(path: Path) -> None:
    program = load_program([str(path)])
    for module in program.modules.values():
        walked = [node for root in module_expressions(module) for node in walk(root)]
        # Plain text and clause constants, never evaluated: meta values, import paths,
        # input labels, intent phrases, attempts, retries, timeouts and counts of digits.
        constant = [node for decl in module.declarations for node in _constants(decl)]
        expected = [
            node
            for node in reflective_expressions(module, (ast.Meta,))
            if not any(node is text for text in constant)
        ]
        assert sorted(map(id, walked)) == sorted(map(id, expected))


def _constants(decl: ast.Declaration) -> list[ast.Expr]:
    if isinstance(decl, ast.FileImport):
        return [decl.path]
    if not isinstance(decl, ast.Action | ast.Flow):
        return []
    steps = decl.steps + (decl.after_call.steps if isinstance(decl, ast.Flow)
                          and decl.after_call is not None else ())
    found: list[ast.Expr | None] = []
    for step in steps:
        if isinstance(step, ast.Collect):
            found += (step.attempts, step.timeout, step.digits)
        if isinstance(step, ast.Request):
            found += (step.retries, step.timeout)
    if isinstance(decl, ast.Action):
        found += (item.label for item in decl.inputs)
    found += (phrase for intent in decl.intents for phrase in intent.phrases)
    return [node for node in found if node is not None]
