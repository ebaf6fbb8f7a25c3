"""Two server processes on one call store: any of them can take any turn of any call.

Both serve the same flow file (so they share its build archive) behind one
public URL, as behind a load balancer; the test decides which process each
webhook reaches. Once on a SQLite file, once on a real redis-server.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serve.line import LineApi, copy_flows, order_id, outbox, wait_until
from tests.support.redis_server import running_redis_server
from tests.support.served import ServedFlow, ServerFactory
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

PUBLIC_URL = "https://line.example.test"


@dataclass
class Pair:
    first: ServedFlow
    second: ServedFlow
    outbox: Path

    def call(self) -> TwilioCall:
        """A call whose webhooks go to the first server until the test says otherwise."""
        return TwilioCall(
            self.first.url, self.first.auth_token, from_=new_phone_number(), public_url=PUBLIC_URL
        )


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, api: LineApi
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp(f"pair-{request.param}")
    (flow,) = copy_flows(folder / "line", "line.flow")
    env = {"API_URL": api.url, "FLOWC_OUTBOX_FILE": str(folder / "outbox.jsonl")}
    factory = ServerFactory(folder / "served")

    def start(store: str) -> Pair:
        def one(name: str) -> ServedFlow:
            args = ["--public-url", PUBLIC_URL]
            return factory.start([flow], store=store, env=env, args=args, name=name)

        return Pair(one("a"), one("b"), folder / "outbox.jsonl")

    try:
        if request.param == "sqlite":
            yield start(f"sqlite:{folder / 'calls.db'}")
        else:
            with running_redis_server() as redis:
                yield start(redis.url)
    finally:
        factory.close()


def test_two_servers_take_alternate_turns_of_a_call(pair: Pair, api: LineApi) -> None:
    with pair.call() as call:
        call.start()
        call.server_url = pair.second.url
        call.answer("order")
        call.server_url = pair.first.url
        call.answer("Jane Doe")
        call.server_url = pair.second.url
        placed = call.press("3")
        assert placed.gather is not None
        assert order_id(call.call_sid) in (placed.gather.prompt or "")
        call.server_url = pair.first.url
        assert call.retry().text == placed.text  # answered from the store
        assert call.answer("no").says == ["We will deliver it. Goodbye!"]
    assert api.hits("/orders", call.call_sid) == 1
    heard_first = [e["text"] for e in pair.first.events("heard", call=call.call_sid)]
    heard_second = [e["text"] for e in pair.second.events("heard", call=call.call_sid)]
    assert heard_first == ["Jane Doe", "no"]
    assert heard_second == ["order", "3"]


def test_a_retry_reaching_the_other_server_waits_for_the_turn_running_on_the_first(
    pair: Pair, api: LineApi
) -> None:
    with pair.call() as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 1.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(call.press, "3")  # to the first server
            api.wait_for("/orders", call.call_sid)
            call.server_url = pair.second.url
            retried = call.retry()  # Twilio's retry, which the balancer sends elsewhere
            placed = running.result()
    assert placed.gather is not None
    assert retried.text == placed.text
    assert api.hits("/orders", call.call_sid) == 1
    assert len(outbox(pair.outbox, to=call.from_)) == 1
    assert not pair.second.events("heard", call=call.call_sid)  # the second ran nothing


def test_a_hang_up_reaching_the_other_server_ends_the_call_running_on_the_first(
    pair: Pair, api: LineApi
) -> None:
    with pair.call() as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 1.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(call.press, "3")  # to the first server
            api.wait_for("/orders", call.call_sid)
            call.server_url = pair.second.url
            assert call.hang_up().status_code == 204  # the status callback, elsewhere
            assert running.result().ok
    first = pair.first
    wait_until(lambda: bool(first.events("call_ended", call=call.call_sid)), "call_ended")
    assert [e["outcome"] for e in first.events("call_ended", call=call.call_sid)] == ["hangup"]
    api.wait_for("/after", call.call_sid)
    assert [r.json()["outcome"] for r in api.requests("/after", call.call_sid)] == ["hangup"]
    assert not pair.second.events("call_ended", call=call.call_sid)
