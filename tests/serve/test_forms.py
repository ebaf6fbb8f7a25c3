"""A form served to Twilio Voice (a real `flowc serve`, real signed webhooks): the form
waits on the caller several times in one step, each turn a new webhook, so its
progress lives in the stored call state between them; and a Gather follows the
question asked (the keypad for a menu field)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from tests.support.served import ServedFlow
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

PIZZA = """
    flow Pizza {
      on no_answer -> lost
      collect order: {
        size: text in ["small", "medium", "large"],
        topping: text in ["pepperoni", "veggie"],
        count: number,
      }
        prompt "What can I get you?"
        attempts 2
        ask size "Which size? Press 1 for small, 2 for medium, 3 for large."
        ask topping "Which topping?"
        ask count "How many?"
        confirm "So that's {{order.count}} {{order.size}} {{order.topping}}, right?"
      end "Coming up: {{order.count}} {{order.size}} {{order.topping}}."
      lost:
      end "Sorry, goodbye."
    }
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedFlow]:
    folder = tmp_path_factory.mktemp("twilio-forms")
    flow = folder / "pizza" / "pizza.flow"
    flow.parent.mkdir()
    flow.write_text(textwrap.dedent(PIZZA).lstrip(), encoding="utf-8")
    served = ServedFlow(folder / "server", [flow])
    served.start()
    yield served
    served.close()


@pytest.fixture
def call(server: ServedFlow) -> Iterator[TwilioCall]:
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as phone_call:
        yield phone_call


def test_the_form_resumes_at_each_webhook_with_what_it_has(call: TwilioCall) -> None:
    opening = call.start().gather
    assert opening is not None and opening.prompt == "What can I get you?"

    # Two fields at once; only the size is asked next, by its own prompt, on the keypad.
    size = call.answer("two veggie please").gather
    assert size is not None
    assert size.prompt == "Which size? Press 1 for small, 2 for medium, 3 for large."
    assert size.num_digits == 1

    read_back = call.press("3").gather
    assert read_back is not None and read_back.prompt == "So that's 2 large veggie, right?"

    again = call.answer("no, make it three").gather
    assert again is not None and again.prompt == "So that's 3 large veggie, right?"

    done = call.answer("yes")
    assert done.says == ["Coming up: 3 large veggie."]
    assert done.hangup


def test_silence_at_a_served_field_asks_it_again_then_takes_no_answer(call: TwilioCall) -> None:
    call.start()
    topping = call.answer("a small one").gather
    assert topping is not None and topping.prompt == "Which topping?"

    again = call.silence().gather
    assert again is not None and again.prompt == "Which topping?"

    done = call.silence()
    assert done.says == ["Sorry, goodbye."]
    assert done.hangup
