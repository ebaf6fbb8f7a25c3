"""Every `collect` type end to end through `flowc run` (LANGUAGE.md section 6):
what a caller may say, in words or keypad digits, becomes a typed value that
the agent says back in words and the event log records as JSON. Then how a
`collect` gives up: reprompts, `attempts N`, its own `on no_answer` against
the flow's default, and the caller hanging up in the middle of a question.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .core_cli import Run, flowc_run, write_flow

EVERY_TYPE = """
    flow Intake {
      on no_answer -> lost
      collect name: text
        prompt "Your name?"
      collect guests: number
        prompt "How many guests?"
      collect vegetarian: bool
        prompt "Vegetarian?"
      collect day: date
        prompt "Which day?"
      collect arrival: time
        prompt "What time?"
      collect reminder: datetime
        prompt "When should we remind you?"
      collect mobile: phone
        prompt "Your mobile number?"
      collect address: email
        prompt "Your email?"
      collect size: text in ["small", "medium", "large"]
        prompt "Which table size?"
      talk "{{name}}, {{guests}} guests, vegetarian {{vegetarian}}."
      talk "{{day}} at {{arrival}}; reminder {{reminder}}."
      talk "{{mobile}}, {{address}}, a {{size}} table."
      end
      lost:
      end "Sorry, I did not get that."
    }
"""


def run_logged(flow_file: Path, turns: list[str]) -> tuple[Run, list[dict[str, Any]]]:
    log = flow_file.parent / "events.jsonl"
    run = flowc_run(flow_file, turns, extra_args=("--log", str(log)))
    assert log.exists(), f"no event log; stderr: {run.stderr}"
    return run, [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def collected(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "variable_set"}


def understood_on(events: list[dict[str, Any]], name: str) -> date:
    (set_at,) = [e["at"] for e in events if e["event"] == "variable_set" and e["name"] == name]
    return datetime.fromisoformat(set_at).date()


def spoken_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def test_every_collect_type_understands_spoken_words(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "intake.flow", EVERY_TYPE)
    answers = [
        "Jane   Doe",
        "forty two",
        "yeah",
        "tomorrow",
        "2 PM",
        "tomorrow at half past nine in the morning",
        "five five five, one two three, four five six seven",
        "jane dot doe at example dot com",
        "a large one please",
    ]
    run, events = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    # "tomorrow" is relative to the call's clock (UTC) when the answer was
    # understood, which the event that sets the variable records.
    tomorrow = understood_on(events, "day") + timedelta(days=1)
    reminder_day = understood_on(events, "reminder") + timedelta(days=1)
    assert collected(events) == {
        "name": "Jane Doe",
        "guests": 42,
        "vegetarian": True,
        "day": tomorrow.isoformat(),
        "arrival": "14:00",
        "reminder": f"{reminder_day.isoformat()}T09:30",
        "mobile": "+15551234567",
        "address": "jane.doe@example.com",
        "size": "large",
    }
    assert run.transcript[-4:] == [
        "agent: Jane Doe, 42 guests, vegetarian yes.",
        f"agent: {spoken_date(tomorrow)} at 2 PM; reminder {spoken_date(reminder_day)} at 9:30 AM.",
        "agent: +15551234567, jane.doe@example.com, a large table.",
        "end: ended",
    ]


def test_every_collect_type_understands_figures_and_keypad_digits(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "intake.flow", EVERY_TYPE)
    answers = [
        "J. Doe",
        "1,200",
        "1",  # keypad 1 is yes
        "12/24/2030",
        "14:30",
        "March 14 2030 at 2 PM",
        "+44 20 7946 0000",
        "JDOE@EXAMPLE.ORG",
        "2",  # keypad 2 is the second option
    ]
    run, events = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    assert collected(events) == {
        "name": "J. Doe",
        "guests": 1200,
        "vegetarian": True,
        "day": "2030-12-24",
        "arrival": "14:30",
        "reminder": "2030-03-14T14:00",
        "mobile": "+442079460000",
        "address": "jdoe@example.org",
        "size": "medium",
    }
    assert run.transcript[-4:-1] == [
        "agent: J. Doe, 1200 guests, vegetarian yes.",
        "agent: Tuesday, December 24, 2030 at 2:30 PM; reminder Thursday, March 14, 2030 at 2 PM.",
        "agent: +442079460000, jdoe@example.org, a medium table.",
    ]


CALLBACK = """
    flow Callback {
      on no_answer -> gave_up
      collect guests: number
        prompt "How many people?"
        reprompt "Sorry, how many people? Please say a number."
        attempts 2
        on no_answer -> no_count
      talk "{{guests}} people."
      -> ask_phone
      no_count:
      talk "Let's skip that."
      ask_phone:
      collect callback: phone
        prompt "What number should we call back?"
      end "We'll call {{callback}}."
      gave_up:
      end "Please call again."

      after call {
        send email to "desk@flowc.example"
          subject "{{call.outcome}}: {{callback ?? "no number"}}"
          body "{{guests ?? "unknown"}} people"
      }
    }
