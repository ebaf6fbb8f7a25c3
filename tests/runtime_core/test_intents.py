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
from flowc_runtime.services import HeardIntent, Question, Services
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


def test_a_word_may_be_inflected_but_a_word_near_it_is_another_word() -> None:
    assert heard_intent("operators please", INTENTS) == HeardIntent("human", "operator")
    assert heard_intent("agents", INTENTS) == HeardIntent("human", "agent")
    for said in ("cancelled", "canceled", "cancelling", "cancels"):
        assert heard_intent(said, INTENTS) == HeardIntent("cancel", "cancel"), said
    assert heard_intent("closing time", {"x": ["close"]}) == HeardIntent("x", "close")
    # A recognizer hears words: one near the phrase's word is another word.
    for said in ("a question about the operation", "I have cancer", "talk to a parson"):
        assert heard_intent(said, INTENTS) is None, said
    assert heard_intent("I'd like a stent", {"x": ["agent"]}) is None
    assert heard_intent("nos", {"x": ["no"]}) is None  # short words as written


def test_a_negated_phrase_is_not_heard() -> None:
    for said in ("I don't want to cancel", "no, not the operator", "I can't cancel",
                 "I cannot cancel", "I never said cancel"):  # fmt: skip
        assert heard_intent(said, INTENTS) is None, said
    assert heard_intent("no, I want an agent", INTENTS) == HeardIntent("human", "agent")


def test_a_negation_reaches_no_further_than_its_clause() -> None:
    assert heard_intent("no, talk to a person", INTENTS) == HeardIntent(
        "human", "talk to a person"
    )
    assert heard_intent("I don't know, operator please", INTENTS) == HeardIntent(
        "human", "operator"
    )
    assert heard_intent("I never said cancel, operator", INTENTS) == HeardIntent(
        "human", "operator"
    )


def test_a_negation_that_asks_for_the_phrase_does_not_negate_it() -> None:
    for said in ("why can't I talk to a person", "can't I just talk to a person?",
                 "is there no way to talk to a person", "I never get to talk to a person",
                 "why don't we talk to a person"):  # fmt: skip
        assert heard_intent(said, INTENTS) == HeardIntent("human", "talk to a person"), said
    for said in ("I can't talk to a person", "there's no need to talk to a person",
                 "no I don't want to cancel", "I never want to cancel"):  # fmt: skip
        assert heard_intent(said, INTENTS) is None, said


def test_a_phrase_holding_a_negation_is_heard_as_written() -> None:
    intents = {"stop": ["not interested"], **INTENTS}
    for said in ("No, I'm not interested", "no im not interested", "not interested"):
        assert heard_intent(said, intents) == HeardIntent("stop", "not interested"), said


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


ORDER = """\
action Booking {
  output Done
  output Left
  on no_answer -> Done
  on intent stop ["cancel"] -> Left
  collect day: text
    prompt "Which day?"
  exit Done
}

flow Main {
  on no_answer -> bye
  on intent human ["talk to a person", "pharmacist"] -> handoff
  on intent cancel ["cancel"] -> bye
  collect sure: bool
    prompt "Shall we book?"
  collect need: text in ["refill", "opening hours"]
    prompt "A refill, or our opening hours?"
  run booking = Booking()
    on Done -> bye
    on Left -> left
  handoff: end "Connecting you."
  left: end "Booking cancelled."
  bye: end "Goodbye."
}
"""


def converse(tmp_path: Path, answers: list[str], services: Services | None = None) -> list[str]:
    """What the agent said to the answers of a call of ORDER, to its end."""
    source = tmp_path / "order.flow"
    source.write_text(ORDER, encoding="utf-8")
    folder = build_into(source, tmp_path / "out")
    channel = ScriptedChannel(answers)
    with imported(folder, "order") as module:
        asyncio.run(run_call(module.FLOW_Main, services or local_services(), channel))
    return channel.said


def test_at_a_bool_collect_a_phrase_heard_wins_over_the_yes_or_no_word(tmp_path: Path) -> None:
    assert converse(tmp_path, ["no, talk to a person"])[-1] == "Connecting you."


def test_an_actions_intent_wins_over_its_flows_of_the_same_words(tmp_path: Path) -> None:
    said = converse(tmp_path, ["yes", "refill", "cancel"])
    assert said[-1] == "Booking cancelled."


SECRETS = """\
flow Sec {
  on no_answer -> bye
  on intent human ["operator", "1234"] -> human
  collect account: text
    prompt "Account number?"
    expect 4 digits
  collect pin: secret
    prompt "Your PIN?"
  end "Thanks."
  human: end "Connecting you."
  bye: end "Goodbye."
}
"""


def run_secrets(tmp_path: Path, answers: list[str]) -> tuple[list[str], list[dict[str, object]]]:
    source = tmp_path / "sec.flow"
    source.write_text(SECRETS, encoding="utf-8")
    folder = build_into(source, tmp_path / "out")
    channel, sink = ScriptedChannel(answers), MemorySink()
    with imported(folder, "sec") as module:
        asyncio.run(run_call(module.FLOW_Sec, local_services(), channel, sinks=[sink]))
    return channel.said, sink.events


def test_keys_answer_the_question_and_are_never_an_intent(tmp_path: Path) -> None:
    said, events = run_secrets(tmp_path, ["1234", "9 9 9 9"])
    assert said[-1] == "Thanks."
    assert not [e for e in events if e["event"] == "intent_heard"]


def test_at_a_secret_collect_an_intent_heard_masks_its_phrase_too(tmp_path: Path) -> None:
    said, events = run_secrets(tmp_path, ["1234", "my pin is 1234"])
    assert said[-1] == "Connecting you."
    [heard] = [e for e in events if e["event"] == "intent_heard"]
    assert heard["phrase"] == "***"
    assert "1234" not in [e.get("text") for e in events if e["event"] == "heard"][1:]
