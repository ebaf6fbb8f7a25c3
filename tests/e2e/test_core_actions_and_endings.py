"""`flowc run` end to end: actions (run, exit, outputs, chaining, imports), every
way a call ends (end, transfer, hang-up mid-action, runtime fault), `after call`
and `code` steps."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .core_cli import flowc_run, write_flow

VERIFY = """
    action Verify {
      input who: text
      output Passed(pin: text)
      output Failed(reason: text)
      on no_answer -> Failed(reason = "no pin")
      collect pin: number
        prompt "{{who}}, what is your PIN?"
        attempts 1
      if pin == 0 -> Failed(reason = "zero is not a PIN")
      exit Passed(pin = "{{pin}}")
    }

    action Screen {
      input who: text
      output Ok(pin: text)
      output Blocked
      run check = Verify(who = who)
        on Passed -> ok
        on Failed -> Blocked
      ok:
      exit Ok(pin = check.pin)
    }
"""

DESK = """
    from "lib/verify.flow" import Screen

    flow Desk {
      on no_answer -> bye
      collect name: text
        prompt "Name?"
      run screen = Screen(who = name)
        on Ok -> welcome
        on Blocked -> human
      welcome:
      talk "Welcome {{name}}, PIN {{screen.pin}} accepted."
      end "Goodbye."
      human:
      transfer to "+15551230000" say "Connecting you."
      bye:
      end

      after call {
        send email to "desk@example.com"
          subject "{{call.caller}}: {{call.outcome}}"
          body "name {{name ?? "unknown"}}"
        send sms to "+15559990000" "Outcome {{call.outcome}}"
      }
    }
"""


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    write_flow(tmp_path, "lib/verify.flow", VERIFY)
    return write_flow(tmp_path, "desk.flow", DESK)


def test_an_imported_action_chained_through_another_leaves_by_its_outputs(desk: Path) -> None:
    run = flowc_run(desk, ["Ann", "forty two"])
    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: Name?",
        "caller: Ann",
        "agent: Ann, what is your PIN?",
        "caller: forty two",
        "agent: Welcome Ann, PIN 42 accepted.",
        "agent: Goodbye.",
        "email to desk@example.com: +15550001111: ended",
        "sms to +15559990000: Outcome ended",
        "end: ended",
    ]


def test_an_output_target_inside_an_action_and_a_transfer(desk: Path) -> None:
    run = flowc_run(desk, ["Ann", "zero"])
    assert run.status == 0, run.stderr
    assert run.transcript[-5:] == [
        "agent: Connecting you.",
        "transfer to +15551230000",
        "email to desk@example.com: +15550001111: transferred",
        "sms to +15559990000: Outcome transferred",
        "end: transferred",
    ]


def test_hanging_up_inside_a_nested_action_still_runs_after_call(
    desk: Path, tmp_path: Path
) -> None:
    log = tmp_path / "events.jsonl"
    run = flowc_run(desk, ["Ann"], extra_args=("--log", str(log)))
    assert run.status == 0, run.stderr
    assert run.transcript == [
        "agent: Name?",
        "caller: Ann",
        "agent: Ann, what is your PIN?",
        "email to desk@example.com: +15550001111: hangup",
        "sms to +15559990000: Outcome hangup",
        "end: hangup",
    ]
    text = log.read_text(encoding="utf-8")
    assert '"action_entered"' in text and '"action_left"' not in text


def test_an_end_without_text_says_nothing(desk: Path) -> None:
    run = flowc_run(desk, [""])
    assert run.transcript[:3] == ["agent: Name?", "caller: (silence)", "agent: Name?"]
    assert run.transcript[3:] == [
        "email to desk@example.com: +15550001111: hangup",
        "sms to +15559990000: Outcome hangup",
        "end: hangup",
    ]


HELPERS = """
    import asyncio


    def shout(word: str) -> str:
        return word.upper()


    async def later(word: str) -> str:
        await asyncio.sleep(0)
        return word + "!"


    def broken(word: str) -> str:
        raise RuntimeError("the service is down")


    def lies(word: str) -> str:
        return 42  # type: ignore[return-value]


    def record(word: str) -> object:
        return {"size": word}