"""


def test_attempts_and_reprompts_then_the_steps_own_no_answer_path(tmp_path: Path) -> None:
    """An answer that is not of the type and silence each use an attempt; after
    `attempts 2` the collect takes its own `on no_answer`, not the default. The
    next collect has no reprompt (its prompt is repeated) and the default three
    attempts, and is answered at the last one."""
    flow = write_flow(tmp_path, "callback.flow", CALLBACK)
    turns = ["purple", "", "", "lots", "five five five one two three four five six seven"]
    run, events = run_logged(flow, turns)

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: How many people?",
        "caller: purple",
        "agent: Sorry, how many people? Please say a number.",
        "caller: (silence)",
        "agent: Let's skip that.",
        "agent: What number should we call back?",
        "caller: (silence)",
        "agent: What number should we call back?",
        "caller: lots",
        "agent: What number should we call back?",
        "caller: five five five one two three four five six seven",
        "agent: We'll call +15551234567.",
        "email to desk@flowc.example: ended: +15551234567",
        "end: ended",
    ]
    no_answers = [(e["variable"], e["attempts"]) for e in events if e["event"] == "no_answer"]
    assert no_answers == [("guests", 2)]


def test_a_collect_without_its_own_handler_falls_back_to_the_flows_default(
    tmp_path: Path,
) -> None:
    flow = write_flow(tmp_path, "callback.flow", CALLBACK)
    run = flowc_run(flow, ["three", "", "my number", "I'd rather not"])

    assert run.status == 0, run.stderr
    assert run.transcript[-9:] == [
        "agent: What number should we call back?",
        "caller: (silence)",
        "agent: What number should we call back?",
        "caller: my number",
        "agent: What number should we call back?",
        "caller: I'd rather not",
        "agent: Please call again.",
        "email to desk@flowc.example: ended: no number",
        "end: ended",
    ]


def test_hanging_up_in_the_middle_of_a_question_still_runs_after_call(tmp_path: Path) -> None:
    """The end of input is the caller hanging up: the call ends with `hangup`
    at once (no more prompts), and `after call` sees what was collected."""
    flow = write_flow(tmp_path, "callback.flow", CALLBACK)
    run, events = run_logged(flow, ["three", ""])

    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: How many people?",
        "caller: three",
        "agent: 3 people.",
        "agent: What number should we call back?",
        "caller: (silence)",
        "agent: What number should we call back?",
        "email to desk@flowc.example: hangup: no number",
        "end: hangup",
    ]
    sent = [e for e in events if e["event"] == "message_sent"]
    assert [e["subject"] for e in sent] == ["hangup: no number"]
    assert [e["outcome"] for e in events if e["event"] == "call_ended"] == ["hangup"]
