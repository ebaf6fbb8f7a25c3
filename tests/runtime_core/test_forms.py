"""Forms in the runtime: the rules that fill a record's fields from one answer
(runtime/forms.py), and the conversation of `Call.collect_form`, run to the end and
suspended at every turn, its progress stored in the call state and resumed."""

from __future__ import annotations

import asyncio
import json

import pytest
from flowc_runtime import MemorySink, Outcome, ScriptedChannel, WhenExhausted, resume_call, run_call
from flowc_runtime.call import Call, FormField, FormQuestion
from flowc_runtime.program import ENDED, Body, Move, Step, Vars
from flowc_runtime.services import JSON

from .helpers import FIXED_NOW, local_services

SIZE = FormField("size", "text", "Which size?", options=["small", "medium", "large"])
TOPPING = FormField("topping", "text", "Which topping?", options=["pepperoni", "veggie"])
COUNT = FormField("count", "number", "How many?")
FIELDS = (SIZE, TOPPING, COUNT)


def filled(said: str, asking: str | None = None) -> dict[str, JSON]:
    understanding = local_services().understanding
    found: dict[str, JSON] = understanding.understand_form(said, FIELDS, FIXED_NOW, asking)
    return found


@pytest.mark.parametrize(
    ("said", "asking", "fields"),
    [
        ("a large pepperoni please", None, {"size": "large", "topping": "pepperoni"}),
        ("two large", None, {"size": "large", "count": 2}),
        ("no, make it 60", None, {"count": 60}),
        # "one" after an option is no count
        ("actually a small one", None, {"size": "small"}),
        ("a big one", None, {}),
        ("just one", None, {"count": 1}),
        ("change the size to medium", None, {"size": "medium"}),
        ("I'd like 3 veggie", "size", {"topping": "veggie", "count": 3}),
        # by position only for the field asked, and then nothing else is read
        ("the second one", "size", {"size": "medium"}),
        ("not large, medium", "size", {"size": "medium"}),
        ("yes", None, {}),
        ("", None, {}),
    ],
)
def test_one_answer_fills_the_fields_it_gives(
    said: str, asking: str | None, fields: dict[str, JSON]
) -> None:
    assert filled(said, asking) == fields


def test_a_value_two_fields_could_take_goes_to_the_field_asked_or_named() -> None:
    base = FormField("base", "text", "Which base?", options=["thin", "classic"])
    crust = FormField("crust", "text", "Which crust?", options=["classic", "stuffed"])
    understanding = local_services().understanding
    fields = (base, crust)
    assert understanding.understand_form("classic", fields, FIXED_NOW, None) == {}
    assert understanding.understand_form("classic", fields, FIXED_NOW, "crust") == {
        "crust": "classic"
    }
    named = understanding.understand_form("a classic crust", fields, FIXED_NOW, None)
    assert named == {"crust": "classic"}


def test_the_answer_to_a_plain_field_is_not_read_for_the_others() -> None:
    day = FormField("day", "date", "Which day?")
    understanding = local_services().understanding
    said = understanding.understand_form("March 15th 2030", (COUNT, day), FIXED_NOW, "day")
    assert said == {"day": "2030-03-15"}


# --------------------------------------------------------------------------
# The conversation: a flow of one form, in the shape the code generator emits
#
#   flow Order {
#     set usual = env("USUAL_SIZE") as text                          # forms.flow:1
#     collect order: {size: ..., topping: ..., count: number}      # forms.flow:2
#       prompt "What would you like?" reprompt "What should I change?" attempts 2
#       ask size "Which size?" ask topping "Which topping?" ask count "How many?"
#       given {size: usual} confirm "{{order.count}} {{order.size}} ..., right?"
#     end "Done."                                                   # forms.flow:8
#     lost: end "Sorry."                                            # forms.flow:9
#   }


def read_back(v: Vars) -> str:
    order = v["order"]
    assert isinstance(order, dict)
    return f"{order['count']} {order['size']} {order['topping']}, right?"


def order_0_set(call: Call, v: Vars) -> Move:
    call.set(v, "usual", call.env("USUAL_SIZE"))
    return 1


async def order_1_collect(call: Call, v: Vars) -> Move:
    form = FormQuestion(
        "What would you like?",
        fields=FIELDS,
        reprompt="What should I change?",
        attempts=2,
        given={"size": v.get("usual")},
        confirm=read_back,
    )
    if await call.collect_form(v, "order", form):
        return 2
    return 3


async def order_2_end(call: Call, v: Vars) -> Move:
    await call.end("Done.")
    return ENDED


