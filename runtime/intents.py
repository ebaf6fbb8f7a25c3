"""Global intents heard by rules: which intent, if any, a caller's answer says.

A flow or an action declares intents (`on intent human ["talk to a person",
"operator"] -> handoff`); at every `collect` where they apply, the answer is
matched against their phrases before it is understood as the question's type
(call.py). The rule-based understanding reads them with `heard_intent`:

- a phrase is heard when its words come in the answer in order, side by side
  ("I'd like to talk to a person, please" says "talk to a person"), each word
  as said or misheard a little (rapidfuzz's ratio, for words of four letters or
  more: "operater");
- a phrase with "not", "don't", "never"... just before it is not heard ("I don't
  want to cancel");
- of the phrases heard, the one of most words wins ("talk to a person" over
  "person"); two intents tied for it is no intent (the question is asked as usual).

Deterministic, and no answer makes it raise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz

from .services import HeardIntent

# How alike a misheard word must be to a phrase's word (rapidfuzz's ratio, 0-100).
WORD_CUTOFF = 80.0
# Shorter words must be said exactly: "no" and "new" are ratio 80 apart.
FUZZY_FROM_LETTERS = 4
# How many words before a phrase a negation still negates it ("don't really want to cancel").
NEGATION_REACH = 3
NEGATIONS = frozenset({"not", "no", "never", "dont", "doesnt", "didnt", "wont", "without"})
# Answers longer than this are not read for intents (the understanding's own limit too).
MAX_ANSWER_CHARS = 1_000

_WORD = re.compile(r"[a-z0-9]+")
# A flow's phrases are few and matched at every answer: their words are kept.
PHRASES_KEPT = 1_024


def phrase_words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation; an apostrophe joins ("don't" is "dont")."""
    return tuple(_WORD.findall(text.lower().replace("'", "").replace("\u2019", "")))


_kept_phrase_words = functools.lru_cache(maxsize=PHRASES_KEPT)(phrase_words)


def heard_intent(
    utterance: str, intents: Mapping[str, Sequence[str]]
) -> HeardIntent | None:
    """The intent whose phrase the answer says (see the module), or None."""
    if len(utterance) > MAX_ANSWER_CHARS:
        return None
    said = phrase_words(utterance)
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
    """The phrase's words, side by side and in order, somewhere in the answer, with no
    negation just before them."""
    length = len(phrase)
    for start in range(len(said) - length + 1):
        run = said[start : start + length]
        negated = NEGATIONS.intersection(said[max(0, start - NEGATION_REACH) : start])
        if not negated and all(map(_same_word, run, phrase)):
            return True
    return False


def _same_word(word: str, wanted: str) -> bool:
    if word == wanted:
        return True
    if len(wanted) < FUZZY_FROM_LETTERS:
        return False
    return fuzz.ratio(word, wanted, score_cutoff=WORD_CUTOFF) > 0
