"""The driver: every way a call moves and ends, on hand-written sample flows."""

from __future__ import annotations

import asyncio

import pytest
from flowc_runtime import MemorySink, Outcome, ScriptedChannel, run_call
from flowc_runtime.transcript import transcript_line

from . import sample_flows
from .helpers import local_services


def run(turns: list[str | None], environment: dict[str, str] | None = None) -> tuple:
    sink = MemorySink()
    channel = ScriptedChannel(turns)
    sample_flows.AFTER_CALL_OUTCOMES.clear()
    result = asyncio.run(
        run_call(
            sample_flows.FLOW_Greeter,
            local_services(environment),
            channel,
            caller="+15550001111",
            sinks=[sink],
            call_id="call-1",
        )
    )
    lines = [line for event in sink.events if (line := transcript_line(event))]
    return result, lines, sink, channel


def test_a_call_through_an_action_and_out_by_end() -> None:
    result, lines, sink, channel = run(["Jane"])
    assert result.outcome is Outcome.ENDED and result.fault is None
    assert lines == [
        "agent: Hello!",
        "agent: Your name?",
        "caller: Jane",
        "agent: Nice to meet you, Jane.",
        "agent: Bye Jane.",
        "end: ended",
    ]
    assert channel.hung_up
    entered, left = sink.of_kind("action_entered"), sink.of_kind("action_left")
    assert [(e["action"], e["variable"]) for e in entered] == [("AskName", "who")]
    assert [(e["action"], e["output"]) for e in left] == [("AskName", "Named")]
    assert sample_flows.AFTER_CALL_OUTCOMES == ["ended"]


def test_silence_on_every_attempt_takes_the_no_answer_path_to_a_transfer() -> None:
    result, lines, _, channel = run([None, "  "])
    assert result.outcome is Outcome.TRANSFERRED
    assert lines == [
        "agent: Hello!",
        "agent: Your name?",
        "caller: (silence)",
        "agent: Your name?",
        "caller:   ",
        "agent: Connecting you.",
        "transfer to +15551230000",
        "end: transferred",
    ]
    assert channel.transferred_to == ["+15551230000"]
    assert sample_flows.AFTER_CALL_OUTCOMES == ["transferred"]


def test_hanging_up_inside_an_action_still_runs_after_call() -> None:
    result, lines, sink, _ = run([])
    assert result.outcome is Outcome.HANGUP
    assert lines[-1] == "end: hangup"
    assert sink.of_kind("action_left") == []
    assert sample_flows.AFTER_CALL_OUTCOMES == ["hangup"]


def test_a_runtime_fault_ends_the_call_with_error_and_names_the_flow_line() -> None:
    result, lines, sink, _ = run(["crash"])
    assert result.outcome is Outcome.ERROR
    assert result.fault == 'sample.flow:13: cannot compare text "crash" < number 3'
    assert sink.of_kind("fault")[0]["where"] == "sample.flow:13"
    assert lines[-1] == "end: error"
    assert sample_flows.AFTER_CALL_OUTCOMES == ["error"]


def test_every_step_is_logged_with_its_source_line() -> None:
    _, _, sink, _ = run(["Jane"])
    steps = [(e["file"], e["line"], e["kind"]) for e in sink.of_kind("step")]
    assert steps == [
        ("sample.flow", 11, "run"),
        ("sample.flow", 6, "talk"),
        ("sample.flow", 7, "collect"),
        ("sample.flow", 8, "exit"),
        ("sample.flow", 12, "talk"),
        ("sample.flow", 13, "set"),
        ("sample.flow", 14, "end"),
        ("sample.flow", 17, "code"),
    ]


def test_secret_inputs_are_masked_everywhere_in_the_log() -> None:
    _, _, sink, _ = run(["my token is s3cr3t-value"], {"SAMPLE_TOKEN": "s3cr3t-value"})
    logged = repr(sink.events)
    assert "s3cr3t-value" not in logged
    assert "my token is ***" in logged
    entered = sink.of_kind("action_entered")[0]
    assert entered["inputs"] == {"greeting": "Hello", "token": "***"}


@pytest.mark.parametrize("turns", [["Jane"], [None, "Jane"]])
def test_the_answer_is_understood_on_any_attempt(turns: list[str | None]) -> None:
    result, lines, _, _ = run(turns)
    assert result.outcome is Outcome.ENDED
    assert "agent: Bye Jane." in lines


def test_the_line_is_hung_up_after_end_and_after_a_fault_but_not_after_a_transfer() -> None:
    assert run(["Jane"])[3].hung_up
    assert run(["crash"])[3].hung_up
    assert not run([None, None])[3].hung_up
