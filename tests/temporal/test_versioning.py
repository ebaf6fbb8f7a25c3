"""A rebuilt flow does not break the calls in progress: each call's workflow runs on the
task queue of the build it started on, so the workers of the old build finish it while
the new build's workers take the new calls (docs/deploy.md, "Scale-out")."""

from __future__ import annotations

from pathlib import Path

from tests.serve.line import LineApi, wait_until
from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import Workers, line_flow, serve_on_temporal, workers
from .conftest import LocalTemporal

__all__ = ["served", "workers"]  # the fixtures

OLD_QUESTION = "How many pizzas? You can use the keypad."
NEW_QUESTION = "How many pizzas would you like?"


def test_a_call_in_progress_finishes_on_its_build_while_new_calls_take_the_new_one(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    old_worker = workers.start([flow])
    server = serve_on_temporal(served, flow, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as ongoing:
        ongoing.start()
        ongoing.answer("order")
        flow.write_text(flow.read_text().replace(OLD_QUESTION, NEW_QUESTION))
        # A rolling deploy: the new build's workers first, then the server, which starts
        # new calls on the new build's queue; the old worker keeps running.
        new_worker = workers.start([flow])
        server.restart()
        asked = ongoing.answer("Jane Doe")
        assert asked.gather is not None
        assert asked.gather.prompt == OLD_QUESTION
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as fresh:
            fresh.start()
            fresh.answer("order")
            fresh_asked = fresh.answer("John Doe")
            assert fresh_asked.gather is not None
            assert fresh_asked.gather.prompt == NEW_QUESTION
            fresh.hang_up()
        ongoing.press("2")
        assert ongoing.answer("yes").says == ["See you at the counter. Goodbye!"]
    wait_until(lambda: bool(old_worker.events("call_ended", ongoing.call_sid)), "call_ended")
    assert not new_worker.events("call_started", ongoing.call_sid)
    assert new_worker.events("call_started", fresh.call_sid)
    assert not old_worker.events("call_started", fresh.call_sid)
