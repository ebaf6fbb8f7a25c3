"""`CallState`: the stored form of a suspended call, byte for byte, and what a
state read back must hold (docs/codegen.md, "Suspending and resuming")."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from flowc_runtime import ScriptedChannel, WhenExhausted, run_call
from flowc_runtime.call import CallInfo
from flowc_runtime.driver import load_state, start_call, state_json
from flowc_runtime.program import Body, Frame
from flowc_runtime.state import CallState, FrameState, StateError

from . import sample_flows
from .helpers import local_services

ENVIRONMENT = {"SAMPLE_TOKEN": "tok-123", "KEY": "k€y"}
# The sample flow, reading both variables as secrets (`env("NAME")`).
GREETER = dataclasses.replace(sample_flows.FLOW_Greeter, secret_env=("SAMPLE_TOKEN", "KEY"))
BODIES = {"Greeter": GREETER, "AskName": sample_flows.ACTION_AskName}
MODULE = sample_flows.__name__

SUSPENDED_IN_ASK_NAME = (
    '{"version": 2, "call": {"id": "c1", "caller": "+15550001111", "callee": "", '
    '"started_at": "2030-03-11T09:30:00+00:00"}, "frames": ['
    f'{{"module": "{MODULE}", "body": "Greeter", "step": 0, "vars": {{}}, "env_vars": {{}}, '
    '"env_parts": [], "secret_vars": [], "variable": null, "returns": {}}, '
    f'{{"module": "{MODULE}", "body": "AskName", "step": 1, "vars": {{"greeting": "Hello"}}, '
    '"env_vars": {"token": "SAMPLE_TOKEN"}, "env_parts": [], "secret_vars": [], '
    '"variable": "who", "returns": {"Named": 1, "Silent": 4}}], '
    '"pending_attempt": 1, "pending_transfer": false}'
)


def find(module: str, name: str) -> Body:
    return BODIES[name]


def test_a_suspended_call_is_stored_as_it_always_was() -> None:
    services = local_services(ENVIRONMENT)
    channel = ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND)
    result = asyncio.run(run_call(GREETER, services, channel, caller="+15550001111", call_id="c1"))
    assert result.state == SUSPENDED_IN_ASK_NAME
    assert CallState.from_json(SUSPENDED_IN_ASK_NAME).to_json() == SUSPENDED_IN_ASK_NAME


def test_secret_environment_values_inside_longer_values_are_stored_as_references() -> None:
    services = local_services(ENVIRONMENT)
    call = start_call(GREETER, services, ScriptedChannel([]), call_id="c2")
    variables = {
        "auth": "Bearer tok-123",
        "record": {"tok-123": ["x tok-123 k€y", 3]},
        "key": "k€y",
        "literal": "s3cret",
    }
    call.frames[:] = [Frame(GREETER, 4, dict(variables))]
    call.keep_secret("s3cret")
    stored = json.loads(state_json(call))["frames"][0]
    assert stored["vars"] == {
        "auth": "Bearer \0env:SAMPLE_TOKEN\0",
        "record": {"\0env:SAMPLE_TOKEN\0": ["x \0env:SAMPLE_TOKEN\0 \0env:KEY\0", 3]},
        "literal": "s3cret",
    }
    assert (stored["env_vars"], stored["env_parts"]) == ({"key": "KEY"}, ["auth", "record"])
    assert stored["secret_vars"] == ["literal"]

    resumed = load_state(state_json(call), services, ScriptedChannel([]), bodies=find)
    assert resumed.frames[0].vars == variables
    assert resumed.log.secrets.holds("s3cret") and resumed.log.secrets.holds("k€y")


def test_a_state_stored_before_env_parts_existed_still_resumes() -> None:
    data = json.loads(SUSPENDED_IN_ASK_NAME)
    for frame in data["frames"]:
        del frame["env_parts"]
    state = CallState.from_json(json.dumps(data))
    assert all(frame.env_parts == () for frame in state.frames)


def test_a_variable_read_from_an_environment_variable_that_is_gone_cannot_be_resumed() -> None:
    services = local_services({})
    with pytest.raises(StateError, match="SAMPLE_TOKEN that 'AskName' read is no longer set"):
        load_state(SUSPENDED_IN_ASK_NAME, services, ScriptedChannel([]), bodies=find)


def test_a_step_the_body_does_not_have_cannot_be_resumed() -> None:
    frame = FrameState(MODULE, "Greeter", 9, {}, {}, (), (), None, {})
    state = CallState(CallInfo("c", "", "", ""), (frame,), None, False)
    with pytest.raises(StateError, match="step 9 does not exist in 'Greeter'"):
        load_state(state.to_json(), local_services(), ScriptedChannel([]), bodies=find)


REMOVED = object()


def with_field(path: tuple[str | int, ...], value: object) -> str:
    """The stored state with the field at `path` set to `value`, or removed."""
    data = json.loads(SUSPENDED_IN_ASK_NAME)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is REMOVED:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("[]", "the state is not an object"),
        (with_field(("call",), REMOVED), "call is missing"),
        (with_field(("call", "id"), 5), "call.id must be a text, not a number"),
        (with_field(("frames",), []), "no frames"),
        (with_field(("frames", 1), "AskName"), "frames[1] is not an object"),
        (
            with_field(("frames", 1, "step"), "1"),
            "frames[1].step must be a whole number, not a text",
        ),
        (
            with_field(("frames", 1, "step"), True),
            "frames[1].step must be a whole number, not true or false",
        ),
        (with_field(("frames", 0, "vars"), []), "frames[0].vars must be an object, not a list"),
        (
            with_field(("frames", 1, "env_vars"), {"token": 1}),
            "frames[1].env_vars must be an object of texts, not an object",
        ),
        (
            with_field(("frames", 1, "returns"), {"Named": "1"}),
            "frames[1].returns must be an object of whole numbers, not an object",
        ),
        (
            with_field(("frames", 1, "variable"), 3),
            "frames[1].variable must be a text or null, not a number",
        ),
        (
            with_field(("frames", 1, "secret_vars"), ["nope"]),
            "frames[1].secret_vars names 'nope', not a stored variable",
        ),
        (
            with_field(("frames", 1, "env_parts"), [7]),
            "frames[1].env_parts names a number, not a stored variable",
        ),
        (
            with_field(("pending_attempt",), "1"),
            "pending_attempt must be a whole number or null, not a text",
        ),
        (
            with_field(("pending_transfer",), 0),
            "pending_transfer must be true or false, not a number",
        ),
    ],
)
def test_a_malformed_state_says_which_field_is_wrong(state: str, reason: str) -> None:
    with pytest.raises(StateError) as raised:
        CallState.from_json(state)
    assert str(raised.value) == f"malformed call state: {reason}"


def test_text_that_is_not_json_is_malformed() -> None:
    with pytest.raises(StateError, match=r"^malformed call state: not JSON: Expecting value"):
        CallState.from_json("not json")


def test_the_reason_never_quotes_a_stored_value() -> None:
    """A stored state may hold secrets: the reason names the field and the kind of value."""
    with pytest.raises(StateError) as raised:
        CallState.from_json(with_field(("frames", 1, "vars"), ["tok-123"]))
    assert "tok-123" not in str(raised.value)


def test_another_version_is_refused_by_number() -> None:
    with pytest.raises(StateError) as raised:
        CallState.from_json(with_field(("version",), 3))
    assert str(raised.value) == "unsupported call state version 3"
