"""The fields of a form one answer gives, by rules: `fill_form`.

A form is a collect of a record (`collect order: {size: text in ["small", "large"],
topping: text in [...], count: number}`). One answer may give several fields ("a
large pepperoni please": a size and a topping; "two large": a count and a size) or
change one already given ("no, make it 60", "actually a small one", "change the
size to medium"). The rules, in order:

1. Options. A field with options takes the option the answer names, matched as
   `understand_choice` matches words (the option's words in the answer, or its
   words misheard a little: rapidfuzz). Only the field being asked also takes an
   answer by position or key ("the second one", "press 2") and reads "not ..."
   (a position fits every field). An option's words then leave the answer, with a
   "one" after them ("a small one" says no count).
2. The other fields, by type, on the words left: numbers, dates, times, datetimes,
   phones and emails as `understand` reads them. When the field being asked is one
   of them and the answer gives it, that is all they give ("March 15th 2030" is a
   day, not also a count of 2030). Of two fields of one type, only the one being
   asked, or the one the answer names ("change the count to 3"), takes the value.
   A text without options, and a bool, take an answer only when they are the
   field asked: anything is a text, and "yes" answers a read-back.
3. A value two fields could take (an option of both) goes to the field named, else
   the field asked, else to neither.

Pure and deterministic; `read` is the per-type understanding to use (the
rule-based understanding passes its own, with its locale and phone region).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import groupby

from .services import JSON, FormField
from .understanding import choice_words, option_named, understand_choice
from .values import ValueType

# Reads one value of a collect type from words: (type_name, words, options) -> value.
Reader = Callable[[str, str, Sequence[str] | None], JSON | None]

# Types whose fields take an answer only when asked for (see rule 2).
ASKED_ONLY = frozenset({ValueType.TEXT, ValueType.BOOL, ValueType.SECRET})


def fill_form(
    utterance: str, fields: Sequence[FormField], asking: str | None, read: Reader
) -> dict[str, JSON]:
    """The fields the answer gives, by name, in the order the form declares them."""
    said = " ".join(utterance.split())
    if not said:
        return {}
    preferred = _named_field(said, fields) or asking
    chosen, by_position = _options_named(said, fields, asking, preferred)
    # "the second one" chose the asked field's option: no words are left for the others.
    rest = "" if by_position else _without_options(said, list(chosen.values()))
    found: dict[str, JSON] = dict(chosen)
    plain = sorted((f for f in fields if f.options is None), key=lambda f: f.type_name)
    asked = next((f for f in plain if f.name == asking), None)
    if asked is not None:
        value = read(asked.type_name, said if asked.type_name in ASKED_ONLY else rest, None)
        if value is not None:
            # The answer to the question asked: its words ("March 15th 2030") are not
            # read again for the other fields (2030 is no count).
            found[asked.name] = value
            plain = []
    for type_name, group in groupby(plain, lambda f: f.type_name):
        target = _target(list(group), type_name, asking, preferred)
        if target is None:
            continue
        value = read(type_name, said if type_name in ASKED_ONLY else rest, None)
        if value is not None:
            found[target.name] = value
    return {f.name: found[f.name] for f in fields if f.name in found}


def _target(
    group: list[FormField], type_name: str, asking: str | None, preferred: str | None
) -> FormField | None:
    """The field of this type that takes a value of it, if one does."""
    if type_name in ASKED_ONLY:
        return next((f for f in group if f.name == asking), None)
    if len(group) == 1:
        return group[0]
    return next((f for f in group if f.name == preferred), None)


def _options_named(
    said: str, fields: Sequence[FormField], asking: str | None, preferred: str | None
) -> tuple[dict[str, str], bool]:
    """The option each field with options takes from the answer (rules 1 and 3), and
    whether the asked field took it by position or key rather than by its words."""
    chosen: dict[str, str] = {}
    by_position = False
    for field in fields:
        if field.options is None or not field.options:
            continue
        value = option_named(said, field.options)
        if field.name == asking:
            choice = understand_choice(said, field.options)
            by_position = choice is not None and choice != value
            value = choice
        if value is not None:
            chosen[field.name] = value
    return _one_field_per_option(chosen, preferred), by_position


def _one_field_per_option(chosen: dict[str, str], preferred: str | None) -> dict[str, str]:
    """An option taken by two fields stays only with the preferred one (rule 3)."""
    kept: dict[str, str] = {}
    for name, value in chosen.items():
        sharing = [other for other, taken in chosen.items() if _same(taken, value)]
        if len(sharing) == 1 or name == preferred:
            kept[name] = value
    return kept


def _same(first: str, second: str) -> bool:
    return first.casefold().split() == second.casefold().split()


def _named_field(said: str, fields: Sequence[FormField]) -> str | None:
    """The one field whose name the answer says ("change the size to medium")."""
    words = set(choice_words(said))
    named = [
        f.name
        for f in fields
        # A name of filler words only ("number") names nothing.
        if (name := set(choice_words(f.name.replace("_", " ")))) and name <= words
    ]
    return named[0] if len(named) == 1 else None


def _without_options(said: str, options: Sequence[str]) -> str:
    """The answer without the words of each option it gave, nor a "one" after them
    ("a small one" says no count); the rest stays as said ("5:30 pm")."""
    for option in options:
        words = option.split()
        if not words:
            continue
        joined = r"[\s,-]+".join(re.escape(word) for word in words)
        pattern = rf"(?<!\w){joined}(?:\s+ones?)?(?!\w)"
        said = re.sub(pattern, " ", said, count=1, flags=re.IGNORECASE)
    return " ".join(said.split())
