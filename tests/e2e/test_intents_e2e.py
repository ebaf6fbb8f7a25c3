"""Global intents end to end through `flowc run`: heard at a flow's collect, at a collect
of an action it runs (the action is left), and an action's own intent, which wins over
the flow's of the same name and leaves only through the action's output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .core_cli import write_flow
from .test_collect_types_e2e import collected, run_logged

ORDERS = """
    action PickSize {
      output Picked(size: text)
      output NotInterested
      on no_answer -> NotInterested
      on intent cancel ["never mind", "forget it"] -> NotInterested
      collect size: text in ["small", "large"]
        prompt "Small or large?"
      exit Picked(size = size)
    }

    flow Orders {
      on no_answer -> bye
      on intent human ["talk to a person", "operator"] -> handoff
      on intent cancel ["never mind", "cancel"] -> bye
      collect name: text
        prompt "Your name, please?"
      run pick = PickSize()
        on Picked -> confirmed
        on NotInterested -> changed_mind
      confirmed: talk "One {{pick.size}} for {{name}}."
      end
      changed_mind: end "No problem, {{name}}."
      handoff: transfer to "+15550001234"
        on error -> bye
      bye: end "Goodbye."
    }
"""


def heard(events: list[dict[str, Any]]) -> list[tuple[str, str, str, list[str]]]:
    return [
        (e["intent"], e["phrase"], e["body"], e["left"])
        for e in events
        if e["event"] == "intent_heard"
    ]


def test_a_flow_intent_at_the_flows_own_collect(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "orders.flow", ORDERS)
    run, events = run_logged(flow, ["I'd like to talk to a person please"])

    assert run.status == 0, run.stderr
    assert heard(events) == [("human", "talk to a person", "Orders", [])]
    assert 'intent: human ("talk to a person")' in run.transcript
    assert "transfer to +15550001234" in run.transcript
    assert "name" not in collected(events)


def test_a_flow_intent_heard_inside_an_action_leaves_it(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "orders.flow", ORDERS)
    run, events = run_logged(flow, ["Jane", "can I get one of your operators"])  # inflected

    assert run.status == 0, run.stderr
    assert heard(events) == [("human", "operator", "Orders", ["PickSize"])]
    assert not [e for e in events if e["event"] == "action_left"]
    assert "transfer to +15550001234" in run.transcript
    assert "pick" not in collected(events)


def test_the_actions_own_intent_wins_over_the_flows(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "orders.flow", ORDERS)
    run, events = run_logged(flow, ["Jane", "oh never mind"])

    assert run.status == 0, run.stderr
    assert heard(events) == [("cancel", "never mind", "PickSize", [])]
    assert "agent: No problem, Jane." in run.transcript


def test_a_negated_phrase_and_an_answer_are_not_intents(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "orders.flow", ORDERS)
    run, events = run_logged(flow, ["I don't want to cancel", "large"])

    assert run.status == 0, run.stderr
    assert heard(events) == []
    assert "agent: One large for I don't want to cancel." in run.transcript