async def order_3_end(call: Call, v: Vars) -> Move:
    await call.end("Sorry.")
    return ENDED


FLOW_Order = Body(
    module=__name__,
    name="Order",
    source="forms.flow",
    steps=(
        Step(1, "set", order_0_set),
        Step(2, "collect", order_1_collect),
        Step(8, "end", order_2_end),
        Step(9, "end", order_3_end),
    ),
)
BODIES = {"Order": FLOW_Order}


def talk(answers: list[str | None]) -> tuple[ScriptedChannel, MemorySink, Outcome | None]:
    channel, sink = ScriptedChannel(answers), MemorySink()
    result = asyncio.run(run_call(FLOW_Order, local_services(), channel, sinks=[sink]))
    return channel, sink, result.outcome


def order_set(sink: MemorySink) -> list[JSON]:
    events = sink.events
    return [e["value"] for e in events if e["event"] == "variable_set" and e["name"] == "order"]


def test_corrections_and_the_read_back() -> None:
    channel, sink, outcome = talk(["two pepperoni", "large", "no, make it three", "yes"])

    assert outcome is Outcome.ENDED
    assert channel.said == [
        "What would you like?",
        "Which size?",
        "2 large pepperoni, right?",
        "3 large pepperoni, right?",
        "Done.",
    ]
    assert order_set(sink) == [{"size": "large", "topping": "pepperoni", "count": 3}]
    kinds = [e["event"] for e in sink.events if str(e["event"]).startswith(("field_", "form_"))]
    assert kinds == ["field_filled"] * 3 + ["field_corrected", "form_confirmed"]


def test_a_question_out_of_attempts_takes_no_answer_and_sets_nothing() -> None:
    channel, sink, outcome = talk(["veggie", None, "lots"])

    assert outcome is Outcome.ENDED
    assert channel.said == [
        "What would you like?", "Which size?", "Which size?", "Sorry.",
    ]  # fmt: skip
    assert order_set(sink) == []
    (no_answer,) = [e for e in sink.events if e["event"] == "no_answer"]
    assert (no_answer["variable"], no_answer["attempts"]) == ("order", 2)


def test_a_plain_no_asks_what_to_change_and_silence_there_uses_attempts() -> None:
    channel, _, _ = talk(["one large veggie", "no", None, "small", "yes"])

    assert channel.said == [
        "What would you like?",
        "1 large veggie, right?",
        "What should I change?",
        "What should I change?",
        "1 small veggie, right?",
        "Done.",
    ]


def test_every_turn_suspends_and_resumes_where_the_form_was() -> None:
    """A new channel for every turn, as a telephony webhook gives: the state holds
    the fields filled and the question asked, and no prompt is said twice."""
    services = local_services()
    answers = ["a small", "veggie", "two", "actually make it large", "yes"]
    said: list[str] = []
    first = ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND)
    result = asyncio.run(run_call(FLOW_Order, services, first))
    said += first.said
    states: list[dict[str, JSON]] = []
    for answer in answers:
        assert result.state is not None
        states.append(json.loads(result.state))
        channel = ScriptedChannel([answer], when_exhausted=WhenExhausted.SUSPEND)
        result = asyncio.run(resume_call(result.state, services, channel, bodies=_bodies))
        said += channel.said
    assert result.outcome is Outcome.ENDED
    assert said == [
        "What would you like?",
        "Which topping?",
        "How many?",
        "2 small veggie, right?",
        "2 large veggie, right?",
        "Done.",
    ]
    progress = [_stored_progress(state) for state in states]
    assert progress[1] == {"filled": {"size": "small"}, "asking": "topping", "attempt": 1}
    assert progress[3] == {
        "filled": {"size": "small", "topping": "veggie", "count": 2},
        "asking": "?confirm",
        "attempt": 1,
    }


def _stored_progress(state: dict[str, JSON]) -> JSON:
    frames = state["frames"]
    assert isinstance(frames, list) and isinstance(frames[0], dict)
    variables = frames[0]["vars"]
    assert isinstance(variables, dict)
    return variables["order.form"]


def _bodies(module: str, name: str) -> Body:
    assert module == __name__
    return BODIES[name]


def test_given_fields_are_not_asked() -> None:
    channel = ScriptedChannel(["pepperoni and two", "yes"])
    services = local_services({"USUAL_SIZE": "medium"})
    asyncio.run(run_call(FLOW_Order, services, channel))

    assert channel.said == ["What would you like?", "2 medium pepperoni, right?", "Done."]


