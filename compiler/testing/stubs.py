"""What the outside world answers in a test: real implementations of the runtime's protocols.

- `StubHttp` is an `HttpClient` answering from the test's request stubs. A stub
  names a request step by its variable: the client learns which step is
  running from the call's own `step` events (`StepTracker`, an event sink),
  so no URL needs matching. A stub by `METHOD URL` matches the URL (`*`
  wildcards), whatever the step.
- `StubMessages` is a `Mailer` and an `SmsSender` that delivers every message
  (to nowhere: the transcript shows it) unless a `stub sms: fails "..."` refuses it.
- `TestChannel` is the runtime's `ScriptedChannel` whose transfers can fail,
  and which remembers the turns it handed out (the transcript shows them).
- `patched_code` replaces the Python function a `code` step calls, for one test.

Several stubs for one request answer its sends in order, the last one again and
again (a retry loop that asks twice gets the first answer, then the second).
"""

from __future__ import annotations

import builtins
import contextlib
import fnmatch
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from flowc_runtime import ScriptedChannel
from flowc_runtime.events import Event
from flowc_runtime.services import (
    JSON,
    DeliveryError,
    HttpFailure,
    HttpRequest,
    HttpResponse,
    HttpResult,
    Question,
)

from .. import ast
from .model import Answer, CodeStub, DeliveryStub, NoAnswer, RequestStub
from .programs import StepIndex


class StepTracker:
    """An event sink that remembers the step the call is running (its file and line)."""

    def __init__(self) -> None:
        self.place: tuple[str, int] | None = None

    def emit(self, event: Event) -> None:
        if event["event"] == "step":
            file, line = event["file"], event["line"]
            assert isinstance(file, str) and isinstance(line, int)
            self.place = (file, line)


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A request no stub answers: the test fails, naming it."""

    method: str
    url: str
    variable: str | None


@dataclass
class _Queue:
    """The answers of one stub target, in order; the last repeats."""

    answers: list[RequestStub]
    sent: int = 0

    def next(self) -> RequestStub:
        stub = self.answers[min(self.sent, len(self.answers) - 1)]
        self.sent += 1
        return stub


class StubHttp:
    def __init__(
        self, stubs: Iterable[RequestStub], steps: StepIndex, tracker: StepTracker
    ) -> None:
        self._by_variable: dict[str, _Queue] = {}
        self._by_url: list[tuple[str, str, _Queue]] = []
        for stub in stubs:
            if stub.variable is not None:
                queue = self._by_variable.setdefault(stub.variable.name, _Queue([]))
                queue.answers.append(stub)
            else:
                assert stub.method is not None and stub.url is not None
                self._url_queue(stub.method, stub.url).answers.append(stub)
        self._steps = steps
        self._tracker = tracker
        self.unanswered: list[Unanswered] = []

    def _url_queue(self, method: str, url: str) -> _Queue:
        for known_method, pattern, queue in self._by_url:
            if (known_method, pattern) == (method, url):
                return queue
        queue = _Queue([])
        self._by_url.append((method, url, queue))
        return queue

    async def send(self, request: HttpRequest) -> HttpResult:
        variable = self._running_request()
        queue = self._by_variable.get(variable) if variable is not None else None
        if queue is None:
            queue = self._matching_url(request)
        if queue is None:
            self.unanswered.append(Unanswered(request.method, request.url, variable))
            return HttpFailure(f"no stub answers {_target(request)}", None, 0.0, 1)
        return _answer_of(queue.next().answer, request)

    def _matching_url(self, request: HttpRequest) -> _Queue | None:
        method = request.method.upper()
        for stub_method, pattern, queue in self._by_url:
            if stub_method == method and fnmatch.fnmatchcase(request.url, pattern):
                return queue
        return None

    def _running_request(self) -> str | None:
        if self._tracker.place is None:
            return None
        step = self._steps.step(*self._tracker.place)
        return step.var.name if isinstance(step, ast.Request) else None


def _answer_of(answer: Answer | NoAnswer, request: HttpRequest) -> HttpResult:
    """What the runtime's HTTP client returns for such an answer, reason words included."""
    target = _target(request)
    if answer is NoAnswer.TIMEOUT:
        return HttpFailure(f"{target} timed out after {float(request.timeout_seconds)} s",
                           None, 0.0, 1)
    if answer is NoAnswer.REFUSED:
        return HttpFailure(f"{target}: connection refused", None, 0.0, 1)
    assert isinstance(answer, Answer)
    if not 200 <= answer.status < 300:
        return HttpFailure(f"{target} answered {answer.status} {_phrase(answer.status)}".rstrip(),
                           answer.status, 0.0, 1)
    return HttpResponse(answer.status, answer.body if answer.has_body else None, 0.0, 1)


def _target(request: HttpRequest) -> str:
    return f"{request.method.upper()} {request.url}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class StubMessages:
    """`Mailer` and `SmsSender`: takes each message, or refuses as a stub says."""

    stubs: Sequence[DeliveryStub]

    async def send_sms(self, to: str, text: str) -> None:
        self._deliver("sms", to)

    async def send_email(self, to: str, subject: str, body: str) -> None:
        self._deliver("email", to)

    def _deliver(self, medium: str, to: str) -> None:
        refusal = refusal_of(self.stubs, medium, to)
        if refusal is not None:
            raise DeliveryError(refusal)


def refusal_of(stubs: Iterable[DeliveryStub], medium: str, to: str) -> str | None:
    for stub in stubs:
        if stub.medium == medium and stub.to in (None, to):
            return stub.reason
    return None


class TestChannel(ScriptedChannel):
    """The scripted caller; a transfer a stub refuses fails, and the turns handed out are kept."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, turns: Iterable[str | None], stubs: Sequence[DeliveryStub]) -> None:
        super().__init__(turns)
        self._stubs = stubs
        self.heard: list[str | None] = []

    async def listen(self, question: Question) -> str | None:
        turn = await super().listen(question)
        self.heard.append(turn)
        return turn

    async def transfer(self, number: str) -> None:
        refusal = refusal_of(self._stubs, "transfer", number)
        if refusal is not None:
            raise DeliveryError(refusal)
        await super().transfer(number)


@contextlib.contextmanager
def patched_code(
    stubs: Sequence[CodeStub], functions: Callable[[str], list[ast.PythonDecl]]
) -> Iterator[None]:
    """Replaces, while the test runs, the Python function each stubbed `code` step calls
    (`functions` gives the declarations a variable's code steps use)."""
    with contextlib.ExitStack() as restore:
        for stub in stubs:
            for decl in functions(stub.variable.name):
                module = sys.modules.get(decl.module)
                if module is None:
                    continue  # never imported: the program was not loaded, nothing calls it
                original = getattr(module, decl.function.name)
                setattr(module, decl.function.name, _stub_function(stub))
                restore.callback(setattr, module, decl.function.name, original)
        yield


def _stub_function(stub: CodeStub) -> Callable[..., JSON]:
    def stubbed(*args: object, **kwargs: object) -> JSON:
        if stub.raises is not None:
            raise _exception(stub.raises, stub.message)
        return stub.returns

    return stubbed


def _exception(name: str, message: str) -> Exception:
    """An exception of the named built-in class, or of a new class of that name."""
    known: object = getattr(builtins, name, None)
    if isinstance(known, type) and issubclass(known, Exception):
        raised: Exception = known(message)
        return raised
    named: type[Exception] = type(name, (Exception,), {})
    return named(message)
