"""Determinism: the recorded histories of served calls replay cleanly on the workflow.

Calls of the test line (an order with its request, SMS and after call; a
transfer) and of the example support line (two modules, failing requests) run
on a real worker; their histories are fetched from the server and replayed
here with temporalio's Replayer, on the same build imported into this process.
A workflow that did anything else on replay (another step, another activity,
another timer) fails the replay with a nondeterminism error.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowc_runtime.serve.builds import Build, BuildArchive
from flowc_runtime.temporal.connection import connect, data_converter
from flowc_runtime.temporal.programs import PROGRAMS, program_of
from flowc_runtime.temporal.workflow import SANDBOX, FlowCall
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.serve.line import LineApi
from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import TEST_PAYLOAD_KEY, Workers, line_flow, serve_on_temporal, workers
from .conftest import LocalTemporal

__all__ = ["served", "workers"]  # the fixtures

EXAMPLES = Path(__file__).parents[2] / "examples"
KEY = {"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY}


@pytest.fixture
def programs() -> Iterator[None]:
    """PROGRAMS emptied after the test (which adds the builds it replays)."""
    yield
    PROGRAMS.by_fingerprint.clear()
    PROGRAMS.understandings.clear()


def load_build(flow: Path, folder: Path) -> Build:
    """Builds `flow` as `flowc worker` does (same path, same modules, same fingerprint)."""
    built = folder / "built"
    command = [sys.executable, "-m", "flowc.cli", "build", str(flow), "-o", str(built)]
    subprocess.run(command, check=True, capture_output=True)
    build = BuildArchive(folder / "archive").add(built)
    PROGRAMS.add(build)
    return build


def histories(temporal: LocalTemporal, call_sids: list[str]) -> list[WorkflowHistory]:
    async def fetch() -> list[WorkflowHistory]:
        client = await connect(temporal.address, "default", KEY)
        handles = [client.get_workflow_handle(sid) for sid in call_sids]
        for handle in handles:
            await asyncio.wait_for(handle.result(), 30)  # completed: the whole call
        return [await handle.fetch_history() for handle in handles]

    return asyncio.run(fetch())


def replay(recorded: list[WorkflowHistory]) -> None:
    replayer = Replayer(
        workflows=[FlowCall], workflow_runner=SANDBOX, data_converter=data_converter(KEY)
    )

    async def run() -> None:
        for history in recorded:
            await replayer.replay_workflow(history)  # raises on any nondeterminism

    asyncio.run(run())


def test_histories_of_the_test_line_replay_cleanly(
    served: ServerFactory,
    workers: Workers,
    tmp_path: Path,
    api: LineApi,
    temporal: LocalTemporal,
    programs: None,
) -> None:
    flow = line_flow(tmp_path)
    workers.start([flow])
    server = serve_on_temporal(served, flow, temporal, "--hold-after", "1")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as order:
        order.start()
        order.answer("order")
        order.answer("Jane Doe")
        api.delay("/orders", order.call_sid, 1.5)  # a hold, and its timer, in the history
        order.press("3")
        order.follow_redirects()
        order.answer("no")
        order.hang_up()
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as transfer:
        transfer.start()
        transfer.answer("transfer")
        transfer.dial_ended("busy")
        transfer.hang_up()
    recorded = histories(temporal, [order.call_sid, transfer.call_sid])
    build = load_build(flow, tmp_path / "replay")
    replay(recorded)
    # The check can fail: the same history on a build without the SMS step is refused.
    flow.write_text(flow.read_text().replace("  send sms to call.caller", "  # send sms"))
    without_sms = load_build(flow, tmp_path / "changed")
    PROGRAMS.by_fingerprint[build.fingerprint] = program_of(without_sms)
    with pytest.raises(NondeterminismError):
        replay(recorded[:1])


def test_histories_of_the_example_support_line_replay_cleanly(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal, programs: None
) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "lib", app / "lib")
    flow = app / "support.flow"
    shutil.copyfile(EXAMPLES / "support.flow", flow)
    pool = Workers(tmp_path / "workers", temporal, {"RECORDS_API_URL": "http://127.0.0.1:9"})
    try:
        pool.start([flow])
        server = serve_on_temporal(served, flow, temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            first = call.start()
            assert first.says[0] == "Welcome to Acme Broadband support."
            call.answer("4 1 2 3 4 5")
            call.answer("1 9 8 0")
            call.hang_up()
        load_build(flow, tmp_path / "replay")
        replay(histories(temporal, [call.call_sid]))
    finally:
        pool.close()
