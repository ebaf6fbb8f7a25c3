"""Global intents in the runtime: the rule-based matching of phrases, and a call that
hears one after it was suspended inside an action (its state is only frames)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flowc_runtime.channels import ScriptedChannel, WhenExhausted
from flowc_runtime.driver import resume_call, run_call
from flowc_runtime.events import MemorySink
from flowc_runtime.intents import heard_intent
from flowc_runtime.serve.turns import Next, Reply, Said
from flowc_runtime.services import HeardIntent, Question
from flowc_runtime.understanding import RuleBasedUnderstanding

from tests.codegen.built import build_into, imported
from tests.runtime_core.helpers import local_services

INTENTS = {
    "human": ["talk to a person", "operator", "agent"],
    "cancel": ["cancel", "never mind"],
}


def test_a_phrase_is_heard_inside_a_longer_answer() -> None:
    assert heard_intent("I'd like to talk to a person, please", INTENTS) == HeardIntent(
        "human", "talk to a person"
    )
    assert heard_intent("Never mind.", INTENTS) == HeardIntent("cancel", "never mind")


def test_a_long_word_may_be_misheard_a_little_a_short_one_not() -> None:
    assert heard_intent("get me an operater", INTENTS) == HeardIntent("human", "operator")
    assert heard_intent("talk to a parson", INTENTS) == HeardIntent("human", "talk to a person")
    assert heard_intent("I'd like a stent", {"x": ["agent"]}) is None
    assert heard_intent("yes", {"x": ["yet"]}) is None


def test_a_negated_phrase_is_not_heard() -> None:
    assert heard_intent("I don't want to cancel", INTENTS) is None
    assert heard_intent("no, not the operator", INTENTS) is None
    assert heard_intent("no, I want an agent", INTENTS) == HeardIntent("human", "agent")


def test_the_longest_phrase_wins_and_a_tie_is_no_intent() -> None:
    intents = {"person": ["person"], "human": ["talk to a person"]}
    assert heard_intent("talk to a person", intents) == HeardIntent("human", "talk to a person")
    assert heard_intent("cancel the agent", INTENTS) is None


def test_answers_that_say_no_phrase_are_no_intent() -> None:
    for said in ("Jane Doe", "", "large", "the agency", "x" * 2000):
        assert heard_intent(said, INTENTS) is None, said


def test_the_rule_based_understanding_hears_intents_by_these_rules() -> None:
    rules = RuleBasedUnderstanding()
    assert rules.intent("operator please", INTENTS) == HeardIntent("human", "operator")


def test_a_replys_uninterruptible_texts_survive_storage() -> None:
    reply = Reply(("Recorded.", "Your name?"), Next.LISTEN, Question("text", "Your name?"),
                  uninterruptible=frozenset({0}))  # fmt: skip
    stored = Reply.from_json(reply.to_json())
    assert stored == reply
    assert stored.said() == (Said("Recorded.", False), Said("Your name?", True))
    old = {key: value for key, value in reply.to_json().items() if key != "uninterruptible"}
    assert Reply.from_json(old).uninterruptible == frozenset()


NESTED = """\
action Inner {
  output Done
  on no_answer -> Done
  collect colour: text
    prompt "Which colour?"
  exit Done
}

action Outer {
  output Done
  run inner = Inner()
    on Done -> Done
}

flow Main {
  on no_answer -> bye
  on intent human ["operator"] -> handoff
  run outer = Outer()
    on Done -> bye
  handoff: end "Connecting you."
  bye: end "Goodbye."
}
"""


def test_an_intent_heard_after_a_resume_leaves_every_action_above_its_flow(
    tmp_path: Path,
) -> None:
    source = tmp_path / "nested.flow"
    source.write_text(NESTED, encoding="utf-8")
    folder = build_into(source, tmp_path / "out")
    services = local_services()
    with imported(folder, "nested") as module:
        waiting = ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND)
        suspended = asyncio.run(run_call(module.FLOW_Main, services, waiting))
        assert suspended.state is not None
        sink = MemorySink()
        channel = ScriptedChannel(["the operator, please"])
        result = asyncio.run(resume_call(suspended.state, services, channel, sinks=[sink]))
    assert result.outcome == "ended"
    [heard] = [e for e in sink.events if e["event"] == "intent_heard"]
    assert (heard["intent"], heard["body"], heard["left"]) == ("human", "Main", ["Inner", "Outer"])
    assert channel.said[-1] == "Connecting you."
