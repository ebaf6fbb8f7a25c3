"""`make run`'s demo end to end: examples/run_demo.py books a consultation through the
real booking API (a subprocess) and `flowc run` (a subprocess), and the transcript and
the event log say so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
EVENT_LOG = PROJECT / "build" / "demo" / "events.jsonl"
API_KEY = "demo-test-key-5f3a9c"


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    """One run of the demo, with a known API key so that the tests can look for it."""
    return subprocess.run(
        [sys.executable, "examples/run_demo.py"],
        cwd=PROJECT,
        env={**os.environ, "CALENDAR_API_KEY": API_KEY},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_call_books_a_consultation(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    expected_in_order = [
        "agent: Thank you for calling Smith and Partners.",
        "caller: Jane Doe",
        "caller: March 14th 2030 at 2 PM",
        "agent: I found two slots: Thursday 14 March at 14:00 and Thursday 14 March at 15:00.",
        "caller: The 3 PM one, please",
        "sms to +15550001111: Your consultation is confirmed: https://meet.example.com/bk-0001",
        "agent: Your consultation is booked. Goodbye!",
        "email to assistant@smithlaw.example: Call from +15550001111: ended",
        "end: ended",
    ]
    lines = demo.stdout.splitlines()
    missing = [line for line in expected_in_order if line not in lines]
    assert not missing, f"missing from the transcript: {missing}\n\n{demo.stdout}"
    positions = [lines.index(line) for line in expected_in_order]
    assert positions == sorted(positions), demo.stdout


def test_the_event_log_shows_the_slot_booked(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    events = [json.loads(line) for line in EVENT_LOG.read_text().splitlines()]
    chosen = [e["value"] for e in events if e["event"] == "variable_set" and e["name"] == "choice"]
    assert chosen == ["Thursday 14 March at 15:00"]
    left = [(e["action"], e["output"]) for e in events if e["event"] == "action_left"]
    assert left == [("MakeAppointment", "Success")]
    answered = [(e["method"], e["status"]) for e in events if e["event"] == "request_answered"]
    assert answered == [("GET", 200), ("POST", 200)]


def test_the_api_key_is_never_printed_or_logged(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert API_KEY not in demo.stdout + demo.stderr
    assert API_KEY not in EVENT_LOG.read_text()


def test_the_demo_serves_the_flow_and_calls_it_as_twilio_would(
    demo: subprocess.CompletedProcess[str],
) -> None:
    """The second half of the demo: `flowc serve` with signatures checked, `flowc call`
    placing the call, and the messages the server sent read from its event log."""
    assert demo.returncode == 0, demo.stdout + demo.stderr
    served = demo.stdout.split("flowc call places the call", 1)[1].splitlines()
    expected_in_order = [
        "agent: Thank you for calling Smith and Partners.",
        "caller: John Roe",
        "caller: March 15th 2030 at 10 AM",
        "agent: I found two slots: Friday 15 March at 10:00 and Friday 15 March at 11:00.",
        "caller: The 11 AM one, please",
        "agent: Your consultation is booked. Goodbye!",
        "end: ended",
        "run_demo: the server sent sms to +15550001111: "
        "Your consultation is confirmed: https://meet.example.com/bk-0002",
        "run_demo: the server sent email to assistant@smithlaw.example: "
        "Call from +15550001111: ended",
    ]
    positions = [served.index(line) for line in expected_in_order]
    assert positions == sorted(positions), demo.stdout
    assert "flowc call exited with status 0" in demo.stdout
    assert API_KEY not in (PROJECT / "build" / "demo" / "calls.db").read_bytes().decode("latin-1")
