"""Where a body's global intents are heard, and the mistakes that shows (W0111, E0310).

An intent of a body (`on intent cancel ["cancel"] -> T`) is heard at every
`collect` of the body and of the actions it runs, at any depth, except inside an
action that has an intent of the same name (the action's own is heard there).
The flow graph takes the same rule for its intent edges (`IntentReach.run_hears`).

An intent heard at no collect can never be taken (W0111). A phrase that the
caller would say to answer one of those collects is heard as the intent instead,
so that answer could never be given (E0310): one of its written options that
says the phrase (by the very rules the runtime matches phrases with), or the
phrase itself read as a value of the collect's type ("zero" at a `number`,
"tomorrow" at a `date`, "noon" at a `time`), by the runtime's own understanding.
A yes/no question is not one of those: there the runtime lets a phrase win over
the yes or no said with it ("no, talk to a person"), and phrases such as "never
mind" or "no thanks" are meant to be heard at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime

from flowc_runtime.intents import heard_intent, phrase_words, same_word
from flowc_runtime.services import JSON
from flowc_runtime.understanding import RuleBasedUnderstanding
from flowc_runtime.values import COLLECTABLE, ValueType

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, error, warning
from ..graph import Body
from ..resolve import ActionRef, Symbol
from ..source import Span


class IntentReach:
    """The collects where an intent of a body is heard, through the actions it runs."""

    def __init__(self, run_actions: Mapping[ast.Run, Symbol]) -> None:
        self.run_actions = run_actions
        self._heard: dict[tuple[int, str], bool] = {}

    def collects(self, steps: tuple[ast.Step, ...], intent: str) -> Iterator[ast.Collect]:
        """Each collect that hears `intent` of the body of `steps`, each action walked once.

        A walk with its own stack, not recursion: a chain of actions may be longer than
        Python's recursion limit; recursive actions (reported elsewhere) are walked once.
        """
        seen: set[int] = set()
        stack = [steps]
        while stack:
            for step in stack.pop():
                if isinstance(step, ast.Collect):
                    yield step
                action = self._action(step)
                if action is not None and id(action) not in seen:
                    seen.add(id(action))
                    if not _declares(action, intent):
                        stack.append(action.steps)

    def run_hears(self, run: ast.Run, intent: str) -> bool:
        """Whether the action the run uses hears its runner's intent `intent` anywhere."""
        action = self._action(run)
        if action is None or _declares(action, intent):
            return False
        key = (id(action), intent)
        if key not in self._heard:
            self._heard[key] = next(self.collects(action.steps, intent), None) is not None
        return self._heard[key]

    def _action(self, step: ast.Step) -> ast.Action | None:
        ref = self.run_actions.get(step) if isinstance(step, ast.Run) else None
        return ref.action if isinstance(ref, ActionRef) else None


def check_intents(body: Body, reach: IntentReach) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    checked: set[str] = set()
    for intent in body.intents:
        if intent.name.name in checked:
            continue  # declared twice: E0131, in the graph
        checked.add(intent.name.name)
        collects = list(reach.collects(body.steps, intent.name.name))
        if not collects:
            found.append(_never_heard(intent, body))
        for collect in collects:
            found += _option_collisions(intent, collect)
            found += _value_collisions(intent, collect)
    return found


def _never_heard(intent: ast.Intent, body: Body) -> Diagnostic:
    name = intent.name.name
    return warning(
        codes.INTENT_NEVER_HEARD,
        intent.name.span,
        f"the intent '{name}' can never be heard: {body.describe()} has no collect, nor "
        f"has any action it runs (without an intent '{name}' of its own)",
        notes=[Note("an intent is heard only while the call waits for an answer")],
        help="remove it, or declare it where the caller is asked something",
    )


def _option_collisions(intent: ast.Intent, collect: ast.Collect) -> Iterator[Diagnostic]:
    """A phrase of the intent heard in an option the collect offers (or a field of its
    form offers: intents are heard at every question of a form), once per phrase."""
    options = [
        option for option in _written_options(collect)
        if isinstance(option, ast.StringLit) and option.is_plain
    ]  # fmt: skip
    for phrase in intent.phrases:
        for option in options:
            said = option.plain_text
            if heard_intent(said, {intent.name.name: (phrase.plain_text,)}) is not None:
                yield _collision(intent, phrase, collect, option)
                break