"""

CODE_FLOW = """
    python helpers.shout(word: text) -> text
    python helpers.later(word: text) -> text
    python helpers.broken(word: text) -> text
    python helpers.lies(word: text) -> text
    python helpers.record(word: text) -> json

    flow Code {
      collect word: text
        prompt "Say a word."
        on no_answer -> quiet
      code loud = helpers.shout(word = word)
        on error -> quiet
      code excited = helpers.later(word = loud)
        on error -> quiet
      talk "{{excited}}"
      code bad = helpers.lies(word = word)
        on error -> failed
      talk "not reached"
      failed:
      code again = helpers.broken(word = word)
        on error -> recovered
      talk "not reached either"
      recovered:
      code data = helpers.record(word = word)
        on error -> quiet
      if data.size > 3 -> big
      end "small"
      big:
      end "big"
      quiet:
      end "quiet"

      after call {
        send email to "ops@example.com" subject "outcome {{call.outcome}}" body ""
      }
    }
"""


def test_code_steps_sync_async_raising_and_mistyped(tmp_path: Path) -> None:
    write_flow(tmp_path, "helpers.py", HELPERS)
    flow = write_flow(tmp_path, "code.flow", CODE_FLOW)
    log = tmp_path / "events.jsonl"
    run = flowc_run(flow, ["hey"], extra_args=("--log", str(log)))
    assert run.transcript == [
        "agent: Say a word.",
        "caller: hey",
        "agent: HEY!",
        "email to ops@example.com: outcome error",
        "end: error",
    ]
    text = log.read_text(encoding="utf-8")
    assert "RuntimeError: the service is down" in text
    assert "helpers.lies returned a value not of its declared type" in text


def test_a_runtime_fault_ends_the_call_with_error_at_its_flow_line(tmp_path: Path) -> None:
    write_flow(tmp_path, "helpers.py", HELPERS)
    flow = write_flow(tmp_path, "code.flow", CODE_FLOW)
    run = flowc_run(flow, ["hey"])
    assert run.status == 1
    # `data.size` is the text "hey": ordering it against 3 is a fault at line 26.
    assert run.stderr.strip() == 'code.flow:26: cannot compare text "hey" > number 3'
    assert run.transcript[-2:] == ["email to ops@example.com: outcome error", "end: error"]
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("helpers", "reported"),
    [
        ("import sys\n\nsys.exit(3)\n", "helpers.py:3: it called sys.exit(3)"),
        ('raise RuntimeError("no config")\n', "helpers.py:1: RuntimeError: no config"),
    ],
)
def test_a_python_module_that_fails_to_import_stops_the_run_in_one_line(
    tmp_path: Path, helpers: str, reported: str
) -> None:
    # The functions follow the failure: `flowc check` finds them, importing never does.
    write_flow(tmp_path, "helpers.py", helpers + textwrap.dedent(HELPERS).lstrip())
    flow = write_flow(tmp_path, "code.flow", CODE_FLOW)
    run = flowc_run(flow, ["hey"])
    assert run.status == 2 and run.transcript == []
    (message,) = run.stderr.strip().splitlines()
    assert message.startswith("flowc: error: cannot load the compiled flow: ")
    assert message.endswith(reported)


def test_a_python_module_that_does_not_parse_stops_the_check_at_its_declaration(
    tmp_path: Path,
) -> None:
    write_flow(tmp_path, "helpers.py", "def shout(:\n")
    flow = write_flow(tmp_path, "code.flow", CODE_FLOW)
    run = flowc_run(flow, ["hey"])
    said = "\n".join(run.transcript) + run.stderr
    assert run.status == 1
    assert "error[E0117]: python module 'helpers' does not parse: " in said
    assert "helpers.py:1: invalid syntax" in said
    assert "Traceback" not in run.stderr


def test_a_missing_python_module_at_run_names_its_declaration(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "code.flow", CODE_FLOW)
    run = flowc_run(flow, ["hey"])
    assert run.status == 2 and run.transcript == []
    (message,) = run.stderr.strip().splitlines()
    assert message.startswith("flowc: error: cannot load the compiled flow: ")
    assert message.endswith("(declared at code.flow:1: python helpers.shout)")


def test_a_fault_in_an_input_default_is_reported_at_the_run_step(tmp_path: Path) -> None:
    flow = write_flow(
        tmp_path,
        "limits.flow",
        """
        action Limited {
          input limit: number = env("LIMIT") as number configurable
          output Done
          exit Done
        }
        flow Uses {
          run limited = Limited()
            on Done -> bye
          bye:
          end "Bye."
        }
    """,
    )
    run = flowc_run(flow, [], environment={"LIMIT": "abc"})
    assert run.status == 1
    assert run.stderr.strip().endswith(
        "limits.flow:7: the environment variable LIMIT is not a number: 'abc'"
    )
    assert run.transcript == ["end: error"]
    assert flowc_run(flow, [], environment={"LIMIT": "5"}).transcript == [
        "agent: Bye.",
        "end: ended",
    ]
