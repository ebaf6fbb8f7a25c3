"""Held turns on Temporal lose no words: the words of a hold reply that no webhook was
waiting for any longer, and the final reply of a turn held when the call ended.

A hold reply's words are left out of the turn's later replies only once the
server has answered a webhook with them (the engine's `delivered` signal); a
webhook that comes after the call's workflow completed reads the last turn's
reply from the workflow's result.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.serve.line import LineApi, order_id
from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, TwiML, new_phone_number

from .calls import Workers, line_flow, serve_on_temporal, workers
from .conftest import LocalTemporal
from .test_faults import outcome_of

__all__ = ["served", "workers"]  # the fixtures

FLOWS = Path(__file__).parent / "flows"
HOLD_PHRASE = "One moment, please."


def words(answers: list[TwiML]) -> list[str]:
    """What the caller heard over these answers, without the hold phrases."""
    return [text for answer in answers for text in answer.says if text != HOLD_PHRASE]


def test_a_hold_reply_nobody_waited_for_leaves_its_words_to_the_next_wait(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    """The webhook gives up (no worker: a hold without words) before the worker that
    comes later holds the turn itself; that hold's words reach nobody, and must come
    with the redirect's wait."""
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal, "--hold-after", "1")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        workers.started[0].kill()
        api.delay("/orders", call.call_sid, 4.0)
        pressed = len(call.answers)
        assert call.press("3").says == [HOLD_PHRASE]  # no worker: the webhook's own hold
        workers.start([flow])
        api.wait_for("/orders", call.call_sid, timeout=20)
        time.sleep(1.5)  # the turn's hold (`--hold-after 1`) has fired in the workflow
        placed = call.follow_redirects()
        assert words(call.answers[pressed:]) == ["Let me place that order."]
        assert placed.gather is not None
        assert placed.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
    assert api.hits("/orders", call.call_sid) == 1


def test_the_reply_of_a_turn_held_when_the_call_ended_is_read_from_the_workflow_result(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    """The code step outlasts the hold; the call ends right after it, before the platform
    comes back for the rest (its hold phrase still playing): the workflow is complete,
    and the wait still gets the step's reply."""
    app = tmp_path / "app"
    app.mkdir()
    for name in ("checked.flow", "quotes.py"):
        shutil.copyfile(FLOWS / name, app / name)
    environment = {"QUOTES_LOG": str(tmp_path / "quotes.log"), "QUOTES_SECONDS": "2"}
    pool = Workers(tmp_path / "workers", temporal, environment)
    try:
        pool.start([app / "checked.flow"])
        server = serve_on_temporal(served, app / "checked.flow", temporal, "--hold-after", "1")
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            call.start()
            assert call.answer("two").says == [HOLD_PHRASE]
            assert outcome_of(temporal, call.call_sid).last_turn == 1  # the workflow is over
            rest = call.follow_redirects()
            assert rest.says == ["That is 25 dollars. Goodbye."]
            assert rest.redirect is None and rest.gather is None  # and then a hang-up
    finally:
        pool.close()
