"""Forms end to end through `flowc run`: a collect of a record that fills every field one
answer gives, asks only for what is missing, takes corrections while it is open, reads
the values back, and skips the fields it is given."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from .core_cli import write_flow
from .test_collect_types_e2e import run_logged, spoken_date, understood_on

DELIVERY = """
    flow Delivery {
      on no_answer -> lost
      set usual = {size: "large"}
      collect order: {
        size: text in ["small", "medium", "large"],
        topping: text in ["pepperoni", "veggie"],
        count: number,
        day: date,
        name: text,
      }
        prompt "What would you like, and for when?"
        reprompt "What should I change?"
        attempts 2
        ask size "Which size?"
        ask topping "Which topping?"
        ask count "How many?"
        ask day "For which day?"
        ask name "And the name for the order?"
        given usual
        confirm "{{order.count}} {{order.topping}} for {{order.name}} on {{order.day}}, right?"
      talk "Ordered: {{order.count}} {{order.size}} {{order.topping}} for {{order.name}}."
      end
      lost:
      end "Sorry."
    }
"""


def form_events(events: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (e["event"], e["field"], repr(e["value"]))
        for e in events
        if e["event"] in ("field_filled", "field_corrected")
    ]


def test_one_answer_fills_several_fields_and_only_the_missing_are_asked(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "delivery.flow", DELIVERY)
    answers = ["two veggie for tomorrow", "Jane", "yes"]
    run, events = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    tomorrow = understood_on(events, "order") + timedelta(days=1)
    asked = [line for line in run.transcript if line.startswith("agent:")]
    # The size is given (`given usual`): never asked; count, topping and day came at once.
    assert asked == [
        "agent: What would you like, and for when?",
        "agent: And the name for the order?",
        f"agent: 2 veggie for Jane on {spoken_date(tomorrow)}, right?",
        "agent: Ordered: 2 large veggie for Jane.",
    ]
    assert form_events(events) == [
        ("field_filled", "topping", "'veggie'"),
        ("field_filled", "count", "2"),
        ("field_filled", "day", repr(tomorrow.isoformat())),
        ("field_filled", "name", "'Jane'"),
    ]
    (order,) = [e["value"] for e in events if e["event"] == "variable_set" and e["name"] == "order"]
    assert order == {
        "size": "large", "topping": "veggie", "count": 2, "day": tomorrow.isoformat(),
        "name": "Jane",
    }  # fmt: skip


def test_corrections_change_the_field_their_value_fits(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "delivery.flow", DELIVERY)
    answers = [
        "a pepperoni",
        "actually make it a small veggie, three of them",  # asked: the count
        "March 15th 2030",
        "Sam",
        "no, make it 4",  # the read-back: a correction, read back again
        "change the size to medium",
        "yes",
    ]
    run, events = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    assert "agent: 3 veggie for Sam on Friday, March 15, 2030, right?" in run.transcript
    assert "agent: 4 veggie for Sam on Friday, March 15, 2030, right?" in run.transcript
    assert "agent: Ordered: 4 medium veggie for Sam." in run.transcript
    corrected = [(field, value) for kind, field, value in form_events(events)
                 if kind == "field_corrected"]  # fmt: skip
    assert corrected == [
        ("size", "'small'"), ("topping", "'veggie'"), ("count", "4"), ("size", "'medium'"),
    ]  # fmt: skip
    assert [e["variable"] for e in events if e["event"] == "form_confirmed"] == ["order"]


def test_a_plain_no_asks_what_to_change(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "delivery.flow", DELIVERY)
    answers = ["one pepperoni today", "Ann", "no", "two", "yep"]
    run, _ = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    no_at = run.transcript.index("caller: no")
    assert run.transcript[no_at + 1] == "agent: What should I change?"
    assert "agent: Ordered: 2 large pepperoni for Ann." in run.transcript


def test_a_field_never_given_takes_the_no_answer_path(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "delivery.flow", DELIVERY)
    run, events = run_logged(flow, ["two veggie", "", "whenever"])

    assert run.status == 0, run.stderr
    assert run.transcript[-2:] == ["agent: Sorry.", "end: ended"]
    assert run.transcript.count("agent: For which day?") == 2
    assert {"event": "no_answer", "variable": "order", "attempts": 2}.items() <= next(
        e for e in events if e["event"] == "no_answer"
    ).items()
    assert not [e for e in events if e["event"] == "variable_set" and e["name"] == "order"]


ACTION = """
    action TakeOrder {
      input usual: {size: text, topping: text}
      output Done(what: text)
      output Gone
      on no_answer -> Gone
      collect order: {size: text in ["small", "large"], topping: text in ["ham", "veggie"]}
        prompt "The usual?"
        ask size "Which size?"
        ask topping "Which topping?"
        given {size: usual.size, topping: usual.topping}
      exit Done(what = "{{order.size}} {{order.topping}}")
    }

    flow Caller {
      run take = TakeOrder(usual = {size: "small", topping: "ham"})
        on Done -> done
        on Gone -> gone
      done:
      end "{{take.what}} it is."
      gone:
      end "Bye."
    }
