"""`flowc run ... --record FILE`: a real session written down as a `.flowtest`.

The recorder sits between the call and its real services: it keeps the
caller's turns as the channel hands them over, every answer the HTTP client
got (by the request step's variable, as a stub), the environment variables
the flow read, the clock at the start, and the messages refused. When the
call is over it writes the test: replayed with `flowc test`, the call gets the
same answers with no API running.

A secret environment variable is written as a placeholder, never its value;
a secret answer of the caller is written as said (the test has to say it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flowc_runtime import Body, MemorySink
from flowc_runtime.events import EventSink
from flowc_runtime.services import (
    JSON,
    Channel,
    HttpClient,
    HttpFailure,
    HttpRequest,
    HttpResult,
    Question,
    Services,
)

from .. import ast
from .programs import StepIndex
from .session import transcript_of
from .stubs import StepTracker

SECRET_PLACEHOLDER = "not-recorded"
# Bodies this long or longer are written over several lines.
INLINE_BODY_CHARS = 72


@dataclass
class _Answer:
    variable: str | None
    request: HttpRequest
    result: HttpResult


class _RecordingHttp:
    def __init__(self, inner: HttpClient, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def send(self, request: HttpRequest) -> HttpResult:
        result = await self._inner.send(request)
        self._recorder.answers.append(_Answer(self._recorder.running_request(), request, result))
        return result


class _RecordingChannel:
    """The real channel, keeping each turn it hands over."""

    def __init__(self, inner: Channel, heard: list[str | None]) -> None:
        self._inner = inner
        self._heard = heard

    async def say(self, text: str, interruptible: bool = True) -> None:
        await self._inner.say(text, interruptible)

    async def listen(self, question: Question) -> str | None:
        turn = await self._inner.listen(question)
        self._heard.append(turn)
        return turn

    async def transfer(self, number: str) -> None:
        await self._inner.transfer(number)

    async def hang_up(self) -> None:
        await self._inner.hang_up()


@dataclass
class Recorder:
    """Records one call of `flow` (file `source`); `write` makes the test of it."""

    source: str
    flow: Body
    steps: StepIndex
    caller: str
    callee: str
    answers: list[_Answer] = field(default_factory=list)
    heard: list[str | None] = field(default_factory=list)
    env_read: dict[str, str | None] = field(default_factory=dict)
    started: datetime | None = None
    log: MemorySink = field(default_factory=MemorySink)
    tracker: StepTracker = field(default_factory=StepTracker)

    def sinks(self) -> list[EventSink]:
        return [self.tracker, self.log]

    def channel(self, inner: Channel) -> Channel:
        return _RecordingChannel(inner, self.heard)

    def services(self, inner: Services) -> Services:
        self.started = inner.clock()
        return replace(inner, http=_RecordingHttp(inner.http, self), env=self._env(inner.env))

    def _env(self, lookup: Callable[[str], str | None]) -> Callable[[str], str | None]:
        def read(name: str) -> str | None:
            value = lookup(name)
            self.env_read.setdefault(name, value)
            return value

        return read

    def running_request(self) -> str | None:
        if self.tracker.place is None:
            return None
        step = self.steps.step(*self.tracker.place)
        return step.var.name if isinstance(step, ast.Request) else None

    def write(self, path: str) -> None:
        """Writes the test; raises OSError when the file cannot be written."""
        Path(path).write_text(self.text(path), encoding="utf-8")

    def text(self, path: str) -> str:
        folder = os.path.dirname(os.path.abspath(path))
        flow_file = os.path.relpath(os.path.abspath(self.source), folder)
        lines = [
            f"# Recorded by `flowc run {self.source} --record`; replay it with `flowc test`.",
            f"test {json.dumps(Path(path).stem.replace('_', ' '))}",
            f"flow {self.flow.name} from {json.dumps(flow_file)}",
            f"call from {self.caller} to {self.callee}",
        ]
        if self.started is not None:
            lines.append(f"clock {_clock_text(self.started)}")
        lines += self._env_lines()
        stubs = [_stub_line(answer) for answer in self.answers]
        stubs += self._refusals()
        if stubs:
            lines += ["", *stubs]
        lines += ["", *transcript_of(self.log.events, self.heard)]
        return "\n".join(lines) + "\n"

    def _env_lines(self) -> list[str]:
        secret = set(self.flow.secret_env)
        lines = []
        for name, value in sorted(self.env_read.items()):
            if value is None:
                continue
            shown = SECRET_PLACEHOLDER if name in secret else value
            lines.append(f"env {name} = {json.dumps(shown, ensure_ascii=False)}")
        return lines

    def _refusals(self) -> list[str]:
        lines = []
        for event in self.log.of_kind("message_failed"):
            reason = json.dumps(event["reason"], ensure_ascii=False)
            lines.append(f"stub {event['medium']} to {event['to']}: fails {reason}")
        return lines


def _clock_text(moment: datetime) -> str:
    written = moment.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(moment.tzinfo, ZoneInfo):
        return f"{written} {moment.tzinfo.key}"
    return moment.replace(microsecond=0).isoformat()


def _stub_line(answer: _Answer) -> str:
    target = answer.variable or f"{answer.request.method.upper()} {answer.request.url}"
    result = answer.result
    if isinstance(result, HttpFailure):
        if result.status is not None:
            return f"stub {target}: {result.status}"
        return f"stub {target}: {'timeout' if 'timed out' in result.reason else 'refused'}"
    return f"stub {target}: {result.status} {_body_text(result.body)}"


def _body_text(body: JSON) -> str:
    inline = json.dumps(body, ensure_ascii=False)
    if len(inline) < INLINE_BODY_CHARS:
        return inline
    return json.dumps(body, ensure_ascii=False, indent=2)
