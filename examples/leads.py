"""Lead scoring for examples/lead_capture.flow, called from its `code` step.

The flow declares it as

    python leads.score_lead(team_size: number, monthly_budget: number,
                            timeline: text, decides: bool) -> number

so the generated module imports this file as `leads`; mypy checks the
declaration against the signature below.
"""

from __future__ import annotations

import math

# Points for how soon the caller wants to start; the keys are the flow's choice options.
TIMELINE_POINTS = {"this month": 30.0, "this quarter": 20.0, "just exploring": 5.0}
DECIDER_POINTS = 15.0
# Teams of about 200 seats and budgets of about $20,000 a month earn the full share.
TEAM_POINTS, FULL_TEAM = 25.0, 200.0
BUDGET_POINTS, FULL_BUDGET = 30.0, 20_000.0


def _share(value: float, full: float, points: float) -> float:
    """Points for `value` on a log scale: 1 earns nothing, `full` or more earns all of them."""
    if math.isnan(value) or value <= 1:
        return 0.0
    return points * min(1.0, math.log(value) / math.log(full))


def score_lead(team_size: float, monthly_budget: float, timeline: str, decides: bool) -> float:
    """A 0-100 score: how likely the lead is to buy soon, rounded to a whole number."""
    score = (
        _share(team_size, FULL_TEAM, TEAM_POINTS)
        + _share(monthly_budget, FULL_BUDGET, BUDGET_POINTS)
        + TIMELINE_POINTS.get(timeline.strip().lower(), 0.0)
        + (DECIDER_POINTS if decides else 0.0)
    )
    return float(round(score))
