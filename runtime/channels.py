"""Channels: the voice side of a call (see `Channel` in services.py).

- `ConsoleChannel`: a person types as the caller. One line is one turn, an
  empty line is silence, the end of input is the caller hanging up. What the
  agent says is shown by the transcript printer, not by the channel.
- `ScriptedChannel`: a fixed list of caller turns, for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from enum import StrEnum
from typing import IO

from .services import CallerHungUp, Question


class AwaitingCaller(Exception):
    """The channel has no caller turn yet: the call is suspended at its collect.

    The driver stores the call's state instead of finishing it; `resume_call`
    continues it (in this process or another) once a turn has arrived.
    """


class ConsoleChannel:
    def __init__(self, stream: IO[str], *, prompt: str = "") -> None:
        self._stream = stream
        # shown before reading at a terminal, so the person knows it is their turn
        self._prompt = prompt

    async def say(self, text: str, interruptible: bool = True) -> None:
        return None

    async def listen(self, question: Question) -> str | None:
        # A person at a keyboard gets no timeout: an empty line is how they stay silent.
        line = await asyncio.to_thread(self._read_line)
        if line == "":
            raise CallerHungUp()
        turn = line.rstrip("\r\n")
        return turn if turn.strip() else None

    def _read_line(self) -> str:
        if self._prompt:
            print(self._prompt, end="", flush=True)
        line = self._stream.readline()
        if self._prompt and not line:
            print()  # end of input (Ctrl-D) leaves the cursor after the prompt
        return line

    async def transfer(self, number: str) -> None:
        return None

    async def hang_up(self) -> None:
        return None


class WhenExhausted(StrEnum):
    HANG_UP = "hang_up"  # the caller hangs up (CallerHungUp)
    SUSPEND = "suspend"  # the call is suspended for a later turn (AwaitingCaller)
    WAIT = "wait"  # listen waits until `add_turn` supplies one


class ScriptedChannel:
    """Caller turns from a list (None is silence); records what the agent did."""

    def __init__(
        self,
        turns: Iterable[str | None],
        *,
        when_exhausted: WhenExhausted = WhenExhausted.HANG_UP,
    ) -> None:
        self._turns: deque[str | None] = deque(turns)
        self._when_exhausted = when_exhausted
        self._turn_arrived: asyncio.Event | None = None
        self.said: list[str] = []
        self.questions: list[Question] = []  # what each listen was asked for
        self.transferred_to: list[str] = []
        self.hung_up = False

    def add_turn(self, turn: str | None) -> None:
        self._turns.append(turn)
        if self._turn_arrived is not None:
            self._turn_arrived.set()

    async def say(self, text: str, interruptible: bool = True) -> None:
        self.said.append(text)

    async def listen(self, question: Question) -> str | None:
        self.questions.append(question)
        while not self._turns:
            if self._when_exhausted is WhenExhausted.HANG_UP:
                raise CallerHungUp()
            if self._when_exhausted is WhenExhausted.SUSPEND:
                raise AwaitingCaller()
            self._turn_arrived = asyncio.Event()
            await self._turn_arrived.wait()
            self._turn_arrived = None
        return self._turns.popleft()

    async def transfer(self, number: str) -> None:
        self.transferred_to.append(number)

    async def hang_up(self) -> None:
        self.hung_up = True
