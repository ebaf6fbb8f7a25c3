"""A built flow's call is suspended inside an action in one process and finished
in another (LANGUAGE.md section 8: the state between caller turns is plain data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def in_process(out: Path, command: str, *turns: str, stdin: str = "") -> tuple[str, list[str]]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.e2e.resume_process",
            str(out),
            "legal_intake",
            "LegalIntake",
            command,
            *turns,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=True,
        timeout=60,
    )
    return result.stdout, result.stderr.splitlines()


def test_a_call_suspended_inside_an_action_finishes_in_another_process(tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "flowc.cli", "build", "examples/legal_intake.flow", "-o", str(out)],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    state, first = in_process(out, "start", "Jane Doe")
    assert first == [
        "agent: Thank you for calling Smith and Partners.",
        "agent: May I have your full name?",
        "caller: Jane Doe",
        "agent: What day and time would suit you best?",
    ]
    frames = json.loads(state)["frames"]
    assert [(f["module"], f["body"]) for f in frames] == [
        ("legal_intake", "LegalIntake"),
        ("lib.appointments", "MakeAppointment"),
    ]
    # The API key came from env("CALENDAR_API_KEY"): stored as that name, never as its value.
    assert frames[1]["env_vars"] == {"api_key": "CALENDAR_API_KEY"}
    assert "api_key" not in frames[1]["vars"] and frames[1]["secret_vars"] == []
    assert "cal-secret-1" not in state

    # Silence on the waiting attempt and the two after it: the action leaves
    # through Fail, which LegalIntake connects to the receptionist.
    outcome, rest = in_process(out, "resume", "", "", "", stdin=state)
    assert outcome.strip() == "outcome: transferred"
    assert rest == [
        "caller: (silence)",
        "agent: What day and time would suit you best?",
        "caller: (silence)",
        "agent: What day and time would suit you best?",
        "caller: (silence)",
        "agent: Let me connect you with our receptionist.",
        "transfer to +15551230000",
        "email to assistant@smithlaw.example: Call from +15550001111: transferred",
        "end: transferred",
    ]
