"""The console channel's reading of turns, and the driver's guard against loops
that never wait for the caller."""

from __future__ import annotations

import asyncio
import io

import pytest
from flowc_runtime import (
    Body,
    CallerHungUp,
    ConsoleChannel,
    Outcome,
    ScriptedChannel,
    WhenExhausted,
    run_call,
)
from flowc_runtime.call import Call, Question
from flowc_runtime.driver import MAX_STEPS_WITHOUT_TURN
from flowc_runtime.program import ENDED, Move, Step, Vars

from .helpers import local_services

ANY_QUESTION = Question("text", "Your name?")


def test_console_lines_are_turns_blank_lines_silence_and_the_end_a_hang_up() -> None:
    channel = ConsoleChannel(io.StringIO("Jane Doe\n\n   \nlast line without newline"))

    async def turns() -> list[str | None]:
        heard = [await channel.listen(ANY_QUESTION) for _ in range(4)]
        with pytest.raises(CallerHungUp):
            await channel.listen(ANY_QUESTION)
        return heard

    assert asyncio.run(turns()) == ["Jane Doe", None, None, "last line without newline"]


def test_a_scripted_channel_that_waits_gets_turns_added_later() -> None:
    channel = ScriptedChannel([], when_exhausted=WhenExhausted.WAIT)

    async def conversation() -> str | None:
        listening = asyncio.create_task(channel.listen(ANY_QUESTION))
        await asyncio.sleep(0)
        assert not listening.done()
        channel.add_turn("hello")
        return await listening

    assert asyncio.run(conversation()) == "hello"


def spin(call: Call, v: Vars) -> Move:
    return 0  # `again: -> again`


LOOP = Body(module=__name__, name="Loop", source="loop.flow", steps=(Step(3, "jump", spin),))


def test_a_loop_without_caller_turns_ends_the_call_with_a_fault() -> None:
    result = asyncio.run(run_call(LOOP, local_services(), ScriptedChannel([])))
    assert result.outcome is Outcome.ERROR
    assert result.fault == f"loop.flow:3: {MAX_STEPS_WITHOUT_TURN} steps ran without a caller turn"


async def finish(call: Call, v: Vars) -> Move:
    await call.end("Bye.")
    return ENDED


async def ask(call: Call, v: Vars) -> Move:
    return 1 if await call.collect(v, "answer", Question("text", "Again?", attempts=1)) else 0


def again_unless_done(call: Call, v: Vars) -> Move:
    return 2 if v.get("answer") == "done" else 0


LOOP_WITH_TURNS = Body(
    module=__name__,
    name="LoopWithTurns",
    source="turns.flow",
    steps=(Step(2, "collect", ask), Step(4, "if", again_unless_done), Step(5, "end", finish)),
)


def test_a_loop_that_hears_the_caller_is_never_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flowc_runtime.driver.MAX_STEPS_WITHOUT_TURN", 3)
    channel = ScriptedChannel(["more"] * 20 + ["done"])
    result = asyncio.run(run_call(LOOP_WITH_TURNS, local_services(), channel))
    assert (result.outcome, result.fault) == (Outcome.ENDED, None)
    assert channel.said == ["Again?"] * 21 + ["Bye."]


LOOPING_AFTER_CALL = Body(
    module=__name__,
    name="LoopingAfterCall",
    source="after.flow",
    steps=(Step(2, "end", finish),),
    after_call=(Step(5, "jump", spin),),
)


def test_a_loop_in_after_call_is_stopped_with_a_fault() -> None:
    result = asyncio.run(run_call(LOOPING_AFTER_CALL, local_services(), ScriptedChannel([])))
    assert result.outcome is Outcome.ENDED
    assert (
        result.fault == f"after.flow:5: 'after call' ran {MAX_STEPS_WITHOUT_TURN} steps (a loop?)"
    )
