"""The types the checker records in the model (BodyModel.types), which code generation
reads instead of typing expressions again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc import ast
from flowc import types as ty
from flowc.checker import analyze
from flowc.checker.model import ByNode, Model
from flowc.loader import load_program
from flowc.source import Span
from flowc.steps import kind_of, targets_of
from flowc.walk import walk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def check(tmp_path: Path, text: str) -> tuple[ast.Flow, Model]:
    path = tmp_path / "main.flow"
    path.write_text(text, encoding="utf-8")
    analysis = analyze(load_program([str(path)]))
    assert analysis.diagnostics == ()
    [flow] = [key for key in analysis.model.bodies if isinstance(key, ast.Flow)]
    return flow, analysis.model


def body_roots(body: ast.Action | ast.Flow | ast.AfterCall) -> list[ast.Expr]:
    """The expressions a body uses, as roots (each typed with everything inside it)."""
    roots: list[ast.Expr] = []
    if isinstance(body, ast.Action):
        roots += (item.default for item in body.inputs if item.default is not None)
    targets = [h.target for h in body.handlers] if not isinstance(body, ast.AfterCall) else []
    for step in body.steps:
        for expr in kind_of(step).expressions(step):
            # Typed by their items and parts: a collect's options and request entry keys.
            is_options = isinstance(step, ast.Collect) and expr is step.options
            roots += children_of(expr) if is_options or is_entry_key(step, expr) else [expr]
        targets += (target for target, _ in targets_of(step))
    return roots + [arg.value for target in targets for arg in target.args or ()]


def children_of(expr: ast.Expr) -> list[ast.Expr]:
    if isinstance(expr, ast.ListLit):
        return list(expr.items)
    assert isinstance(expr, ast.StringLit)
    return [part.expr for part in expr.parts if isinstance(part, ast.TemplatePart)]


def is_entry_key(step: ast.Step, expr: ast.Expr) -> bool:
    if not isinstance(step, ast.Request):
        return False
    return any(expr is e.key for e in (*step.headers, *step.query, *(step.body or ())))


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.flow")), ids=lambda p: p.relative_to(EXAMPLES).as_posix()
)
def test_every_expression_of_every_body_has_a_type(path: Path) -> None:
    analysis = analyze(load_program([str(path)]))
    for body, model in analysis.model.bodies.items():
        for root in body_roots(body):
            for node in walk(root):
                assert node in model.types, (node.span, type(node).__name__)


def test_types_are_the_checkers(tmp_path: Path) -> None:
    flow, model = check(
        tmp_path,
        """flow F {
  on no_answer -> bye
  collect day: date
    prompt "Which day?"
  talk "On {{day ?? "no day"}} at {{call.started_at}}, for {{env("KEY") as number}}."
  bye:
  end
}
""",
    )
    types = model.bodies[flow].types
    talk = flow.steps[1]
    assert isinstance(talk, ast.Talk) and isinstance(talk.text, ast.StringLit)
    parts = [p.expr for p in talk.text.parts if isinstance(p, ast.TemplatePart)]
    fallback, started, env = parts
    assert isinstance(fallback, ast.Fallback)
    # In a template both sides of `??` are just rendered: the whole is a text.
    assert (types[fallback], types[fallback.left], types[fallback.right]) == (
        ty.TEXT, ty.DATE, ty.TEXT,
    )
    assert isinstance(started, ast.FieldAccess)
    assert (types[started], types[started.target]) == (ty.DATETIME, ty.CALL)
    assert types[env] == ty.NUMBER
    assert types[talk.text] == ty.TEXT


def test_a_request_sends_either_side_of_a_fallback_as_it_is(tmp_path: Path) -> None:
    """`"dob": birthday ?? ""` sends a date or an empty text: the JSON of a body holds
    either, so the two sides may differ there (and only there: E0505 elsewhere); so may
    the items of a list (E0544 elsewhere)."""
    flow, model = check(
        tmp_path,
        """flow F {
  on no_answer -> save
  on error -> bye
  collect birthday: date
    prompt "Your date of birth?"
  save:
  request saved = POST "https://crm.example/people"
    body {"dob": birthday ?? "", "year": birthday ?? 0, "tags": [1, "vip"]}
  bye:
  end
}
""",
    )
    request = flow.steps[1]
    assert isinstance(request, ast.Request) and request.body is not None
    types = model.bodies[flow].types
    assert [types[entry.value] for entry in request.body] == [
        ty.JSON, ty.JSON, ty.ListOf(ty.JSON),  # a mixed list is JSON there, E0544 elsewhere
    ]


def test_a_read_before_its_set_is_json_while_checking_and_then_the_sets_type(
    tmp_path: Path,
) -> None:
    flow, model = check(
        tmp_path,
        """flow F {
  on no_answer -> bye
  collect day: date
    prompt "Which day?"
  -> first

  again:
  talk "Still {{later ?? "no day"}}."
  end

  first:
  set later = day
  -> again

  bye:
  end
}
""",
    )
    talk = flow.steps[2]
    assert isinstance(talk, ast.Talk) and isinstance(talk.text, ast.StringLit)
    [fallback] = [p.expr for p in talk.text.parts if isinstance(p, ast.TemplatePart)]
    assert isinstance(fallback, ast.Fallback)
    assert model.bodies[flow].types[fallback.left] == ty.DATE


def test_the_model_finds_nodes_by_identity() -> None:
    at = Span("main.flow", 1, 1, 1, 2)
    same, equal = ast.Name(ast.Ident("x", at), at), ast.Name(ast.Ident("x", at), at)
    found: ByNode[ast.Expr, ty.Type] = ByNode([(same, ty.TEXT)])
    assert same == equal
    assert found[same] == ty.TEXT and same in found
    assert equal not in found and len(found) == 1 and list(found) == [same]