def _written_options(collect: ast.Collect) -> Iterator[ast.Expr]:
    if isinstance(collect.options, ast.ListLit):
        yield from collect.options.items
    for field in collect.form.fields if collect.form is not None else ():
        yield from field.options.items if field.options is not None else ()


def _collision(
    intent: ast.Intent, phrase: ast.StringLit, collect: ast.Collect, option: ast.StringLit
) -> Diagnostic:
    name = intent.name.name
    notes = [
        Note(f"the intent '{name}' is heard at this collect, before its options", collect.span),
        Note("the option is here", option.span),
    ]
    notes += [
        Note(f"\"{said}\" is heard as the phrase's \"{wanted}\": a phrase's word is heard "
             "inflected too")
        for said, wanted in _inflected(option.plain_text, phrase.plain_text)
    ]  # fmt: skip
    return error(
        codes.INTENT_PHRASE_IS_OPTION,
        phrase.span,
        f"a caller answering \"{option.plain_text}\" to 'collect {collect.var.name}' would be "
        f"heard as the intent '{name}'",
        notes=notes,
        help=f"the option could never be chosen: reword the phrase \"{phrase.plain_text}\" "
        "or the option, so that the option does not say the phrase",
    )


def _inflected(said: str, phrase: str) -> list[tuple[str, str]]:
    """The words of `said` that say the phrase's words inflected, not as written
    ("cancelled" for "cancel"), with those words, where `said` says the phrase."""
    words, wanted = phrase_words(said), phrase_words(phrase)
    for start in range(len(words) - len(wanted) + 1):
        run = words[start : start + len(wanted)]
        if all(map(same_word, run, wanted)):
            return [(word, want) for word, want in zip(run, wanted, strict=True) if word != want]
    return []


# The types whose reading of an answer a phrase could take away: text reads any words
# and a secret is any answer, so an intent is meant to be heard over those; at a bool
# the phrase wins over the yes or no (the module).
_READ_TYPES = frozenset(COLLECTABLE) - {ValueType.TEXT, ValueType.SECRET, ValueType.BOOL}
# The moment phrases are read at (a date's "tomorrow" is one on any day).
_SOME_DAY = datetime(2026, 1, 7, 12, 0)
_RULES = RuleBasedUnderstanding()


def _value_collisions(intent: ast.Intent, collect: ast.Collect) -> Iterator[Diagnostic]:
    """A phrase of the intent that the collect's type (or a field's) reads as a
    value, once per phrase: the caller saying it
    to answer would take the intent."""
    for phrase in intent.phrases:
        for asked, type_name, what in _questions(collect):
            value = _RULES.understand(type_name, phrase.plain_text, None, _SOME_DAY)
            if value is not None:
                yield _value_collision(intent, phrase, collect, asked, what, value)
                break


def _questions(collect: ast.Collect) -> Iterator[tuple[Span, ValueType, str]]:
    """Each question of the collect whose answer is read as a type of _READ_TYPES: where
    its type is written, the type, and what it asks, in words."""
    if collect.form is None:
        if collect.options is None and collect.digits is None:
            yield from _typed(collect.type, f"'collect {collect.var.name}'")
        return
    for field in collect.form.fields:
        if field.options is None:
            yield from _typed(field.type, f"the field '{field.name.name}'")


def _typed(type_expr: ast.TypeExpr, what: str) -> Iterator[tuple[Span, ValueType, str]]:
    if isinstance(type_expr, ast.NamedType) and type_expr.name in _READ_TYPES:
        yield type_expr.span, ValueType(type_expr.name), f"{what} (a {type_expr.name})"


def _value_collision(
    intent: ast.Intent,
    phrase: ast.StringLit,
    collect: ast.Collect,
    asked: Span,
    what: str,
    value: JSON,
) -> Diagnostic:
    name, said = intent.name.name, phrase.plain_text
    heard_first = f"the intent '{name}' is heard at this collect, before its answer is read"
    return error(
        codes.INTENT_PHRASE_IS_OPTION,
        phrase.span,
        f"a caller answering \"{said}\" to {what} would be heard as the intent '{name}'",
        notes=[
            Note(heard_first, collect.span),
            Note(f"\"{said}\" is an answer here: it reads as {json.dumps(value)}", asked),
        ],
        help=f"that answer could never be given: reword the phrase \"{said}\" so that it "
        "is no value of the question",
    )


def _declares(action: ast.Action, intent: str) -> bool:
    return any(own.name.name == intent for own in action.intents)
