"""The runtime's pluggable parts, as small protocols, and the data they exchange.

Generated code never does I/O itself: it asks the `Call` object, which goes
through these. Each protocol has real implementations in this package:

- `Channel`: console, scripted (tests), later telephony webhooks  (channels.py)
- `HttpClient`: httpx with timeouts and retries                    (http.py)
- `Mailer`: SMTP via aiosmtplib; `SmsSender`: Twilio over httpx;
  `Outbox`: both, kept locally when nothing is configured          (messaging.py)
- `Understanding`: caller words to typed values                    (understanding.py;
  options by meaning, with the semantic extra: semantic.py)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TypeAlias

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None


class CallerHungUp(Exception):
    """Raised by a channel when the caller has hung up (console: end of input)."""


class DeliveryError(Exception):
    """An email or SMS could not be handed over; the message says why in words."""


DEFAULT_ATTEMPTS = 3
DEFAULT_TIMEOUT_SECONDS = 5.0


class DayPart(StrEnum):
    """The part of the day a `collect` of a time or datetime expects: an hour said
    without am/pm is read inside it ("seven" is 19:00 in the evening)."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


@dataclass(frozen=True, slots=True)
class Question:
    """What a `collect` asks: the type to understand, the prompts, how long to try.

    `type_name` is a collectable `ValueType` (values.py), or its text as generated
    code writes it (`"date"`): the two compare equal.
    """

    type_name: str
    prompt: str
    reprompt: str | None = None
    options: Sequence[str] | None = None
    attempts: int = DEFAULT_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # A `DayPart` (or its text, "evening"), passed on to `Understanding.understand`.
    day_part: str | None = None
    # `expect 8 digits`: the answer is that many digits, keyed (a telephony channel
    # ends the keying there or on `#`) or said one by one.
    digits: int | None = None


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of a form (`collect order: {size: text in [...], ...}`): its collect type
    (as `Question.type_name`), the prompt that asks for it alone, and its options."""

    name: str
    type_name: str
    prompt: str
    options: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class FormQuestion:
    """What a collect of a record asks (runtime/form_dialogue.py): one opening `prompt`,
    then each field still missing by its own prompt, `attempts` times each.

    `given` holds the fields known before asking (None values are not known). `confirm`
    makes the read-back from the body's variables with the form's variable set to the
    values heard (the generated code passes a function of the variables); `reprompt` is
    what the agent asks when the caller says no to it (default: the opening prompt).
    """

    prompt: str
    fields: tuple[FormField, ...]
    reprompt: str | None = None
    attempts: int = DEFAULT_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # A record (a dict) of the known fields; anything else (an undefined variable) is none.
    given: JSON = None
    confirm: Callable[[dict[str, JSON]], str] | None = None


@dataclass(frozen=True, slots=True)
class HeardIntent:
    """What `Understanding.intent` found: the intent the caller said, by one of its phrases."""

    intent: str
    phrase: str


class Channel(Protocol):
    """The voice side of a call: what the agent says and what the caller answers."""

    async def say(self, text: str, interruptible: bool = True) -> None:
        """Says the text. `interruptible` False (`talk "..." uninterruptible`): a channel
        whose caller can barge in lets this text be said to its end."""
        ...

    async def listen(self, question: Question) -> str | None:
        """The caller's next turn; None for silence. Raises CallerHungUp.

        The question lets a telephony channel set up its listening: how long to
        wait, speech hints from the options, whether keypad digits make sense.
        """
        ...

    async def transfer(self, number: str) -> None:
        """Hand the call to a number. Raises DeliveryError when it cannot."""
        ...

    async def hang_up(self) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: JSON | None = None
    has_body: bool = False
    timeout_seconds: float = 10.0
    retries: int = 0


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A 2xx answer whose body parsed as JSON."""

    status: int
    body: JSON
    duration_ms: float
    attempts: int


@dataclass(frozen=True, slots=True)
class HttpFailure:
    """Anything else: network error, timeout, non-2xx, body not JSON. `reason` is in words."""

    reason: str
    status: int | None
    duration_ms: float
    attempts: int


HttpResult: TypeAlias = HttpResponse | HttpFailure


class HttpClient(Protocol):
    async def send(self, request: HttpRequest) -> HttpResult:
        """Never raises for a failed request: failures are `HttpFailure` values."""
        ...


class Mailer(Protocol):
    async def send_email(self, to: str, subject: str, body: str) -> None:
        """Raises DeliveryError when the message is refused or cannot be sent."""
        ...


class SmsSender(Protocol):
    async def send_sms(self, to: str, text: str) -> None:
        """Raises DeliveryError when the message is refused or cannot be sent."""
        ...


class Understanding(Protocol):
    def understand(
        self,
        type_name: str,
        utterance: str,
        options: Sequence[str] | None,
        now: datetime,
        day_part: str | None = None,
    ) -> JSON | None:
        """The typed value the caller meant, or None when it is not one.

        `type_name` is a collect type of LANGUAGE.md section 6 (`values.COLLECTABLE`:
        text, number, bool, date, time, datetime, phone, email, secret); `options` is given
        for `text in [...]` and the result is then one of them. Values are JSON:
        numbers as int/float, date "YYYY-MM-DD", time "HH:MM", datetime
        "YYYY-MM-DDTHH:MM", phone in E.164 form ("+15551230000"), email "name@domain",
        secret the words as text, or only the digits when only digits were said
        ("1 2 3 4" -> "1234"). `day_part` (a `DayPart`, from `Question.day_part`)
        is the part of the day a time or datetime is expected in.
        """
        ...

    def understand_form(
        self, utterance: str, fields: Sequence[FormField], now: datetime, asking: str | None
    ) -> dict[str, JSON]:
        """The fields of a form one answer gives, by name (runtime/forms.py says how the
        rules read them): "a large pepperoni" gives a size and a topping. `asking` is the
        field the agent asked for (None: the opening prompt or the read-back): a value
        that could fill several fields fills that one. Values are as `understand` gives."""
        ...

    def intent(
        self, utterance: str, intents: Mapping[str, Sequence[str]]
    ) -> HeardIntent | None:
        """The intent whose phrase the answer says, of `intents` (each name's phrases),
        or None.

        Asked at a `collect` where global intents apply, before `understand`: an
        answer that says an intent's phrase is not read as a value.
        """
        ...

    def intent_by_meaning(
        self,
        utterance: str,
        intents: Mapping[str, Sequence[str]],
        options: Sequence[str] | None,
    ) -> HeardIntent | None:
        """The intent the answer means without saying its phrase, or None (the rules
        know none). Asked last: when `intent` found none and `understand` read no
        value; `options` are the question's (None without), which the intent must
        be clearly nearer to than to any of them.
        """
        ...


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def process_environment(name: str) -> str | None:
    """`env("NAME")` reads the process environment by default."""
    return os.environ.get(name)


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a call uses besides its channel: one bundle, built once per process.

    `flowc_runtime.config.services_from_env()` builds the real one; tests build
    their own with local servers. The clock and the environment lookup go through
    here too, so generated code never reads them itself (a workflow engine can
    replay a call deterministically by supplying its own).
    """

    http: HttpClient
    mailer: Mailer
    sms: SmsSender
    understanding: Understanding
    clock: Callable[[], datetime] = system_clock
    env: Callable[[str], str | None] = process_environment
