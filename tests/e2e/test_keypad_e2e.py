"""Keypad and speech together end to end through `flowc run`: a menu whose options
are numbered for the keypad in the order spoken, and a collect of a fixed number
of digits (`expect N digits`), keyed or said."""

from __future__ import annotations

from pathlib import Path

from .core_cli import write_flow
from .test_collect_types_e2e import collected, run_logged

BANK = """
    flow Bank {
      on no_answer -> lost
      collect desk: text in ["balance", "cards", "loans"]
        prompt "Press 1 or say balance, 2 for cards, 3 for loans."
      collect account: text
        prompt "Your eight-digit account number, then the hash key."
        reprompt "That was not eight digits. Your account number, please."
        expect 8 digits
      collect pin: secret
        prompt "And your four-digit PIN."
        expect 4 digits
      talk "{{desk}} for account {{account}}."
      end
      lost:
      end "Sorry, I did not get that."
    }
"""


def test_keys_pick_the_option_and_give_the_digits(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "bank.flow", BANK)
    run, events = run_logged(flow, ["2", "00421234#", "4321"])

    assert run.status == 0, run.stderr
    assert collected(events) == {"desk": "cards", "account": "00421234", "pin": "***"}
    assert "agent: cards for account 00421234." in run.transcript


def test_words_pick_the_option_and_say_the_digits(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "bank.flow", BANK)
    answers = [
        "press three",
        "oh oh four two one two three",  # seven digits: asked again
        "oh oh four two one two three four",
        "nine eight seven six",
    ]
    run, events = run_logged(flow, answers)

    assert run.status == 0, run.stderr
    assert collected(events) == {"desk": "loans", "account": "00421234", "pin": "***"}
    assert "agent: That was not eight digits. Your account number, please." in run.transcript
    assert "agent: loans for account 00421234." in run.transcript


def test_an_answer_that_is_never_the_digits_takes_the_no_answer_path(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, "bank.flow", BANK)
    run, events = run_logged(flow, ["one", "my account", "1234", "I don't know"])

    assert run.status == 0, run.stderr
    assert collected(events) == {"desk": "balance"}
    assert run.transcript[-2:] == ["agent: Sorry, I did not get that.", "end: ended"]
