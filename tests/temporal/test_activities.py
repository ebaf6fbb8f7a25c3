"""The message activities, run by temporalio's ActivityEnvironment on a real Outbox: a try
after one that handed the message over (its last heartbeat says so) does not send it
again; a first try sends it and records the hand-over. And the HTTP activity's time
limit, against the real client's backoff."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from flowc_runtime.config import services_from_env
from flowc_runtime.http import HttpxClient
from flowc_runtime.messaging import Outbox
from flowc_runtime.services import HttpFailure, HttpRequest
from flowc_runtime.temporal.activities import HANDED_OVER, FlowActivities, SmsMessage
from flowc_runtime.temporal.workflow import http_activity_limit
from temporalio.testing import ActivityEnvironment

from tests.support.http_server import LocalHttpServer, Reply


def test_an_sms_is_sent_once_and_not_again_by_a_try_after_its_hand_over(tmp_path: Path) -> None:
    services = services_from_env({"FLOWC_OUTBOX_FILE": str(tmp_path / "outbox.jsonl")})
    outbox = services.sms
    assert isinstance(outbox, Outbox)
    activities = FlowActivities(services, {})
    message = SmsMessage("+15550001111", "Your order is placed.", "CA1:3:1")

    first = ActivityEnvironment()
    beats: list[object] = []
    first.on_heartbeat = lambda *details: beats.extend(details)
    asyncio.run(first.run(activities.sms, message))
    assert [m.text for m in outbox.messages] == ["Your order is placed."]
    assert beats[-1] == HANDED_OVER  # recorded before the activity returns

    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[HANDED_OVER])
    asyncio.run(retry.run(activities.sms, message))
    assert len(outbox.messages) == 1  # the worker that sent it died: not sent again

    lost_before = ActivityEnvironment()
    lost_before.info = dataclasses.replace(lost_before.info, attempt=2, heartbeat_details=[])
    asyncio.run(lost_before.run(activities.sms, message))
    assert len(outbox.messages) == 2  # lost before the hand-over: sent by this try


def test_the_http_activitys_limit_covers_every_try_and_the_clients_backoff() -> None:
    """`retries 8` against an API that always fails 503: the real client's pauses before
    its retries (recorded, not slept) and the tries' timeouts fit in the limit."""
    server = LocalHttpServer()
    server.route("GET", "/slots", Reply.status(503))
    server.start()
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    request = HttpRequest("GET", f"{server.url}/slots", timeout_seconds=1.0, retries=8)
    try:
        failure = asyncio.run(HttpxClient(sleep=record).send(request))
    finally:
        server.stop()
    assert isinstance(failure, HttpFailure) and failure.attempts == 9
    needed = sum(pauses) + 9 * request.timeout_seconds
    assert needed < http_activity_limit(request).total_seconds() <= needed + 10
