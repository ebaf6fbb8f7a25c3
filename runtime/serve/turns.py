"""What a served call's turn takes in and gives back, whatever the transport.

A phone platform reaches the server once per turn: the call starts, the caller
answers a question, a dial ends, the caller hangs up. That is a `CallerInput`.
The server runs the call's steps until it waits again and answers a `Reply`:
what the agent says, then what happens next (listen for the caller, dial a
number, hang up, or hold while a slow step goes on). Transports turn a reply
into TwiML (twilio_voice.py) or WebSocket messages (relay.py).

`TurnChannel` is the `Channel` the driver talks to during one turn: it hands the
turn's input to the first `listen` (or `transfer`) and, at the next one,
records what the call now waits for and suspends the call (`AwaitingCaller`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from ..channels import AwaitingCaller
from ..services import JSON, CallerHungUp, DeliveryError, Question

# Twilio's DialCallStatus values for a dial that reached someone.
DIAL_CONNECTED = frozenset({"completed", "answered"})


class InputKind(StrEnum):
    START = "start"  # the incoming call
    TURN = "turn"  # the caller answered (words, keypad digits) or stayed silent
    DIAL = "dial"  # a transfer's dial ended
    HANGUP = "hangup"  # the caller hung up


@dataclass(frozen=True, slots=True)
class CallerInput:
    kind: InputKind
    heard: str | None = None  # TURN: the words or digits; None is silence
    dial_status: str | None = None  # DIAL: Twilio's DialCallStatus

    def to_json(self) -> dict[str, JSON]:
        return {"kind": self.kind.value, "heard": self.heard, "dial_status": self.dial_status}

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> CallerInput:
        heard, status = data.get("heard"), data.get("dial_status")
        return cls(
            InputKind(str(data["kind"])),
            heard if isinstance(heard, str) else None,
            status if isinstance(status, str) else None,
        )


START = CallerInput(InputKind.START)
HUNG_UP = CallerInput(InputKind.HANGUP)

# Options 1 to 9 each take one key; with ten or more a menu waits for `#` or a pause.
MAX_ONE_KEY_OPTIONS = 9


def keys_that_answer(question: Question) -> int | None:
    """How many keys answer the question without waiting for `#` or a pause: the
    count of `expect N digits`, one for a menu of at most nine options ("press 1
    for sales"), else None. Options that are numbers ("5", "10") may be keyed as
    such, so they wait."""
    if question.digits is not None:
        return question.digits
    options = question.options
    if options and len(options) <= MAX_ONE_KEY_OPTIONS and not any(
        option.strip().isdigit() for option in options
    ):
        return 1
    return None


class Next(StrEnum):
    """What follows the agent's words in a reply."""

    LISTEN = "listen"  # the caller's turn: `question` says for what
    DIAL = "dial"  # a transfer to `number`; the dial's end is the next turn
    HANG_UP = "hang_up"  # the agent ends the call
    HOLD = "hold"  # a step is still running: hold, then ask again for the rest
    NOTHING = "nothing"  # the call is already over (the caller hung up)


@dataclass(frozen=True, slots=True)
class Said:
    """A text of a reply, and whether the caller may cut it short by speaking."""

    text: str
    interruptible: bool = True


@dataclass(frozen=True, slots=True)
class Reply:
    says: tuple[str, ...]
    next: Next
    question: Question | None = None
    number: str | None = None
    # The positions in `says` of `talk ... uninterruptible` texts.
    uninterruptible: frozenset[int] = frozenset()

    def said(self) -> tuple[Said, ...]:
        """The texts with whether each may be interrupted (barge-in)."""
        return tuple(
            Said(text, index not in self.uninterruptible) for index, text in enumerate(self.says)
        )

    def to_json(self) -> dict[str, JSON]:
        question: JSON = None
        if self.question is not None:
            q = self.question
            question = {
                "type_name": q.type_name,
                "prompt": q.prompt,
                "reprompt": q.reprompt,
                "options": None if q.options is None else list(q.options),
                "attempts": q.attempts,
                "timeout_seconds": q.timeout_seconds,
                "digits": q.digits,
            }
        uninterruptible: list[JSON] = [index for index in sorted(self.uninterruptible)]
        return {
            "says": list(self.says),
            "next": self.next.value,
            "question": question,
            "number": self.number,
            "uninterruptible": uninterruptible,
        }

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Reply:
        says, q, number = data["says"], data.get("question"), data.get("number")
        assert isinstance(says, list)
        # Absent from replies stored before `uninterruptible`.
        held = data.get("uninterruptible")
        uninterruptible = frozenset(
            i for i in (held if isinstance(held, list) else ()) if isinstance(i, int)
        )
        question = None
        if isinstance(q, dict):
            options = q["options"]
            reprompt = q["reprompt"]
            digits = q.get("digits")  # absent from replies stored before `expect N digits`
            question = Question(
                str(q["type_name"]),
                str(q["prompt"]),
                reprompt if isinstance(reprompt, str) else None,
                [str(o) for o in options] if isinstance(options, list) else None,
                int(str(q["attempts"])),
                float(str(q["timeout_seconds"])),
                digits=digits if isinstance(digits, int) else None,
            )
        return cls(
            tuple(str(s) for s in says),
            Next(str(data["next"])),
            question,
            number if isinstance(number, str) else None,
            uninterruptible,
        )


@dataclass
class TurnChannel:
    """The channel of one turn: it gives the turn's input once, then suspends the call.

    `caller_gone` is set when the status callback says the caller hung up while
    this turn runs (a slow API call): the next `listen` or `transfer` then ends
    the call as a hang-up. `call_over` is set once the agent's side is done (a
    hang-up, a completed transfer): the reply can go out while `after call` runs.
    """

    input: CallerInput
    says: list[str] = field(default_factory=list)
    next: Next = Next.NOTHING
    question: Question | None = None
    number: str | None = None
    caller_gone: bool = False
    call_over: asyncio.Event = field(default_factory=asyncio.Event)
    # says already sent in a hold reply, not to be said again
    delivered: int = 0
    # The positions in `says` of the texts the caller may not interrupt.
    held: set[int] = field(default_factory=set)

    async def say(self, text: str, interruptible: bool = True) -> None:
        if not interruptible:
            self.held.add(len(self.says))
        self.says.append(text)

    async def listen(self, question: Question) -> str | None:
        turn = self._take(InputKind.TURN)
        if turn is not None:
            return turn.heard
        self.next, self.question = Next.LISTEN, question
        raise AwaitingCaller()

    async def transfer(self, number: str) -> None:
        dial = self._take(InputKind.DIAL)
        if dial is None:
            self.next, self.number = Next.DIAL, number
            raise AwaitingCaller()
        if dial.dial_status not in DIAL_CONNECTED:
            raise DeliveryError(f"the dial to {number} ended {dial.dial_status or 'unknown'}")
        self._over(Next.HANG_UP)

    async def hang_up(self) -> None:
        self._over(Next.HANG_UP)

    def _take(self, kind: InputKind) -> CallerInput | None:
        """The turn's input if it is of `kind` (used once); raises CallerHungUp when the
        caller is gone."""
        if self.caller_gone or self.input.kind is InputKind.HANGUP:
            raise CallerHungUp()
        if self.input.kind is not kind:
            return None
        taken, self.input = self.input, START
        return taken

    def _over(self, how: Next) -> None:
        self.next = how
        self.call_over.set()

    def reply(self) -> Reply:
        """What is still to be sent: the words not yet delivered, and what comes next."""
        return Reply(
            tuple(self.says[self.delivered :]),
            self.next,
            self.question,
            self.number,
            self._undelivered_held(),
        )

    def hold(self) -> Reply:
        """A hold reply with the words said so far; they are not said again later."""
        says, held = tuple(self.says[self.delivered :]), self._undelivered_held()
        self.delivered = len(self.says)
        return Reply(says, Next.HOLD, uninterruptible=held)

    def _undelivered_held(self) -> frozenset[int]:
        """The uninterruptible texts not yet delivered, by their position from there."""
        return frozenset(i - self.delivered for i in self.held if i >= self.delivered)
