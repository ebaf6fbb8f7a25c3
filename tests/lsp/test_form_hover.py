"""Hover over a field of a form (compiler/lsp_features.py): where the record declares
it, in an `ask` or a `given {...}`, and read as `order.size`, it shows the field's type
and options, its form and its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc.lsp_analysis import Analysis
from flowc.lsp_features import hover
from flowc.lsp_positions import Point
from flowc.pipeline import check_files

FLOW = """\
flow Order {
  on no_answer -> lost
  collect order: {size: text in ["small", "large"], count: number}
    prompt "What would you like?"
    ask size "Which size?"
    ask count "How many?"
    given {size: "large"}
  end "{{order.count}} {{order.size}}, coming up."
  lost: end "Sorry."
}
"""
SIZE = (
    '```flow\norder.size: text in ["small", "large"]\n```\n\n'
    "a field of the form 'collect order', line 3; asked \"Which size?\" when missing"
)


def hover_at(tmp_path: Path, needle: str, offset: int) -> str | None:
    path = str(tmp_path / "order.flow")
    analysis = Analysis(path, 1, check_files([path], {path: FLOW}))
    before = FLOW[: FLOW.index(needle) + offset]
    point = Point(before.count("\n") + 1, len(before) - before.rfind("\n"))
    found = hover(analysis, point)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("needle", "offset"),
    [("{size:", 2), ("ask size", 5), ("given {size", 8), ("order.size}}", 7)],
)
def test_hover_over_a_form_field_shows_its_type_options_and_prompt(
    tmp_path: Path, needle: str, offset: int
) -> None:
    assert hover_at(tmp_path, needle, offset) == SIZE


def test_hover_over_a_field_without_options_shows_its_type(tmp_path: Path) -> None:
    found = hover_at(tmp_path, "{{order.count", 9)
    assert found is not None and found.startswith("```flow\norder.count: number\n```")