def test_a_field_named_by_a_filler_word_is_not_named_by_every_answer() -> None:
    number = FormField("number", "number", "Which number?")
    guests = FormField("guests", "number", "How many guests?")
    understanding = local_services().understanding
    fields = (number, guests)
    # Two number fields: a number goes to the field named, and "number" names none.
    assert understanding.understand_form("four", fields, FIXED_NOW, None) == {}
    assert understanding.understand_form("four guests", fields, FIXED_NOW, None) == {"guests": 4}


def test_a_given_value_that_is_not_an_option_is_asked_for() -> None:
    channel = ScriptedChannel(["pepperoni and two", "small", "yes"])
    services = local_services({"USUAL_SIZE": "huge"})
    asyncio.run(run_call(FLOW_Order, services, channel))

    assert channel.said == [
        "What would you like?", "Which size?", "2 small pepperoni, right?", "Done.",
    ]  # fmt: skip


# --------------------------------------------------------------------------
# The words a field takes leave the answer (issue 10 review)

PARTY = FormField("party", "number", "How many people?")
DAY = FormField("day", "date", "Which day?")
AT = FormField("at", "time", "What time?")
NAME = FormField("name", "text", "Your name?")
EMAIL = FormField("email", "email", "Your email?")
DELIVERY = FormField("delivery", "bool", "Should we deliver it?")


def filled_in(
    fields: tuple[FormField, ...], said: str, asking: str | None = None
) -> dict[str, JSON]:
    understanding = local_services().understanding
    found: dict[str, JSON] = understanding.understand_form(said, fields, FIXED_NOW, asking)
    return found


@pytest.mark.parametrize(
    ("fields", "said", "asking", "values"),
    [
        # a bare hour is a time only when a time is asked
        ((SIZE, COUNT, AT), "two large", None, {"size": "large", "count": 2}),
        ((PARTY, AT), "four", None, {"party": 4}),
        ((PARTY, AT), "four", "at", {"at": "16:00"}),
        # every value takes its own words: 7 pm is no party, four no hour
        (
            (PARTY, DAY, AT),
            "a table for four on Friday at 7 pm",
            None,
            {"party": 4, "day": "2030-03-15", "at": "19:00"},
        ),
        ((PARTY, DAY), "on the 14th", None, {"day": "2030-03-14"}),
    ],
)
def test_no_word_gives_two_fields(
    fields: tuple[FormField, ...], said: str, asking: str | None, values: dict[str, JSON]
) -> None:
    assert filled_in(fields, said, asking) == values


BOOKING = (
    FormField("party", "number", "For how many?"),
    FormField("day", "date", "Which day?"),
    FormField("at", "time", "What time?"),
    FormField("phone", "phone", "Your number?"),
)


@pytest.mark.parametrize(
    ("said", "values"),
    [
        (
            "for 4 people on the 5th at 7 pm, my number is 2125550199",
            {"party": 4, "day": "2030-04-05", "at": "19:00", "phone": "+12125550199"},
        ),
        ("for 2, phone 2125550199", {"party": 2, "phone": "+12125550199"}),
    ],
)
def test_a_value_is_read_from_its_own_words_in_a_longer_answer(
    said: str, values: dict[str, JSON]
) -> None:
    assert filled_in(BOOKING, said) == values
    assert filled_in(BOOKING, said, "phone") == values


@pytest.mark.parametrize(
    ("said", "asking", "values"),
    [
        ("Bob, and make it three", "name", {"count": 3, "name": "Bob"}),
        ("the name is Bob Smith and make it three", None, {"count": 3, "name": "Bob Smith"}),
        # an "and" after which nothing else is said stays in the text, and so does a comma
        ("Johnson and Johnson", "name", {"name": "Johnson and Johnson"}),
        ("12 Main Street, apartment 4", "name", {"name": "12 Main Street, apartment 4"}),
    ],
)
def test_a_text_stops_at_an_and_after_which_other_fields_are_said(
    said: str, asking: str | None, values: dict[str, JSON]
) -> None:
    assert filled_in((SIZE, COUNT, NAME), said, asking) == values


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("not large, medium", {"size": "medium"}),
        ("make it a medium instead of the large", {"size": "medium"}),
        ("no, I said veggie not pepperoni", {"topping": "veggie"}),
        ("no, three, not two", {"count": 3}),
        ("not two but three larges", {"size": "large", "count": 3}),
        # a "no" before a comma negates nothing after it
        ("no, large", {"size": "large"}),
        # a value repaired in the same answer: the later one wins
        ("two, no, three", {"count": 3}),
        ("two, I mean three", {"count": 3}),
        ("two, actually three", {"count": 3}),
        ("small, I mean large", {"size": "large"}),
        ("small no large", {"size": "large"}),
        # a repair word between values of two fields repairs nothing
        ("two large no pepperoni", {"size": "large", "count": 2}),
    ],
)
def test_a_correction_at_the_read_back_reads_not_and_instead_of(
    said: str, values: dict[str, JSON]
) -> None:
    assert filled(said) == values


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("no, the name is Jo", {"name": "Jo"}),
        ("change the name to Jo Smith", {"name": "Jo Smith"}),
        ("a large, and the name should be Jo", {"size": "large", "name": "Jo"}),
        ("change delivery to no", {"delivery": False}),
        # a name alone gives no value
        ("the name", {}),
    ],
)
def test_a_text_or_bool_field_named_with_its_value_changes(
    said: str, values: dict[str, JSON]
) -> None:
    assert filled_in((SIZE, NAME, DELIVERY), said) == values


