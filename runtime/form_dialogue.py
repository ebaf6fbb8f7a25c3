"""The conversation of a form: a `collect` of a record (`Call.collect_form`).

1. The opening prompt, once, when two fields or more are missing (fields `given`
   a value are not missing). Its answer fills every field it gives.
2. Each field still missing, in the order the form declares them, by its own
   prompt, up to `attempts` times. Every answer is read for the whole form: it
   may give other fields too, or change one given already ("actually a large").
3. With `confirm`, the read-back, once every field has a value: a yes ends the
   form; an answer that changes a field ("no, make it 60") changes it and reads
   back again; a plain no asks the form's `reprompt` (default: the opening
   prompt) and reads its answer as changes, back to the read-back; there
   "nothing" (or a yes) goes back to it unchanged, and a field named alone ("the
   size") is asked by its own prompt, its answer then read back. Silence and
   answers understood as none of these use up an attempt of the question.

A question that runs out of attempts takes the collect's no_answer path, and the
form's variable keeps the value it had. It gets the record only at the end.

While the call waits for the caller (a telephony turn, `AwaitingCaller`), the
form's progress is a variable of its frame, `<variable>.form` (no .flow name has
a dot): the fields filled, the question being asked and its attempt. The stored
call state holds it like any variable, so a resumed call goes on where it was,
without saying the prompt again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .events import FieldCorrected, FieldFilled, FormConfirmed, Heard, NoAnswer
from .forms import named_field, words_of
from .ops import shape_mismatch, with_moments
from .program import IntentTaken, Vars
from .services import JSON, FormField, FormQuestion, Question
from .understanding import understand_bool, understand_time
from .values import ValueType

if TYPE_CHECKING:
    from .call import Call

# The questions of a form besides its fields' (a field name is an identifier).
OPENING = ""
READ_BACK = "?confirm"
CHANGE = "?change"
# Said at "what should I change?" when nothing should (as is a yes: "it's fine").
NOTHING_TO_CHANGE = ("nothing", "none", "no change", "no changes", "never mind")


@dataclass(slots=True)
class Progress:
    """Where a form is: the fields it has, the question it asks, and that question's attempt."""

    filled: dict[str, JSON]
    asking: str
    attempt: int = 1
    # Asking again a field that has a value, as the caller wants it changed ("the size"
    # at "what should I change?"): its answer goes back to the read-back.
    correcting: bool = False

    def to_json(self) -> JSON:
        stored: dict[str, JSON] = {
            "filled": dict(self.filled),
            "asking": self.asking,
            "attempt": self.attempt,
        }
        if self.correcting:
            stored["correcting"] = True
        return stored

    @classmethod
    def from_json(cls, value: JSON) -> Progress | None:
        if not isinstance(value, dict):
            return None
        filled, asking, attempt = value.get("filled"), value.get("asking"), value.get("attempt")
        if not (isinstance(filled, dict) and isinstance(asking, str) and isinstance(attempt, int)):
            return None
        return cls(dict(filled), asking, attempt, value.get("correcting") is True)


def progress_variable(name: str) -> str:
    """The frame variable that holds the progress of the form `name` while it waits."""
    return f"{name}.form"