"""


def test_every_field_given_asks_nothing(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "take.flow", ACTION)
    run, _ = run_logged(flow, [])

    assert run.status == 0, run.stderr
    assert run.transcript == ["agent: small ham it is.", "end: ended"]


HANDOFF = """
    flow Line {
      on no_answer -> bye
      on intent human ["talk to a person"] -> handoff
      collect order: {size: text in ["small", "large"], count: number}
        prompt "What would you like?"
        ask size "What size?"
        ask count "How many?"
      end "{{order.count}} {{order.size}}."
      handoff:
      transfer to "+15551230000"
      bye:
      end "Bye."
    }
"""


def test_a_global_intent_is_heard_at_every_question_of_a_form(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "line.flow", HANDOFF)
    run, events = run_logged(flow, ["large", "can I talk to a person"])

    assert run.status == 0, run.stderr
    assert run.transcript[-2:] == ["transfer to +15551230000", "end: transferred"]
    assert not [e for e in events if e["event"] == "variable_set" and e["name"] == "order"]


DELIVERY_CHOICE = """
    flow Pickup {
      on no_answer -> bye
      set usual = {size: "Large"}
      collect order: {size: text in ["small", "large"], delivery: bool}
        prompt "What would you like?"
        ask size "What size?"
        ask delivery "Is that for delivery?"
        given usual
        confirm "A {{order.size}}, delivery {{order.delivery}}. Right?"
      end "{{order.size}}."
      bye:
      end "Bye."
    }
"""


def test_a_given_option_in_another_case_is_kept_and_a_bool_is_read_back_as_yes(
    tmp_path: Path,
) -> None:
    flow = write_flow(tmp_path, "pickup.flow", DELIVERY_CHOICE)
    run, _ = run_logged(flow, ["yes", "yes"])

    assert run.status == 0, run.stderr
    # `given` "Large" is the option "large": the size is never asked.
    assert [line for line in run.transcript if line.startswith("agent:")] == [
        "agent: Is that for delivery?",
        "agent: A large, delivery yes. Right?",
        "agent: large.",
    ]


TABLE = """
    flow Table {
      on no_answer -> bye
      collect booking: {party: number, at: time}
        prompt "For how many, and when?"
        ask party "How many?"
        ask at "What time?"
        confirm "{{booking.party}} at {{booking.at}}. Right?"
      end "Booked for {{booking.at}}."
      bye:
      end "Bye."
    }
"""


def test_a_time_corrected_without_its_half_of_the_day_keeps_the_old_half(
    tmp_path: Path,
) -> None:
    flow = write_flow(tmp_path, "table.flow", TABLE)
    evening, _ = run_logged(flow, ["four at 7 pm", "no, at eight", "yes"])
    morning, _ = run_logged(flow, ["four at 7 pm", "no, at 8 am", "yes"])

    assert evening.status == 0, evening.stderr
    assert "agent: 4 at 8 PM. Right?" in evening.transcript
    assert evening.transcript[-2] == "agent: Booked for 8 PM."
    # A half said is kept: the caller meant the morning.
    assert morning.transcript[-2] == "agent: Booked for 8 AM."
