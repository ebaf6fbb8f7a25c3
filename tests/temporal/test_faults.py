"""Calls on Temporal outlive their workers: `kill -9` of the worker running a call, between
turns, during a slow request and during `after call`, and another worker finishes it.

Each test starts one worker, kills it at the moment that matters, and starts a
second one; what the caller notices (the webhooks' answers) and what the API
receives (how often, with which Idempotency-Key) are checked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from flowc_runtime.temporal.connection import connect
from flowc_runtime.temporal.workflow import CallOutcome, FlowCall
from temporalio.client import WorkflowHandle

from tests.serve.line import LineApi, order_id, wait_until
from tests.support.served import ServedFlow, ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import TEST_PAYLOAD_KEY, Workers, line_flow, serve_on_temporal, workers
from .conftest import LocalTemporal

__all__ = ["served", "workers"]  # the fixtures


def outcome_of(temporal: LocalTemporal, call_sid: str) -> CallOutcome:
    """The call's workflow result, read through a client with the payload key."""

    async def result() -> CallOutcome:
        client = await connect(temporal.address, "default", {"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY})
        handle: WorkflowHandle[FlowCall, CallOutcome] = client.get_workflow_handle_for(
            FlowCall.run, call_sid
        )
        return await asyncio.wait_for(handle.result(), 30)

    return asyncio.run(result())


def keys(api: LineApi, path: str, call_sid: str) -> list[str]:
    return [r.headers["idempotency-key"] for r in api.requests(path, call_sid)]


def start_line(
    served: ServerFactory, workers: Workers, tmp_path: Path, temporal: LocalTemporal
) -> tuple[Path, ServedFlow]:
    flow = line_flow(tmp_path)
    workers.start([flow])
    return flow, serve_on_temporal(served, flow, temporal, "--hold-after", "1")


def test_a_worker_killed_between_turns_leaves_the_call_to_another_worker(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow, server = start_line(served, workers, tmp_path, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        workers.started[0].kill()
        workers.start([flow])
        count = call.follow_redirects() if call.answer("Jane Doe").redirect else call.last
        assert count is not None and count.gather is not None
        assert count.gather.prompt == "How many pizzas? You can use the keypad."
        placed = call.press("3")
        placed = call.follow_redirects() if placed.redirect else placed
        assert placed.gather is not None
        assert placed.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    outcome = outcome_of(temporal, call.call_sid)
    assert (outcome.outcome, outcome.fault) == ("ended", None)
    assert api.hits("/orders", call.call_sid) == 1


def test_a_worker_killed_during_a_slow_request_has_it_sent_again_with_the_same_key(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow, server = start_line(served, workers, tmp_path, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 3.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(call.press, "3")
            api.wait_for("/orders", call.call_sid)
            workers.started[0].kill()
            assert held.result().redirect is not None  # on hold: the request is out
        workers.start([flow])
        api.wait_for("/orders", call.call_sid, count=2, timeout=20)
        rest = call.follow_redirects(limit=40)
        assert rest.gather is not None
        assert rest.gather.prompt == (
            f"Order {order_id(call.call_sid)} is placed. Will you pick it up yourself?"
        )
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    first, second = keys(api, "/orders", call.call_sid)
    assert first == second  # the API can tell the second for the same request
    outcome = outcome_of(temporal, call.call_sid)
    assert (outcome.outcome, outcome.fault) == ("ended", None)


def test_a_worker_killed_during_after_call_leaves_it_to_another_worker_to_finish_once(
    served: ServerFactory, workers: Workers, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    flow, server = start_line(served, workers, tmp_path, temporal)
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        api.delay("/after", call.call_sid, 3.0)
        assert call.answer("goodbye").says == ["Goodbye!"]
        api.wait_for("/after", call.call_sid)
        workers.started[0].kill()
        assert call.hang_up().status_code == 204
    workers.start([flow])
    outcome = outcome_of(temporal, call.call_sid)
    assert (outcome.outcome, outcome.fault) == ("ended", None)
    after = api.requests("/after", call.call_sid)
    assert [r.json()["outcome"] for r in after] == ["ended", "ended"]
    assert len(set(keys(api, "/after", call.call_sid))) == 1  # one after call, sent twice
    wait_until(lambda: len(workers.events("call_ended", call.call_sid)) == 1, "call_ended once")
