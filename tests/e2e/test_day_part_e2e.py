"""A collect's `expect PART` end to end through `flowc run`: an hour said without
am/pm is read in the part of the day the collect expects, and what the caller
says about the part (am/pm, "in the morning") wins over it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from .core_cli import write_flow
from .test_collect_types_e2e import collected, run_logged, understood_on

DINNER = """
    flow Dinner {
      on no_answer -> lost
      collect table: time
        prompt "What time would you like your table tonight?"
        expect evening
      collect breakfast: time
        prompt "And breakfast tomorrow?"
        expect morning
      collect taxi: datetime
        prompt "When should the taxi come?"
        expect evening
      collect wake: time
        prompt "When shall we wake you?"
      talk "Table at {{table}}, breakfast at {{breakfast}}, wake-up at {{wake}}."
      end
      lost:
      end "Sorry, I did not get that."
    }
"""


def test_an_hour_without_am_pm_is_read_in_the_part_of_the_day_the_collect_expects(
    tmp_path: Path,
) -> None:
    flow = write_flow(tmp_path, "dinner.flow", DINNER)
    run, events = run_logged(flow, ["seven", "half past six", "tomorrow at eight thirty", "seven"])

    assert run.status == 0, run.stderr
    tomorrow = understood_on(events, "taxi") + timedelta(days=1)
    assert collected(events) == {
        "table": "19:00",
        "breakfast": "06:30",
        "taxi": f"{tomorrow.isoformat()}T20:30",
        # Without the clause "seven" is the morning.
        "wake": "07:00",
    }
    assert "agent: Table at 7 PM, breakfast at 6:30 AM, wake-up at 7 AM." in run.transcript


def test_what_the_caller_says_about_the_part_of_the_day_wins_over_the_collect(
    tmp_path: Path,
) -> None:
    flow = write_flow(tmp_path, "dinner.flow", DINNER)
    run, events = run_logged(flow, ["7 AM", "six in the evening", "tomorrow at 09:15", "nine"])

    assert run.status == 0, run.stderr
    tomorrow = understood_on(events, "taxi") + timedelta(days=1)
    assert collected(events) == {
        "table": "07:00",
        "breakfast": "18:00",
        "taxi": f"{tomorrow.isoformat()}T09:15",
        "wake": "09:00",
    }