class FormDialogue:
    """One run of a form's step, from its start or from a stored `Progress`."""

    def __init__(self, call: Call, v: Vars, name: str, form: FormQuestion) -> None:
        self.call = call
        self.v = v
        self.name = name
        self.form = form
        stored = Progress.from_json(v.pop(progress_variable(name), None))
        # A stored progress: its question was asked, and the caller's answer is awaited.
        self.prompted = stored is not None
        self.progress = stored or self._start()

    def _start(self) -> Progress:
        """Nothing asked yet; the fields `given` known, each a value the field could get
        from the caller: of its type, and an option for a field with options (a `json`
        record of a code step is checked only now). Any other value is asked for."""
        known = self.form.given if isinstance(self.form.given, dict) else {}
        given: dict[str, JSON] = {
            field.name: with_moments(value, field.type_name, None)
            for field in self.form.fields
            if (value := _as_given(known.get(field.name), field)) is not None
            and shape_mismatch(value, field.type_name, field.name) is None
        }
        return Progress(given, OPENING)

    async def run(self) -> bool:
        """True when every field has a value (and, with `confirm`, the caller said yes)."""
        while True:
            self._move_on()
            progress = self.progress
            if progress.asking == READ_BACK and self.form.confirm is None:
                self.call.set(self.v, self.name, self._record())
                return True
            if progress.attempt > self.form.attempts:
                self.call.log.emit(NoAnswer(self.name, self.form.attempts))
                return False
            heard = await self._turn()
            if progress.asking == READ_BACK:
                if self._read_back_answer(heard):
                    self.call.log.emit(FormConfirmed(self.name))
                    self.call.set(self.v, self.name, self._record())
                    return True
            else:
                self._field_answer(heard)

    def _move_on(self) -> None:
        """To the next question once the one asked is answered (or, for the opening, was
        asked once)."""
        progress = self.progress
        if progress.asking in (READ_BACK, CHANGE):
            return
        missing = [f.name for f in self.form.fields if f.name not in progress.filled]
        if progress.asking == OPENING and len(missing) >= 2:
            return
        if progress.asking in missing or progress.correcting:
            return
        progress.asking = missing[0] if missing else READ_BACK
        progress.attempt = 1

    async def _turn(self) -> str | None:
        """Asks the current question (unless a resumed call asked it already) and hears
        the caller's answer."""
        question = self._question()
        if not self.prompted:
            await self.call.say(question.prompt)
        self.prompted = False
        # Kept while the caller's turn is awaited: a suspended call stores it with the frame.
        key = progress_variable(self.name)
        self.v[key] = self.progress.to_json()
        try:
            heard = await self.call.hear(question)
        except IntentTaken:
            del self.v[key]  # the call goes on elsewhere: a form entered again starts afresh
            raise
        del self.v[key]
        self.call.log.emit(Heard(heard))
        return heard

    def _question(self) -> Question:
        """What the channel is told of the current question (speech hints, the keypad)."""
        form, asking = self.form, self.progress.asking
        field = self._field(asking)
        if field is not None:
            return Question(
                field.type_name, field.prompt, options=field.options,
                attempts=form.attempts, timeout_seconds=form.timeout_seconds,
            )  # fmt: skip
        if asking == READ_BACK:
            assert form.confirm is not None
            text = form.confirm({**self.v, self.name: self._record()})
            return Question(ValueType.BOOL, text, timeout_seconds=form.timeout_seconds)
        prompt = form.reprompt or form.prompt if asking == CHANGE else form.prompt
        return Question(ValueType.TEXT, prompt, timeout_seconds=form.timeout_seconds)

    def _field(self, name: str) -> FormField | None:
        return next((f for f in self.form.fields if f.name == name), None)

    def _field_answer(self, heard: str | None) -> None:
        """The answer to the opening, to a field or to "what should I change": what it
        gives is kept; a field still not given, or a change that changed nothing, uses
        up an attempt."""
        progress = self.progress
        asking = progress.asking
        given, _ = self._apply(heard, None if asking in (OPENING, CHANGE) else asking)
        if asking == OPENING:
            self._opening_heard()
        elif asking == CHANGE:
            self._change_heard(heard, given)
        elif progress.correcting and asking in given:
            progress.asking, progress.attempt, progress.correcting = READ_BACK, 1, False
        elif asking not in progress.filled or progress.correcting:
            progress.attempt += 1

    def _change_heard(self, heard: str | None, given: set[str]) -> None:
        """The answer to "what should I change?": a change, or "nothing" (a yes), goes
        back to the read-back; a field named alone ("the size") is asked by its prompt."""
        progress = self.progress
        named = named_field(heard, self.form.fields) if heard else None
        if given or (heard and _nothing_to_change(heard)):
            progress.asking, progress.attempt = READ_BACK, 1
        elif named is not None:
            progress.asking, progress.attempt, progress.correcting = named, 1, True
        else:
            progress.attempt += 1

    def _opening_heard(self) -> None:
        """The opening is asked once: the missing fields are asked next, one by one."""
        missing = [f.name for f in self.form.fields if f.name not in self.progress.filled]
        self.progress.asking = missing[0] if missing else READ_BACK
        self.progress.attempt = 1

    def _read_back_answer(self, heard: str | None) -> bool:
        """Whether the caller said yes to the read-back; a change is applied (and read
        back again), a plain no asks what to change."""
        progress = self.progress
        _, changed = self._apply(heard, None)
        if changed:
            progress.attempt = 1
            return False
        said = understand_bool(heard) if heard else None
        if said is True:
            return True
        if said is False:
            progress.asking, progress.attempt = CHANGE, 1
        else:
            progress.attempt += 1
        return False

    def _apply(self, heard: str | None, asking: str | None) -> tuple[set[str], bool]:
        """Keeps what the answer gives: the fields it gave (a value again, or a new one),
        and whether that changed any."""
        if heard is None or not heard.strip():
            return set(), False
        understanding = self.call.services.understanding
        now = self.call.services.clock()
        values = understanding.understand_form(heard, self.form.fields, now, asking)
        changed = False
        filled = self.progress.filled
        for field, said in values.items():
            value = _in_the_same_half(said, filled.get(field), self._field(field), heard)
            if field not in filled:
                self.call.log.emit(FieldFilled(self.name, field, value))
            elif filled[field] != value:
                self.call.log.emit(FieldCorrected(self.name, field, filled[field], value))
            else:
                continue
            filled[field] = value
            changed = True
        return set(values), changed

    def _record(self) -> dict[str, JSON]:
        """The form's value: its fields in the order declared."""
        return _in_order(self.progress.filled, self.form.fields)


def _nothing_to_change(heard: str) -> bool:
    """ "nothing, it's fine", "no changes", a yes: the read-back was right after all."""
    said = f" {' '.join(word.plain for word in words_of(heard))} "
    return understand_bool(heard) is True or any(f" {it} " in said for it in NOTHING_TO_CHANGE)


def _in_the_same_half(value: JSON, old: JSON, field: FormField | None, heard: str) -> JSON:
    """A time corrected without its half of the day keeps the old value's half: at the
    read-back of 7 PM, "no, at eight" is 8 PM, not the 8 AM an hour alone reads as."""
    times = field is not None and field.type_name == ValueType.TIME
    if not (times and isinstance(value, str) and isinstance(old, str)):
        return value
    half_said = understand_time(heard, "morning") == understand_time(heard, "evening")
    if half_said:
        return value
    hour, minutes = value.split(":", 1)
    in_the_afternoon = int(old.split(":", 1)[0]) >= 12
    return f"{int(hour) % 12 + (12 if in_the_afternoon else 0):02d}:{minutes}"


def _as_given(value: JSON, field: FormField) -> JSON:
    """A value given for the field as the field holds it: for a field with options, the
    option it names in any case ("Large" is the option "large"), else None."""
    if field.options is None or value is None:
        return value
    if not isinstance(value, str):
        return None
    return next((option for option in field.options if option.casefold() == value.casefold()), None)


def _in_order(filled: dict[str, JSON], fields: Sequence[FormField]) -> dict[str, JSON]:
    return {f.name: filled[f.name] for f in fields if f.name in filled}
