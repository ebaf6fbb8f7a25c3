"""`flowc run` end to end: talk, collect, set, if, jumps and end, and the event log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .core_cli import flowc_run, write_flow

PIZZA = """
    flow Pizza {
      on no_answer -> gave_up
      talk "Welcome to Slice."
      collect size: text in ["small", "large"]
        prompt "Small or large?"
        reprompt "Sorry, small or large?"
      collect count: number
        prompt "How many?"
      set total = count
      if count > 3 -> party
      collect extra: bool
        prompt "Extra cheese?"
      if extra -> cheesy
      talk "{{count}} plain {{size}} pizzas."
      -> done
      cheesy:
      talk "{{total}} cheesy {{size}} pizzas."
      -> done
      party:
      talk "A party of {{count}}!"
      done:
      end "Thanks, bye."
      gave_up:
      end "Call us again."
    }
"""


def test_collects_understand_words_and_choices_and_branches_follow(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "pizza.flow", PIZZA)
    run = flowc_run(flow, ["a large one please", "two", "yes please"])
    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: Welcome to Slice.",
        "agent: Small or large?",
        "caller: a large one please",
        "agent: How many?",
        "caller: two",
        "agent: Extra cheese?",
        "caller: yes please",
        "agent: 2 cheesy large pizzas.",
        "agent: Thanks, bye.",
        "end: ended",
    ]


def test_an_if_jumps_forward_and_a_plain_path_falls_through(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "pizza.flow", PIZZA)
    assert flowc_run(flow, ["small", "5"]).transcript[-3:] == [
        "agent: A party of 5!",
        "agent: Thanks, bye.",
        "end: ended",
    ]
    assert flowc_run(flow, ["small", "1", "no"]).transcript[-3] == "agent: 1 plain small pizzas."


def test_silence_and_nonsense_use_up_attempts_then_no_answer(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "pizza.flow", PIZZA)
    run = flowc_run(flow, ["", "medium", "purple"])
    assert run.transcript == [
        "agent: Welcome to Slice.",
        "agent: Small or large?",
        "caller: (silence)",
        "agent: Sorry, small or large?",
        "caller: medium",
        "agent: Sorry, small or large?",
        "caller: purple",
        "agent: Call us again.",
        "end: ended",
    ]


def test_the_event_log_has_every_step_with_its_line(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "pizza.flow", PIZZA)
    log = tmp_path / "events.jsonl"
    run = flowc_run(flow, ["large", "2", "no"], extra_args=("--log", str(log)))
    assert run.status == 0, run.stderr
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    steps = [(e["line"], e["kind"]) for e in events if e["event"] == "step"]
    assert steps == [
        (3, "talk"),
        (4, "collect"),
        (7, "collect"),
        (9, "set"),
        (10, "if"),
        (11, "collect"),
        (13, "if"),
        (14, "talk"),
        (15, "jump"),
        (22, "end"),
    ]
    assert {e["file"] for e in events if e["event"] == "step"} == {"pizza.flow"}
    assert events[0]["event"] == "call_started" and events[-1] == {
        **events[-1],
        "event": "call_ended",
        "outcome": "ended",
    }
    assert {"name": "total", "value": 2} in [
        {"name": e["name"], "value": e["value"]} for e in events if e["event"] == "variable_set"
    ]


def test_a_flow_is_chosen_by_name_and_an_unknown_one_is_a_usage_error(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "two.flow",
        """
        flow A {
          end "This is A."
        }
        flow B {
          end "This is B."
        }
        action Helper {
          output Done
          exit Done
        }
    """,
    )
    assert flowc_run(flow, [], flow="B").transcript == ["agent: This is B.", "end: ended"]
    missing = flowc_run(flow, [], flow="C")
    assert missing.status == 2
    assert "'two.flow': 'C' is no flow (its flows: A, B)" in missing.stderr
    action = flowc_run(flow, [], flow="Helper")
    assert action.status == 2
    assert "'Helper' is an action, and only a flow can be run (its flows: A, B)" in action.stderr
    assert flowc_run(flow, []).status == 2


def test_a_flow_with_check_errors_is_not_run(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "bad.flow",
        """
        flow Bad {
          talk "{{nobody}}"
          end
        }
    """,
    )
    run = flowc_run(flow, [])
    assert run.status == 1
    assert run.transcript == []
    assert "bad.flow:2" in run.stderr


def test_dates_and_times_are_said_as_words_but_sent_to_apis_as_iso(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "visit.flow",
        """
        flow Visit {
          on no_answer -> bye
          collect day: date
            prompt "Which day?"
          collect at: time
            prompt "What time?"
          set raw = "{{day}}"
          talk "Booked for {{day}} at {{at}}."
          end "Reference {{raw}}."
          bye:
          end
        }
    """,
    )
    run = flowc_run(flow, ["March 14 2030", "2:30 pm"])
    assert run.status == 0, run.stderr
    assert run.transcript[-3:] == [
        "agent: Booked for Thursday, March 14, 2030 at 2:30 PM.",
        "agent: Reference 2030-03-14.",
        "end: ended",
    ]


def test_environment_values_are_read_at_run_time_as_their_type(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "env.flow",
        """
        flow Env {
          set limit = env("PARTY_LIMIT") as number
          set name = env("SHOP_NAME") as text ?? "our shop"
          if limit > 3 -> big
          end "Small parties only at {{name}}."
          big:
          end "Parties up to {{limit}} at {{name}}."
        }
    """,
    )
    big = flowc_run(flow, [], environment={"PARTY_LIMIT": "12", "SHOP_NAME": "Slice"})
    assert big.transcript == ["agent: Parties up to 12 at Slice.", "end: ended"]
    wrong = flowc_run(flow, [], environment={"PARTY_LIMIT": "twelve"})
    assert wrong.status == 1
    assert wrong.stderr.strip().endswith(
        "env.flow:2: the environment variable PARTY_LIMIT is not a number: 'twelve'"
    )


def test_environment_dates_and_lists_are_checked_at_run_time(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "env_forms.flow",
        """
        flow Env {
          set opening = env("OPENING") as date
          set sizes = env("SIZES") as list[number]
          set towns = env("TOWNS") as list[text]
          if "Leeds" in towns -> leeds
          end "Open from {{opening}}, first size {{sizes[0]}}."
          leeds:
          end "Leeds opens {{opening}}; sizes from {{sizes[0]}}."
        }
    """,
    )
    environment = {"OPENING": "2024-05-01", "SIZES": "2, 4.5", "TOWNS": "York, Leeds ,Hull"}
    good = flowc_run(flow, [], environment=environment)
    assert good.status == 0, good.stderr
    assert good.transcript[-1] == "end: ended"
    assert "sizes from 2" in good.transcript[0] and "Leeds opens" in good.transcript[0]
    bad_date = flowc_run(flow, [], environment={**environment, "OPENING": "garbage"})
    assert bad_date.status == 1
    assert bad_date.stderr.strip().endswith(
        "env_forms.flow:2: the environment variable OPENING is not a date (YYYY-MM-DD): 'garbage'"
    )
    bad_item = flowc_run(flow, [], environment={**environment, "SIZES": "2, big"})
    assert bad_item.status == 1
    assert bad_item.stderr.strip().endswith(
        "env_forms.flow:3: the environment variable SIZES (item 2) is not a number: 'big'"
    )


def test_a_closed_transcript_pipe_stops_the_run_without_a_traceback(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "hello.flow", 'flow Hello {\n  end "Hello."\n}\n')
    reader, writer = os.pipe()
    os.close(reader)  # as `flowc run hello.flow | head -0` would
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flowc.cli", "run", flow.name],
            stdin=subprocess.DEVNULL,
            stdout=writer,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            text=True,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert result.returncode == 2
    assert result.stderr == "flowc: error: the transcript's reader closed the pipe\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_an_event_log_that_cannot_be_written_is_reported_after_the_call(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "hello.flow", 'flow Hello {\n  end "Hello."\n}\n')
    run = flowc_run(flow, [], extra_args=("--log", "/dev/full"))
    assert run.transcript == ["agent: Hello.", "end: ended"]
    assert run.status == 2
    assert (
        run.stderr
        == "flowc: error: cannot write the event log '/dev/full': No space left on device\n"
    )


def test_a_secret_said_before_any_step_reads_it_is_masked_too(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "early.flow",
        """
        action Lookup {
          input key: secret = env("LOOKUP_KEY")
          output Done
          exit Done
        }
        flow Early {
          collect words: text
            prompt "Anything?"
            on no_answer -> bye
          run found = Lookup() on Done -> bye
          bye:
          end "Bye."
        }
    """,
    )
    log = tmp_path / "events.jsonl"
    run = flowc_run(
        flow,
        ["my key is s3cr3t-k3y"],
        extra_args=("--log", str(log)),
        environment={"LOOKUP_KEY": "s3cr3t-k3y"},
    )
    assert run.transcript[1] == "caller: my key is ***"
    assert "s3cr3t" not in log.read_text(encoding="utf-8")


def test_a_file_with_only_actions_has_no_flow_to_run(tmp_path: Path) -> None:
    actions = write_flow(tmp_path, "lib.flow", "action A {\n  output Done\n  exit Done\n}\n")
    run = flowc_run(actions, [])
    assert run.status == 2
    assert "'lib.flow' has no flow to run (a call starts at a flow" in run.stderr
