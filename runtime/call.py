"""`Call`: the one object generated code talks to.

Every effect a step has goes through a `Call` method: speaking, listening,
HTTP, messages, transfers, Python code, the clock and the environment. The
generated code itself only computes values and returns moves, which is what
lets the same module run under another driver (a workflow engine replaying a
call) without change.

Methods that can fail in a way the flow handles (`collect`, `request`, `code`,
`send_sms`, `send_email`, `transfer`) return a bool: True for the normal way
out, False for `no_answer`/`error`. The reason is in the event log.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TypeAlias, TypeVar, TypeVarTuple

from . import ops
from .events import (
    MASK,
    CodeCalled,
    CodeFailed,
    EventLog,
    Heard,
    IntentHeard,
    MessageFailed,
    MessageSent,
    NoAnswer,
    RequestAnswered,
    RequestFailed,
    RequestSent,
    Say,
    StepEntered,
    Transfer,
    TransferFailed,
    VariableSet,
)
from .form_dialogue import FormDialogue
from .formats import Formats, formats_of
from .intents import keys_only
from .ops import Shape
from .program import Frame, Intent, IntentTaken, Step, Vars
from .services import (
    JSON,
    Channel,
    DeliveryError,
    FormField,
    FormQuestion,
    HeardIntent,
    HttpFailure,
    HttpRequest,
    Question,
    Services,
)
from .understanding import understand_digits
from .values import ValueType

V = TypeVar("V", bound=JSON)
# The arguments of a `code` step's function, checked by mypy against its signature.
Ts = TypeVarTuple("Ts")
# How a `code` step's function is called with its arguments: `call_in_process`, or a
# workflow engine's (flowc_runtime.temporal runs it as an activity on a worker).
CodeRunner: TypeAlias = Callable[[Callable[..., object], tuple[object, ...]], Awaitable[object]]


async def call_in_process(function: Callable[..., object], arguments: tuple[object, ...]) -> object:
    """The function's result (awaited when it is a coroutine function's)."""
    return await ops.settle(function(*arguments))


__all__ = ["Call", "CallInfo", "FormField", "FormQuestion", "Question"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    """`call.id`, `call.caller`, `call.callee`, `call.started_at`."""

    id: str
    caller: str
    callee: str
    started_at: str


class Call:
    def __init__(
        self,
        info: CallInfo,
        services: Services,
        channel: Channel,
        log: EventLog,
        frames: list[Frame],
    ) -> None:
        self.info = info
        self.services = services
        self.channel = channel
        self.log = log
        self.frames = frames
        self.outcome: str = ""
        # The attempt a suspended `collect` was waiting on (its prompt already said).
        self.pending_attempt: int | None = None
        # A suspended `transfer` was handed to the channel (its `say` already said);
        # the resumed step only learns how the dial went.
        self.pending_transfer = False
        self.turns = 0  # caller turns heard so far (the driver's loop guard reads it)
        # The answers of `collect x: secret` steps (keep_answer), sealed at rest.
        self.secret_answers: list[str] = []

    # ----------------------------------------------------------------- built-ins

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def caller(self) -> str:
        return self.info.caller

    @property
    def callee(self) -> str:
        return self.info.callee

    @property
    def started_at(self) -> str:
        return self.info.started_at

    def today(self) -> str:
        """`today`: the date in the call's time zone, from the runtime's clock."""
        return ops.iso(self.services.clock().date())

    def now(self) -> str:
        """`now`: the date and time in the call's time zone (wall-clock, to the second)."""
        return ops.iso(self.services.clock().replace(tzinfo=None, microsecond=0))

    def zone(self) -> tzinfo | None:
        """The call's time zone: the zone of its clock."""
        return self.services.clock().tzinfo

    @functools.cached_property
    def formats(self) -> Formats:
        """How this call says values: FLOWC_LOCALE and FLOWC_CURRENCY, read as `env()` reads
        (services_from_env refuses bad ones before any call starts)."""
        try:
            env = self.services.env
            return formats_of(env("FLOWC_LOCALE"), env("FLOWC_CURRENCY"))
        except ValueError as exc:
            raise ops.FlowFault(str(exc)) from None

    def spoken(self, value: JSON, shape: Shape) -> str:
        """A value in a spoken text, by its type's rule (runtime/formats.py)."""
        return self.formats.spoken(value, shape)

    def formatted(self, value: JSON, name: str) -> str:
        """`value as FORMAT`."""
        return self.formats.formatted(value, name)

    def env(self, name: str, type_name: Shape = ValueType.TEXT) -> JSON:
        """`env("NAME") as TYPE`: the value as that type; None when the variable is not set."""
        value = self.services.env(name)
        return None if value is None else ops.from_env(name, value, type_name)

    def env_secret(self, name: str) -> str | None:
        """`env("NAME")`: a secret, masked in every event from now on."""
        return self.keep_secret(self.services.env(name))

    def keep_secret(self, value: V) -> V:
        """Registers a secret value (a secret input) so the log masks it."""
        self.log.secrets.add(value)
        return value

    # ----------------------------------------------------------------- variables

    def set(self, v: Vars, name: str, value: JSON) -> None:
        v[name] = value
        if self.log.active:
            self.log.emit(VariableSet(name, value))

    # ----------------------------------------------------------------- voice

    def step_entered(self, source: str, step: Step) -> None:
        self.log.emit(StepEntered(source, step.line, step.kind))

    def say(self, text: str, interruptible: bool = True) -> Awaitable[None]:
        """Logs the text and hands it to the channel; await the result.

        A plain function returning the channel's awaitable, not a coroutine of
        its own: `talk` is the most common step, and this saves a frame per turn.
        """
        if self.log.active:
            self.log.emit(Say(text))
        # The flag is passed only when it is not the default: most texts are
        # interruptible, and a channel with no barge-in may ignore the keyword.
        if interruptible:
            return self.channel.say(text)
        return self.channel.say(text, interruptible=False)

    async def collect(self, v: Vars, name: str, question: Question) -> bool:
        """Asks until the answer is understood as the question's type, or attempts run out.

        Silence and answers that are not a value of the type both use up an
        attempt. If the channel has no turn yet (`AwaitingCaller`), the attempt
        is remembered so a resumed call listens again without repeating itself.
        """
        if question.options is not None and not question.options:
            # Options computed when the step runs (`in slots.times`) and none came: there
            # is nothing the caller could choose, so the step takes its no_answer path.
            self.log.emit(NoAnswer(name, 0))
            return False
        attempt = self.pending_attempt or 1
        already_prompted = self.pending_attempt is not None
        self.pending_attempt = None
        while attempt <= question.attempts:
            if not already_prompted:
                await self.say(_prompt_for(question, attempt))
            already_prompted = False
            self.pending_attempt = attempt
            heard = await self.channel.listen(question)
            self.pending_attempt = None
            self.turns += 1
            self._take_intent(question, heard)
            if question.type_name == ValueType.SECRET:
                value = self._understand_secret(question, heard)
            else:
                self.log.emit(Heard(heard))
                value = self._understand(question, heard)
            if value is None:
                self._take_intent_by_meaning(question, heard)
            else:
                self.set(v, name, value)
                return True
            attempt += 1
        self.log.emit(NoAnswer(name, question.attempts))
        return False

    async def collect_form(self, v: Vars, name: str, form: FormQuestion) -> bool:
        """A collect of a record: asks for its fields until each has a value (and the
        caller confirms them, with `confirm`), or a question runs out of attempts
        (runtime/form_dialogue.py)."""
        return await FormDialogue(self, v, name, form).run()

    async def hear(self, question: Question) -> str | None:
        """One caller turn for a question the agent has asked (a form's): counted, and
        checked for a global intent like the answer of a collect."""
        heard = await self.channel.listen(question)
        self.turns += 1
        self._take_intent(question, heard)
        return heard

    def _take_intent(self, question: Question, heard: str | None) -> None:
        """Raises IntentTaken when the answer says the phrase of a global intent that
        applies here (see `_intent_scopes`); asked before the answer is read."""
        for depth, intents in self._intent_scopes(heard):
            phrases = {intent.name: intent.phrases for intent in intents}
            found = self.services.understanding.intent(heard or "", phrases)
            self._leave_for(found, depth, intents, question, heard, logged=False)

    def _take_intent_by_meaning(self, question: Question, heard: str | None) -> None:
        """Raises IntentTaken when an answer read as no value means a global intent that
        applies here, clearly more than any option of the question."""
        understanding = self.services.understanding
        for depth, intents in self._intent_scopes(heard):
            phrases = {intent.name: intent.phrases for intent in intents}
            found = understanding.intent_by_meaning(heard or "", phrases, question.options)
            self._leave_for(found, depth, intents, question, heard, logged=True)

    def _intent_scopes(self, heard: str | None) -> list[tuple[int, list[Intent]]]:
        """The global intents that apply to an answer at this collect, innermost body
        first, each with the depth of its frame: the current body's, then those of
        the body below it that runs it not named above, and so on down to the flow.
        A body's intents are asked before the next body's, so an action's intent wins
        over its flow's that says the same words. None for silence, and for keys."""
        if heard is None or not heard.strip() or keys_only(heard):
            return []
        scopes: list[tuple[int, list[Intent]]] = []
        named: set[str] = set()
        for depth in range(len(self.frames) - 1, -1, -1):
            own = [i for i in self.frames[depth].body.intents if i.name not in named]
            named.update(intent.name for intent in own)
            if own:
                scopes.append((depth, own))
        return scopes

    def _leave_for(
        self,
        found: HeardIntent | None,
        depth: int,
        intents: list[Intent],
        question: Question,
        heard: str | None,
        *,
        logged: bool,
    ) -> None:
        """Logs the answer `heard` (unless `logged`) and the intent found, then raises
        IntentTaken; nothing when none of `intents` (of the frame at `depth`) was
        found. At a secret collect, the words are masked and so is the phrase (which
        would tell what was said)."""
        intent = next((i for i in intents if found is not None and i.name == found.intent), None)
        if found is None or intent is None:
            return
        secret = question.type_name == ValueType.SECRET
        if not logged:
            self.log.emit(Heard(MASK if secret else heard))
        left = [frame.body.name for frame in reversed(self.frames[depth + 1 :])]
        phrase = MASK if secret else found.phrase
        self.log.emit(IntentHeard(intent.name, phrase, self.frames[depth].body.name, left))
        raise IntentTaken(depth, intent.step)

    def _understand_secret(self, question: Question, heard: str | None) -> JSON:
        """A secret answer: registered before the `heard` event, which never holds the
        words ("***"; silence stays None), so no sink sees them in clear."""
        value = self._understand(question, heard)
        self.keep_answer(value)
        self.log.emit(Heard(None if heard is None or not heard.strip() else MASK))
        return value

    def keep_answer(self, value: JSON) -> None:
        """Registers a secret answer: masked in the log, sealed in a stored state."""
        if isinstance(value, str) and value:
            self.log.secrets.add(value)
            if value not in self.secret_answers:
                self.secret_answers.append(value)

    def _understand(self, question: Question, heard: str | None) -> JSON:
        if heard is None or not heard.strip():
            return None
        if question.digits is not None:
            # Keys, or digits said one by one: read alike in every language, so not
            # the pluggable understanding's to read.
            return understand_digits(heard, question.digits)
        return self.services.understanding.understand(
            question.type_name, heard, question.options, self.services.clock(), question.day_part
        )

    async def transfer(self, to: str, say: str | None) -> bool:
        if say is not None and not self.pending_transfer:
            await self.say(say)
        self.pending_transfer = True
        try:
            await self.channel.transfer(to)
        except DeliveryError as exc:
            self.pending_transfer = False
            self.log.emit(TransferFailed(to, str(exc)))
            return False
        self.pending_transfer = False
        self.log.emit(Transfer(to))
        return True

    async def end(self, text: str | None) -> None:
        """`end ["text"]`: says the text; the driver then hangs up (see driver.drive)."""
        if text is not None:
            await self.say(text)

    # ----------------------------------------------------------------- services

    async def request(
        self, v: Vars, name: str, request: HttpRequest, expect: Shape | None = None
    ) -> bool:
        """Sends the request; on a 2xx JSON answer of the expected shape, sets `name`."""
        self.log.emit(RequestSent(request.method, request.url))
        result = await self.services.http.send(request)
        if isinstance(result, HttpFailure):
            self._request_failed(
                request,
                result.reason,
                result.status,
                result.duration_ms,
                result.attempts,
            )
            return False
        mismatch = ops.shape_mismatch(result.body, expect) if expect is not None else None
        if mismatch is not None:
            reason = f"the answer does not match expect: {mismatch}"
            self._request_failed(
                request, reason, result.status, result.duration_ms, result.attempts
            )
            return False
        body = result.body if expect is None else ops.with_moments(result.body, expect, self.zone())
        self.log.emit(
            RequestAnswered(
                request.method,
                request.url,
                result.status,
                round(result.duration_ms, 1),
                result.attempts,
            )
        )
        self.set(v, name, body)
        return True

    def _request_failed(
        self,
        request: HttpRequest,
        reason: str,
        status: int | None,
        duration_ms: float,
        attempts: int,
    ) -> None:
        self.log.emit(
            RequestFailed(
                request.method, request.url, reason, status, round(duration_ms, 1), attempts
            )
        )

    async def send_sms(self, to: str, text: str) -> bool:
        try:
            await self.services.sms.send_sms(to, text)
        except DeliveryError as exc:
            self.log.emit(MessageFailed("sms", to, str(exc)))
            return False
        self.log.emit(MessageSent(medium="sms", to=to, text=text, via=_via(self.services.sms)))
        return True

    async def send_email(self, to: str, subject: str, body: str) -> bool:
        try:
            await self.services.mailer.send_email(to, subject, body)
        except DeliveryError as exc:
            self.log.emit(MessageFailed("email", to, str(exc)))
            return False
        via = _via(self.services.mailer)
        self.log.emit(MessageSent(medium="email", to=to, subject=subject, via=via))
        return True

    # Set by a workflow engine on its calls; None: `call_in_process`.
    code_runner: CodeRunner | None = None

    async def code(
        self,
        v: Vars,
        name: str,
        function: str,
        callee: Callable[[*Ts], object],
        *arguments: *Ts,
        returns: Shape | None = None,
    ) -> bool:
        """Calls a `code` step's function (`function` is its .flow name) with its
        arguments, through the call's `code_runner`; if it raises or returns a value that
        is not of its declared type, the step takes its error path."""
        self.log.emit(CodeCalled(function))
        started = time.perf_counter()
        run = self.code_runner or call_in_process
        try:
            result = ops.to_json(await run(callee, arguments))
            mismatch = ops.shape_mismatch(result, returns, "result") if returns else None
            if mismatch is not None:
                raise ops.FlowFault(
                    f"{function} returned a value not of its declared type: {mismatch}"
                )
        # The callable is the user's own Python: whatever it raises is the flow's
        # error path, never a crash of the call; that includes sys.exit(), which
        # would otherwise end the whole process with no after call.
        except (Exception, SystemExit) as exc:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            self.log.emit(CodeFailed(function, _exception_text(exc), duration_ms))
            return False
        self.set(v, name, result)
        return True


def _via(sender: object) -> str:
    """Which sender took a message ("Outbox", "TwilioSms", "SmtpMailer", ...): a sender
    that hands messages on elsewhere (a workflow's activity) names the one that took the
    last as its `via`."""
    via = getattr(sender, "via", None)
    return via if isinstance(via, str) else type(sender).__name__


def _exception_text(exc: BaseException) -> str:
    if isinstance(exc, ops.FlowFault):
        return str(exc)
    if isinstance(exc, SystemExit):
        return f"the function called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _prompt_for(question: Question, attempt: int) -> str:
    if attempt > 1 and question.reprompt is not None:
        return question.reprompt
    return question.prompt
