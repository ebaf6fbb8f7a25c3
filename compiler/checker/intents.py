"""Where a body's global intents are heard, and the mistakes that shows (W0111, E0310).

An intent of a body (`on intent cancel ["cancel"] -> T`) is heard at every
`collect` of the body and of the actions it runs, at any depth, except inside an
action that has an intent of the same name (the action's own is heard there).
The flow graph takes the same rule for its intent edges (`IntentReach.run_hears`).

An intent heard at no collect can never be taken (W0111). A phrase that the
caller would say to answer one of those collects (one of its written options) is
heard as the intent instead, so the option could never be chosen (E0310): that is
decided by the very rules the runtime matches phrases with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flowc_runtime.intents import heard_intent

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, error, warning
from ..graph import Body
from ..resolve import ActionRef, Symbol


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
    """A phrase of the intent heard in an option the collect offers, once per phrase."""
    if not isinstance(collect.options, ast.ListLit):
        return
    for phrase in intent.phrases:
        for option in collect.options.items:
            if not (isinstance(option, ast.StringLit) and option.is_plain):
                continue
            said = option.plain_text
            if heard_intent(said, {intent.name.name: (phrase.plain_text,)}) is not None:
                yield _collision(intent, phrase, collect, option)
                break


def _collision(
    intent: ast.Intent, phrase: ast.StringLit, collect: ast.Collect, option: ast.StringLit
) -> Diagnostic:
    name = intent.name.name
    return error(
        codes.INTENT_PHRASE_IS_OPTION,
        phrase.span,
        f"a caller answering \"{option.plain_text}\" to 'collect {collect.var.name}' would be "
        f"heard as the intent '{name}'",
        notes=[
            Note(f"the intent '{name}' is heard at this collect, before its options", collect.span),
            Note("the option is here", option.span),
        ],
        help=f"the option could never be chosen: reword the phrase \"{phrase.plain_text}\" "
        "or the option, so that the option does not say the phrase",
    )


def _declares(action: ast.Action, intent: str) -> bool:
    return any(own.name.name == intent for own in action.intents)
