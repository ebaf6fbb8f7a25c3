"""A call suspended at a collect is plain JSON and finishes in another process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flowc_runtime import (
    MemorySink,
    Outcome,
    ScriptedChannel,
    StateError,
    WhenExhausted,
    resume_call,
    run_call,
)

from . import sample_flows
from .helpers import local_services

PROJECT = Path(__file__).resolve().parents[2]


def process(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.runtime_core.call_process", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=True,
    )


def test_half_a_call_in_one_process_and_the_rest_in_another() -> None:
    first = process("start")
    state = json.loads(first.stdout)
    assert first.stderr.splitlines() == ["agent: Hello!", "agent: Your name?"]
    assert [frame["body"] for frame in state["frames"]] == ["Greeter", "AskName"]
    assert state["frames"][1]["step"] == 1 and state["pending_attempt"] == 1
    assert state["frames"][1]["secret_vars"] == ["token"]

    second = process("resume", "Jane", stdin=first.stdout)
    assert second.stdout.strip() == "outcome: ended"
    # The prompt is not repeated: the resumed call listens where it stopped.
    assert second.stderr.splitlines() == [
        "caller: Jane",
        "agent: Nice to meet you, Jane.",
        "agent: Bye Jane.",
        "end: ended",
    ]


def test_a_call_can_be_suspended_at_every_turn() -> None:
    services = local_services()
    result = asyncio.run(
        run_call(
            sample_flows.FLOW_Greeter,
            services,
            ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND),
        )
    )
    assert result.outcome is None and result.state is not None
    # silence uses up attempt 1; the call is suspended again, waiting on attempt 2
    silent = ScriptedChannel([None], when_exhausted=WhenExhausted.SUSPEND)
    again = asyncio.run(resume_call(result.state, services, silent))
    assert again.state is not None and json.loads(again.state)["pending_attempt"] == 2
    assert silent.said == ["Your name?"]
    sink = MemorySink()
    final = asyncio.run(resume_call(again.state, services, ScriptedChannel([None]), sinks=[sink]))
    assert final.outcome is Outcome.TRANSFERRED
    resumed = sink.events[0]
    assert (resumed["event"], resumed["flow"], resumed["step"]) == (
        "call_resumed",
        "Greeter",
        "sample.flow:7",
    )


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("not json", "malformed call state"),
        ('{"version": 99}', "unsupported call state version 99"),
        (
            '{"version": 2, "call": {"id": "x", "caller": "", "callee": "", "started_at": ""},'
            ' "frames": [{"module": "no_such_module_anywhere", "body": "F", "step": 0,'
            ' "vars": {}, "env_vars": {}, "secret_vars": [], "variable": null, "returns": {}}],'
            ' "pending_attempt": null, "pending_transfer": false}',
            "cannot import the flow module 'no_such_module_anywhere'",
        ),
    ],
)
def test_a_state_that_cannot_be_resumed_says_why(state: str, message: str) -> None:
    with pytest.raises(StateError, match=message):
        asyncio.run(resume_call(state, local_services(), ScriptedChannel([])))
