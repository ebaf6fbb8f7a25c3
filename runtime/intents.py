"""Global intents heard by rules: which intent, if any, a caller's answer says.

A flow or an action declares intents (`on intent human ["talk to a person",
"operator"] -> handoff`); at every `collect` where they apply, the answer is
matched against their phrases before it is understood as the question's type
(call.py). The rule-based understanding reads them with `heard_intent`:

- a phrase is heard when its words come in the answer in order, side by side
  and within one clause ("I'd like to talk to a person, please" says "talk to a
  person"), each word as written or inflected ("operators", "cancelled"). Not
  more loosely: a recognizer hears words, and a word near a phrase's word is
  another word ("operation", "cancer");
- a phrase with "not", "don't", "can't", "never"... shortly before it in its clause
  is not heard ("I don't want to cancel", "I can't cancel"); a clause ends at a
  punctuation mark, so "no, talk to a person" and "I don't know, operator"
  say their phrase. A negation that asks rather than refuses ("can't I", "why
  can't", "is there no", "never get to") does not negate: "why can't I talk to a
  person" says it. A phrase that holds a negation itself ("not interested") is
  heard as written, whatever comes before it;
- of the phrases heard, the one of most words wins ("talk to a person" over
  "person"); two intents tied for it is no intent (the question is asked as usual).
  The intents given are one body's: the call asks an action's before those of the
  body that runs it (call.py), so there the action's wins, however long the
  runner's phrase.

Deterministic, and no answer makes it raise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from .services import HeardIntent

# How many words before a phrase a negation still negates it ("don't really want to cancel").
NEGATION_REACH = 3
NEGATIONS = frozenset(
    {"not", "no", "never", "dont", "doesnt", "didnt", "wont", "cant", "cannot", "without"}
)
# The negated verbs that open a question before their subject ("can't I", "don't we").
_NEGATED_VERBS = frozenset({"dont", "doesnt", "didnt", "wont", "cant"})
# The endings a word may take and still be the phrase's word: plurals, past and
# -ing forms ("operators", "canceled", "cancelling"), not other words of its stem.
INFLECTIONS = ("s", "es", "d", "ed", "ing")
# A phrase's word shorter than this must be said as written ("no" is not "nos").
INFLECTED_FROM_LETTERS = 4
# Answers longer than this are not read for intents (the understanding's own limit too).
MAX_ANSWER_CHARS = 1_000

_WORD = re.compile(r"[a-z0-9]+")
# A word or a mark that ends a clause, which a negation does not reach across.
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?]")
_CLAUSE_END = frozenset(".,;:!?")
_KEYS = re.compile(r"[\s0-9*#]+")
# A flow's phrases are few and matched at every answer: their words are kept.
PHRASES_KEPT = 1_024


def keys_only(answer: str) -> bool:
    """Whether the answer is keypad keys (digits, `*`, `#`) alone, as keyed or said: it
    answers the question, and is never read for an intent."""
    return _KEYS.fullmatch(answer) is not None


def phrase_words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation; an apostrophe joins ("don't" is "dont")."""
    return tuple(_WORD.findall(_unquoted(text)))


def _answer_tokens(text: str) -> tuple[str, ...]:
    """The answer's words as `phrase_words` gives them, and the marks that end its
    clauses in between."""
    return tuple(_TOKEN.findall(_unquoted(text)))


def _unquoted(text: str) -> str:
    return text.lower().replace("'", "").replace("\u2019", "")


_kept_phrase_words = functools.lru_cache(maxsize=PHRASES_KEPT)(phrase_words)


def heard_intent(utterance: str, intents: Mapping[str, Sequence[str]]) -> HeardIntent | None:
    """The intent whose phrase the answer says (see the module), or None."""
    if len(utterance) > MAX_ANSWER_CHARS:
        return None
    said = _answer_tokens(utterance)
    best: list[HeardIntent] = []
    best_length = 0
    for name, phrases in intents.items():
        for phrase in phrases:
            words = _kept_phrase_words(phrase)
            if not words or len(words) < best_length or not _says(said, words):
                continue
            if len(words) > best_length:
                best, best_length = [], len(words)
            if all(found.intent != name for found in best):
                best.append(HeardIntent(name, phrase))
    return best[0] if len(best) == 1 else None


def _says(said: Sequence[str], phrase: Sequence[str]) -> bool:
    """The phrase's words, side by side and in order, somewhere in the answer (a mark
    between them is not a word: no match across it), with no negation shortly
    before them in their clause unless the phrase holds one."""
    length = len(phrase)
    negatable = NEGATIONS.isdisjoint(phrase)
    return any(
        all(map(same_word, said[start : start + length], phrase))
        and not (negatable and _negated(said, start))
        for start in range(len(said) - length + 1)
    )


def _negated(said: Sequence[str], start: int) -> bool:
    """A negation among the NEGATION_REACH words before `start`, in its clause, that
    does not open a question or a complaint (`_asks`)."""
    for at in range(start - 1, max(0, start - NEGATION_REACH) - 1, -1):
        word = said[at]
        if word in _CLAUSE_END:
            return False
        if word in NEGATIONS and not _asks(said, at):
            return True
    return False


def _asks(said: Sequence[str], at: int) -> bool:
    """Whether the negation at `at` asks for what follows rather than refusing it:
    "can't I / why can't / is there no / never get to talk to a person" all want
    the person."""
    before = said[max(0, at - 2) : at]
    after = said[at + 1 : at + 3]
    return (
        (said[at] in _NEGATED_VERBS and after[:1] in {("i",), ("we",)})  # "can't I"
        or before[-1:] == ("why",)  # "why not", "why can't"
        or (before[-1:] == ("there",) and before[:1] in {("is",), ("isnt",), ("are",)})
        or (said[at] == "never" and after in {("get", "to"), ("gets", "to"), ("got", "to")})
    )


def same_word(word: str, wanted: str) -> bool:
    """Whether `word` of an answer is the phrase's word `wanted`: as written, or
    inflected ("operators", "cancelled" with a doubled final consonant,
    "canceling"); "operation" and "cancer" are other words."""
    if word == wanted:
        return True
    if len(wanted) < INFLECTED_FROM_LETTERS:
        return False
    if wanted.endswith("e") and word == wanted[:-1] + "ing":
        return True  # "closing"
    if not word.startswith(wanted):
        return False
    ending = word[len(wanted) :]
    if ending[0] == wanted[-1] and ending[1:] in INFLECTIONS:
        ending = ending[1:]  # "cancelled", "stopped"
    return ending in INFLECTIONS
