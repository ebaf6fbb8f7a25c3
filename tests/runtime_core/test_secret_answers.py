"""`collect x: secret` (LANGUAGE.md section 6, "Secret answers"): the caller's
answer is a secret from the moment it is understood. The `heard` event, the
transcript, every later event and a stored call state never hold it in clear;
a resumed call has it back and keeps masking it."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json

import pytest
from flowc_runtime import ScriptedChannel
from flowc_runtime.call import Call
from flowc_runtime.driver import load_state, start_call, state_json
from flowc_runtime.events import MemorySink
from flowc_runtime.program import Body, Frame, Vars
from flowc_runtime.sealing import SealError, seal, unseal
from flowc_runtime.services import Question
from flowc_runtime.state import StateError
from flowc_runtime.transcript import TranscriptPrinter
from flowc_runtime.understanding import understand_secret

from . import sample_flows
from .helpers import local_services

GREETER = dataclasses.replace(sample_flows.FLOW_Greeter, secret_env=())
PIN_SAID = "9 7 3 1 5 8"
PIN = "973158"
KEY = {"FLOWC_STATE_KEY": "test-key-0123456789abcdef0123456789abcdef"}


def find(module: str, name: str) -> Body:
    return GREETER


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("1 2 3 4", "1234"),
        ("one two three four", "1234"),
        ("12 34", "1234"),
        ("4-8-1-5", "4815"),
        ("oh nine", "09"),
        ("open  sesame", "open sesame"),
        ("   ", None),
    ],
)
def test_a_secret_answer_is_the_digits_joined_or_the_words(said: str, answer: str | None) -> None:
    assert understand_secret(said) == answer


def collect_pin(
    turns: list[str | None], environment: dict[str, str] | None = None
) -> tuple[Call, MemorySink, str]:
    """A call that asked for a PIN and heard `turns`: the call, its events, its transcript."""
    sink = MemorySink()
    out = io.StringIO()
    services = local_services(KEY if environment is None else environment)
    call = start_call(
        GREETER, services, ScriptedChannel(turns), sinks=[sink, TranscriptPrinter(out)],
        call_id="c-secret",
    )
    variables: Vars = {}
    call.frames[:] = [Frame(GREETER, 0, variables)]
    understood = asyncio.run(call.collect(variables, "pin", Question("secret", "Your PIN?")))
    assert understood and variables["pin"] == PIN
    return call, sink, out.getvalue()


def test_the_answer_is_masked_in_the_heard_event_every_event_and_the_transcript() -> None:
    _, sink, transcript = collect_pin([None, PIN_SAID])
    assert [e["text"] for e in sink.of_kind("heard")] == [None, "***"]
    assert transcript.splitlines() == [
        "agent: Your PIN?", "caller: (silence)", "agent: Your PIN?", "caller: ***",
    ]
    assert {"name": "pin", "value": "***"} in [
        {"name": e["name"], "value": e["value"]} for e in sink.of_kind("variable_set")
    ]
    logged = json.dumps(sink.events)
    assert PIN not in logged and PIN_SAID not in logged


def test_a_suspended_call_stores_the_answer_sealed_and_resumes_with_it() -> None:
    call, _, _ = collect_pin([PIN_SAID])
    call.frames[0].vars["greeting"] = f"PIN {PIN} given"
    state = state_json(call)
    assert PIN not in state and PIN_SAID not in state
    stored = json.loads(state)
    assert stored["frames"][0]["answer_parts"] == ["pin", "greeting"]
    assert stored["frames"][0]["secret_vars"] == []
    assert stored["sealed_answers"].startswith("v1.")

    sink = MemorySink()
    resumed = load_state(state, local_services(KEY), ScriptedChannel([]), [sink], bodies=find)
    assert resumed.frames[0].vars == {"pin": PIN, "greeting": f"PIN {PIN} given"}
    assert resumed.secret_answers == [PIN] and resumed.log.secrets.holds(PIN)
    assert PIN not in state_json(resumed)  # sealed again when it suspends again
    resumed.set(resumed.frames[0].vars, "again", PIN)
    assert PIN not in json.dumps(sink.events)


def test_a_state_sealed_with_another_key_cannot_be_resumed() -> None:
    call, _, _ = collect_pin([PIN_SAID])
    state = state_json(call)
    other = local_services({"FLOWC_STATE_KEY": "another key"})
    with pytest.raises(StateError, match="secret answers cannot be unsealed"):
        load_state(state, other, ScriptedChannel([]), bodies=find)


def test_without_a_configured_key_the_process_key_seals_the_answer() -> None:
    call, _, _ = collect_pin([PIN_SAID], environment={})
    state = state_json(call)
    assert PIN not in state
    resumed = load_state(state, local_services({}), ScriptedChannel([]), bodies=find)
    assert resumed.frames[0].vars["pin"] == PIN


def test_a_sealed_text_is_bound_to_its_key_and_its_call() -> None:
    sealed = seal("1234", "k", "call-1")
    assert unseal(sealed, "k", "call-1") == "1234"
    assert seal("1234", "k", "call-1") != sealed  # a fresh nonce each time
    for key, context in (("other", "call-1"), ("k", "call-2")):
        with pytest.raises(SealError):
            unseal(sealed, key, context)
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError):
        unseal(tampered, "k", "call-1")
    with pytest.raises(SealError):
        unseal("1234", "k", "call-1")
