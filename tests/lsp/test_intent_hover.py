"""Hover over a global intent's name (compiler/lsp_features.py): its phrases, its
target and where it is heard."""

from __future__ import annotations

from pathlib import Path

from flowc.lsp_analysis import Analysis
from flowc.lsp_features import hover
from flowc.lsp_positions import Point
from flowc.pipeline import check_files

FLOW = """\
action Refill {
  output Done
  output Stopped
  on intent cancel ["never mind"] -> Stopped
  collect number: text
    prompt "The number?"
    on no_answer -> Stopped
  exit Done
}

flow Pharmacy {
  on intent human ["a person", "operator"] -> person
  run r = Refill()
    on Done -> bye
    on Stopped -> bye
  person:
  transfer to "+15550001111"
  bye:
  end "Goodbye."
}
"""


def hover_at(tmp_path: Path, needle: str) -> tuple[str, int] | None:
    path = str(tmp_path / "pharmacy.flow")
    analysis = Analysis(path, 1, check_files([path], {path: FLOW}))
    before = FLOW[: FLOW.index(needle) + 1]
    point = Point(before.count("\n") + 1, len(before) - before.rfind("\n"))
    found = hover(analysis, point)
    return (found[0], found[1].column) if found else None


def test_hover_over_a_flow_intent_shows_its_phrases_target_and_reach(tmp_path: Path) -> None:
    found = hover_at(tmp_path, "human")
    assert found is not None
    text, column = found
    assert text.startswith('```flow\non intent human ["a person", "operator"] -> person\n```')
    assert "a global intent of flow `Pharmacy`" in text
    assert "the actions it runs" in text
    assert column == FLOW.splitlines()[11].index("human") + 1


def test_hover_over_an_action_intent_names_the_action(tmp_path: Path) -> None:
    found = hover_at(tmp_path, "cancel")
    assert found is not None and "a global intent of action `Refill`" in found[0]
    assert '["never mind"] -> Stopped' in found[0]
