"""A call whose task queue no worker polls does not hold forever: after
UNPOLLED_HOLDS_LIMIT holds the server answers itself, the caller hears an apology and
the call ends, with a line for the operator; /healthz says no worker polls the
current build's queue all along."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flowc_runtime.temporal.engine import NO_WORKER_APOLOGY, UNPOLLED_HOLDS_LIMIT
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import TerminatedError

from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import TEST_PAYLOAD_KEY, line_flow
from .conftest import LocalTemporal
from .test_faults import outcome_of

__all__ = ["served"]  # the fixture

HOLD_PHRASE = "One moment, please."


def test_a_call_no_worker_polls_for_ends_with_an_apology_after_a_few_holds(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    flow = line_flow(tmp_path)
    queue = f"unpolled-{uuid.uuid4().hex[:8]}"  # a queue no worker of any test polls
    options = ["--engine", "temporal", "--temporal", temporal.address, "--task-queue", queue]
    server = served.start(
        [flow],
        args=[*options, "--hold-after", "1"],
        env={"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY},
        healthy=False,
    )
    health = server.healthz()
    assert health.status_code == 503
    assert health.json()["store"].startswith(f"no worker polls task queue {queue}.")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        assert call.start().says == [HOLD_PHRASE]
        ended = call.follow_redirects()
        assert ended.says == [NO_WORKER_APOLOGY]
        assert ended.redirect is None and ended.gather is None  # hung up
        assert len(call.answers) == UNPOLLED_HOLDS_LIMIT
    assert f"call {call.call_sid} ends with an apology: no worker polls its task queue " in (
        server.stderr()
    )
    # Terminated: a worker that comes later does not run a call its caller has left.
    with pytest.raises(WorkflowFailureError) as failed:
        outcome_of(temporal, call.call_sid)
    assert isinstance(failed.value.cause, TerminatedError)