@pytest.mark.parametrize(
    ("said", "asking", "values"),
    [
        ("marge.large@example.com", "email", {"email": "marge.large@example.com"}),
        ("Marge Simpson", "name", {"name": "Marge Simpson"}),
        ("my name is Jo", "name", {"name": "Jo"}),
        # misheard options only for the field asked: "mall" is no small here
        ("mall", "email", {}),
        ("mall", "size", {"size": "small"}),
    ],
)
def test_an_option_word_inside_another_answer_stays_in_it(
    said: str, asking: str, values: dict[str, JSON]
) -> None:
    assert filled_in((SIZE, NAME, EMAIL), said, asking) == values


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("two", {"count": 2}),
        ("two please", {"count": 2}),
        ("the second one", {"size": "medium"}),
        ("press 2", {"size": "medium"}),
        # a key pressed (the keypad answers a menu field with its figure)
        ("3", {"size": "large"}),
    ],
)
def test_a_bare_number_is_the_count_not_an_option_by_position(
    said: str, values: dict[str, JSON]
) -> None:
    assert filled(said, "size") == values


def test_without_a_number_field_a_number_chooses_by_position() -> None:
    assert filled_in((SIZE, NAME), "two", "size") == {"size": "medium"}


def test_given_values_of_another_type_are_asked_for() -> None:
    form = FormQuestion(
        "What would you like?",
        fields=(SIZE, COUNT, DAY),
        given={"size": "large", "count": "two", "day": "next tuesday"},
    )
    channel = ScriptedChannel(["three on the 14th"])

    async def collect(call: Call, v: Vars) -> Move:
        assert await call.collect_form(v, "order", form)
        await call.end(str(v["order"]))
        return ENDED

    body = Body(__name__, "Given", "given.flow", (Step(1, "collect", collect),))
    asyncio.run(run_call(body, local_services(), channel))

    assert channel.said == [
        "What would you like?",
        "{'size': 'large', 'count': 3, 'day': '2030-03-14'}",
    ]


def test_at_what_to_change_nothing_goes_back_and_a_field_named_is_asked() -> None:
    channel, sink, outcome = talk(
        ["one large veggie", "no", "nothing, it's fine", "no", "the size", "small", "yes"]
    )

    assert outcome is Outcome.ENDED
    assert channel.said == [
        "What would you like?",
        "1 large veggie, right?",
        "What should I change?",
        "1 large veggie, right?",
        "What should I change?",
        "Which size?",
        "1 small veggie, right?",
        "Done.",
    ]
    assert order_set(sink) == [{"size": "small", "topping": "veggie", "count": 1}]


def test_a_field_asked_again_to_change_it_resumes_as_such() -> None:
    """The stored progress says the field asked has a value being changed: the
    resumed call goes back to the read-back after it, not on to the next field."""
    services = local_services()
    answers = ["one large veggie", "no", "the size", "small", "yes"]
    first = ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND)
    result = asyncio.run(run_call(FLOW_Order, services, first))
    said = list(first.said)
    for answer in answers:
        assert result.state is not None
        channel = ScriptedChannel([answer], when_exhausted=WhenExhausted.SUSPEND)
        if answer == "small":
            progress = _stored_progress(json.loads(result.state))
            assert isinstance(progress, dict) and progress["correcting"] is True
        result = asyncio.run(resume_call(result.state, services, channel, bodies=_bodies))
        said += channel.said
    assert said[-3:] == ["Which size?", "1 small veggie, right?", "Done."]
