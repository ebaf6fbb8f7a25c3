"""Served calls on Temporal, end to end: `flowc serve --engine temporal` answers signed
Twilio webhooks, `flowc worker` processes run the calls' workflows on a real dev server."""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
import sys
from pathlib import Path

from tests.serve.line import LineApi, copy_flows, order_id, outbox, wait_until
from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import TEST_PAYLOAD_KEY, Workers, line_flow, serve_on_temporal, workers
from .conftest import LocalTemporal

__all__ = ["served", "workers"]  # the fixtures

FLOWS = Path(__file__).parent / "flows"


def test_a_call_runs_as_a_workflow_from_the_first_webhook_to_after_call(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    worker = workers.start([flow])
    server = serve_on_temporal(served, flow, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        first = call.start()
        assert first.says == ["Welcome to the test line."]
        assert first.gather is not None
        assert first.gather.prompt == "Say order, transfer or goodbye."
        call.answer("order")
        call.answer("Jane Doe")
        placed = call.press("3")
        assert placed.says == ["Let me place that order."]
        assert placed.gather is not None
        assert placed.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    api.wait_for("/after", call.call_sid)
    (after,) = api.requests("/after", call.call_sid)
    assert after.json() == {"call": call.call_sid, "outcome": "ended"}
    (order,) = api.requests("/orders", call.call_sid)
    assert order.headers["idempotency-key"].startswith(f"{call.call_sid}:")
    assert len(outbox(tmp_path / "outbox.jsonl", to=call.from_)) == 1
    wait_until(lambda: bool(workers.events("call_ended", call.call_sid)), "call_ended")
    assert worker.stop() == 0  # SIGTERM: a clean stop


def test_flowc_worker_runs_modules_built_by_flowc_build(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    """`flowc-worker DIR --flow MODULE:FLOW` and `flowc-serve DIR --engine temporal`: the
    runtime's commands, without the compiler, on the same build."""
    built = tmp_path / "built"
    command = [sys.executable, "-m", "flowc.cli", "build", str(line_flow(tmp_path)), "-o"]
    subprocess.run([*command, str(built)], check=True, capture_output=True)
    workers.start_built(built, "line:Line")
    options = ["--engine", "temporal", "--temporal", temporal.address]
    env = {"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY}
    server = served.start(built=(built, "line:Line"), args=options, env=env)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        assert call.start().says == ["Welcome to the test line."]
        assert call.answer("goodbye").says == ["Goodbye!"]
    api.wait_for("/after", call.call_sid)


def test_a_retried_webhook_is_applied_once_and_answered_alike(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    """Twilio retries a webhook whose answer it did not get: the update id `CallSid:turn`
    makes the retry the same update, so the order is placed once, the answer repeated."""
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        assert call.start().text == call.retry().text
        call.answer("order")
        call.answer("Jane Doe")
        placed = call.press("3")
        assert call.retry().text == placed.text
        assert api.hits("/orders", call.call_sid) == 1
        turns = f"{server.url}/twilio/calls/{call.call_sid}"
        # An older turn's retry is answered as it was; a turn ahead of the call is refused.
        again = call.send(f"{turns}/2", call.fields({"SpeechResult": "Jane Doe"}))
        assert again.text == call.answers[3].text
        ahead = call.send(f"{turns}/7", call.fields({"SpeechResult": "yes"}))
        assert ahead.status_code == 409  # the call waits for turn 4
        assert call.answer("no").says == ["We will deliver it. Goodbye!"]
    api.wait_for("/after", call.call_sid)
    assert api.hits("/orders", call.call_sid) == 1
    assert len(outbox(tmp_path / "outbox.jsonl", to=call.from_)) == 1


def test_a_webhook_sent_twice_at_once_runs_its_turn_once_and_both_get_its_answer(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        placing = call.answer("Jane Doe")
        assert placing.gather is not None and placing.gather.action is not None
        api.delay("/orders", call.call_sid, 1.5)
        fields = call.fields({"Digits": "3"})
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            both = list(pool.map(lambda _: call.send(placing.gather.action, fields), range(2)))
        assert [answer.status_code for answer in both] == [200, 200]
        assert both[0].text == both[1].text
        assert f"Order {order_id(call.call_sid)} is placed." in both[0].text
    assert api.hits("/orders", call.call_sid) == 1


def test_a_slow_request_gets_a_hold_in_time_and_the_rest_after_the_redirect(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal, "--hold-after", "1")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 2.5)
        held = call.press("3")
        assert held.elapsed < 2.3  # `--hold-after 1`, where the request takes 2.5 s
        assert held.says == ["Let me place that order.", "One moment, please."]
        assert held.redirect == f"{server.url}/twilio/calls/{call.call_sid}/3/wait"
        rest = call.follow_redirects()
        assert rest.says == []  # said already, before the hold
        assert rest.gather is not None
        assert rest.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        assert rest.gather.action == f"{server.url}/twilio/calls/{call.call_sid}/4"
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    assert api.hits("/orders", call.call_sid) == 1


def test_a_hang_up_during_a_slow_request_ends_the_call_after_it_with_after_call_once(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal, "--hold-after", "1")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 2.0)
        assert call.press("3").redirect is not None  # held
        assert call.hang_up().status_code == 204
        api.wait_for("/after", call.call_sid)
        assert call.hang_up().status_code == 204  # reported twice: nothing runs again
    (after,) = api.requests("/after", call.call_sid)
    assert after.json()["outcome"] == "hangup"
    # The steps up to the next question ran: the order's SMS went out, once.
    assert len(outbox(tmp_path / "outbox.jsonl", to=call.from_)) == 1
    (sent,) = workers.events("message_sent", call.call_sid)
    assert sent["via"] == "Outbox"  # the worker's sender, not the workflow's activity


def test_flowc_call_drives_a_call_served_on_temporal(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal, "--workers", "2")  # web processes
    command = [sys.executable, "-m", "flowc.cli", "call", f"{server.url}/twilio/voice"]
    result = subprocess.run(
        [*command, "--from", "+15550001234", "--auth-token", server.auth_token],
        input="order\nJane Doe\n3\nyes\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    transcript = result.stdout.splitlines()
    assert transcript[0] == "agent: Welcome to the test line."
    assert "agent: Let me place that order." in transcript
    assert transcript[-2:] == ["agent: See you at the counter. Goodbye!", "end: ended"]


def test_a_code_step_runs_as_an_activity_on_a_worker(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    for name in ("quote.flow", "quotes.py"):
        shutil.copyfile(FLOWS / name, app / name)
    log = tmp_path / "quotes.log"
    pool = Workers(tmp_path / "workers", temporal, {"QUOTES_LOG": str(log)})
    try:
        worker = pool.start([app / "quote.flow"])
        server = serve_on_temporal(served, app / "quote.flow", temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            call.start()
            assert call.answer("two").says == ["That is 25 dollars. Goodbye."]
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            call.start()
            assert call.answer("zero").says == ["We cannot price that. Goodbye."]
        (failed,) = worker.events("code_failed", call.call_sid)
        assert failed["reason"] == "ValueError: no price for 0 pizzas"
    finally:
        pool.close()
    assert log.read_text().split() == [str(worker.pid)] * 2  # in the worker, once each


def test_a_conversation_relay_call_runs_on_temporal_too(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    """The relay transport asks the engine what it asks the store-backed switchboard."""
    (flow,) = copy_flows(tmp_path / "relay", "relay_line.flow")
    pool = Workers(tmp_path / "workers", temporal, {})
    try:
        pool.start([flow])
        server = serve_on_temporal(served, flow, temporal, "--transport", "relay")
        command = [sys.executable, "-m", "flowc.cli", "call", f"{server.url}/twilio/voice"]
        command += ["--auth-token", server.auth_token, "--speech-rate", "60"]
        result = subprocess.run(
            [*command, "--relay-pause", "0.3"],
            input="Ada\n42\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        pool.close()
    assert result.returncode == 0, result.stderr
    assert "agent: Thanks Ada, PIN 42. Goodbye!" in result.stdout.splitlines()
