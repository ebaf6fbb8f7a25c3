"""Keying through Twilio Voice webhooks (a real `flowc serve`, real signed requests):
a menu's Gather ends at the first key, `expect 8 digits`' at the eighth or on `#`,
and words said instead of keys are understood alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flowc_runtime.serve.turns import keys_that_answer
from flowc_runtime.services import Question

from tests.serve.line import copy_flows
from tests.support.served import ServedFlow
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

MENU = "Press 1 for balance, 2 for cards, 3 for loans."
ASK_ACCOUNT = "Your eight-digit account number, then the hash key."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedFlow]:
    folder = tmp_path_factory.mktemp("twilio-keypad")
    (flow,) = copy_flows(folder / "bank", "keypad.flow")
    served = ServedFlow(folder / "server", [flow])
    served.start()
    yield served
    served.close()


@pytest.fixture
def call(server: ServedFlow) -> Iterator[TwilioCall]:
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as phone_call:
        yield phone_call


def test_a_menu_takes_one_key_and_a_fixed_number_of_digits_ends_on_hash(
    call: TwilioCall,
) -> None:
    menu = call.start().gather
    assert menu is not None and menu.prompt == MENU
    assert menu.input == "speech dtmf"
    assert menu.num_digits == 1  # three options: the first key is the answer

    account = call.press("2").gather
    assert account is not None and account.prompt == ASK_ACCOUNT
    assert (account.num_digits, account.finish_on_key) == (8, "#")

    # Twilio leaves the `#` out of Digits; leading zeros are kept.
    done = call.press("00421234")
    assert done.says == ["cards for account 00421234.", "Goodbye."]
    assert done.hangup


def test_digits_said_instead_of_keyed_are_understood_and_too_few_are_asked_again(
    call: TwilioCall,
) -> None:
    call.start()
    account = call.answer("press three").gather
    assert account is not None and account.prompt == ASK_ACCOUNT

    again = call.press("0042")  # `#` after four keys: not eight digits
    assert again.gather is not None and again.gather.prompt == ASK_ACCOUNT

    done = call.answer("oh oh four two one two three four")
    assert done.says == ["loans for account 00421234.", "Goodbye."]


def test_a_menu_of_numbers_waits_for_the_whole_number() -> None:
    numbers = Question("text", "How many nights: 5, 10 or 15?", options=["5", "10", "15"])
    words = Question(
        "text", "Say or press 1 for sales, 2 for support.", options=["sales", "support"]
    )
    assert keys_that_answer(numbers) is None  # "10" keyed is ten, not the first option
    assert keys_that_answer(words) == 1
    assert keys_that_answer(Question("secret", "Your PIN.", digits=4)) == 4
