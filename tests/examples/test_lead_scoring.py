"""examples/leads.py, the Python function behind lead_capture.flow's `code` step."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_leads() -> ModuleType:
    spec = importlib.util.spec_from_file_location("leads", EXAMPLES / "leads.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


leads = load_leads()
TIMELINES = st.sampled_from(["this month", "this quarter", "just exploring", "no idea"])
AMOUNTS = st.floats(allow_nan=True, allow_infinity=True)


def test_known_leads() -> None:
    assert leads.score_lead(200, 20_000, "this month", True) == 100
    assert leads.score_lead(50, 5_000, "this month", True) == 89
    assert leads.score_lead(3, 100, "just exploring", False) == 24
    assert leads.score_lead(0, 0, "someday", False) == 0


@given(AMOUNTS, AMOUNTS, TIMELINES, st.booleans())
def test_the_score_is_a_whole_number_from_0_to_100(
    team: float, budget: float, timeline: str, decides: bool
) -> None:
    score = leads.score_lead(team, budget, timeline, decides)
    assert 0 <= score <= 100 and score == int(score)


@given(st.floats(0, 1e9), st.floats(0, 1e9), st.floats(0, 1e9), TIMELINES, st.booleans())
def test_a_bigger_budget_never_lowers_the_score(
    team: float, budget: float, extra: float, timeline: str, decides: bool
) -> None:
    lower = leads.score_lead(team, budget, timeline, decides)
    assert leads.score_lead(team, budget + extra, timeline, decides) >= lower
