"""Secrets on Temporal: every payload is encrypted with FLOWC_PAYLOAD_KEY, so a call's
history (its environment snapshot, the requests' headers) holds no secret in clear;
and a server or worker without a good key, or without a Temporal server, says so in
one line and exits 2."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from flowc_runtime.temporal.codec import ENCODING, PayloadCipher, payload_key
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.serve.line import LineApi, copy_flows
from tests.support.http_server import unused_port
from tests.support.served import ServerFactory, run_serve, served, server_environment
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import TEST_PAYLOAD_KEY, Workers, serve_on_temporal
from .conftest import LocalTemporal

__all__ = ["served"]  # the fixture


def payloads(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere in a protobuf message (a workflow history)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = [v for v in value.values() if isinstance(v, Message)]
        elif field.is_repeated:
            values = list(value)
        else:
            values = [value]
        for item in values:
            yield from payloads(item)


def history_of(temporal: LocalTemporal, call_sid: str) -> tuple[bytes, bytes]:
    """The call's history as Temporal stores it, read by a client WITHOUT the codec; and
    its payloads decrypted with the key (what the workers see). The one kind of payload
    not sealed is the SDK core's own local activity marker (the snapshot's activity id,
    type and times; its result is sealed), which the core writes and reads without
    the codec."""

    async def fetch() -> tuple[bytes, bytes]:
        client = await Client.connect(temporal.address)
        history = await client.get_workflow_handle(call_sid).fetch_history()
        cipher = PayloadCipher(payload_key({"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY}))
        found = [(event, payload) for event in history.events for payload in payloads(event)]
        plain = [event for event, payload in found if payload.metadata["encoding"] != ENCODING]
        assert {event.event_type for event in plain} <= {EventType.EVENT_TYPE_MARKER_RECORDED}
        sealed = [payload for _, payload in found if payload.metadata["encoding"] == ENCODING]
        opened = await cipher.decode(sealed)
        stored = b"".join(event.SerializeToString() for event in history.events)
        return stored, b"".join(payload.data for payload in opened)

    return asyncio.run(fetch())


def test_a_secret_from_the_environment_never_reaches_the_history_in_clear(
    served: ServerFactory, tmp_path: Path, api: LineApi, temporal: LocalTemporal
) -> None:
    secret = f"sk-live-{uuid.uuid4().hex}"
    (flow,) = copy_flows(tmp_path / "app", "secret.flow")
    workers = Workers(tmp_path / "workers", temporal, {"API_URL": api.url, "SOME_API_KEY": secret})
    try:
        workers.start([flow])
        server = serve_on_temporal(served, flow, temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            first = call.start()
            assert first.gather is not None
            assert first.gather.prompt == "Hello Jane. Are you ready?"
            call.answer("yes")
            assert call.answer("yes").says == ["Booked. Goodbye Jane."]
    finally:
        workers.close()
    sent = [r for r in api.server.requests if r.query.get("call") == [call.call_sid]]
    assert {r.headers["authorization"] for r in sent} == {secret}
    stored, decrypted = history_of(temporal, call.call_sid)
    assert secret.encode() in decrypted  # the snapshot and the headers are in there...
    assert secret.encode() not in stored  # ...but only as ciphertext
    assert b"Hello Jane" not in stored


def worker_command(flow: Path, address: str) -> list[str]:
    return [sys.executable, "-m", "flowc.cli", "worker", str(flow), "--temporal", address]


def run_worker(flow: Path, address: str, key: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        worker_command(flow, address),
        env=server_environment({"FLOWC_PAYLOAD_KEY": key}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_worker_without_a_good_payload_key_says_so_and_exits_2(
    tmp_path: Path, temporal: LocalTemporal
) -> None:
    (flow,) = copy_flows(tmp_path, "line.flow")
    missing = run_worker(flow, temporal.address, None)
    assert missing.returncode == 2
    assert missing.stderr.startswith("flowc worker: error: FLOWC_PAYLOAD_KEY is not set")
    assert len(missing.stderr.splitlines()) == 1
    short = run_worker(flow, temporal.address, "c2hvcnQ=")  # "short"
    assert short.returncode == 2
    assert short.stderr == (
        "flowc worker: error: FLOWC_PAYLOAD_KEY must be 32 bytes in base64 (44 characters, "
        "from openssl rand -base64 32)\n"
    )


def test_an_unreachable_temporal_server_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (flow,) = copy_flows(tmp_path, "line.flow")
    nowhere = f"127.0.0.1:{unused_port()}"
    worker = run_worker(flow, nowhere, TEST_PAYLOAD_KEY)
    assert worker.returncode == 2
    assert worker.stderr.startswith(
        f"flowc worker: error: cannot reach the Temporal server at {nowhere}"
    )
    assert len(worker.stderr.splitlines()) == 1
    args = ["--engine", "temporal", "--temporal", nowhere, "--port", str(unused_port())]
    server = run_serve([flow], args=args, env={"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY})
    assert server.returncode == 2
    assert server.stderr.startswith(f"flowc: error: cannot reach the Temporal server at {nowhere}")
    assert len(server.stderr.splitlines()) == 1


def test_serve_on_temporal_needs_the_server_address_and_the_key(tmp_path: Path) -> None:
    (flow,) = copy_flows(tmp_path, "line.flow")
    no_address = run_serve([flow], args=["--engine", "temporal"])
    assert no_address.returncode == 2
    assert no_address.stderr == (
        "flowc: error: --engine temporal needs --temporal HOST:PORT, the Temporal server\n"
    )
    args = ["--engine", "temporal", "--temporal", "127.0.0.1:7233"]
    no_key = run_serve([flow], args=args, env={"FLOWC_PAYLOAD_KEY": None})
    assert no_key.returncode == 2
    assert no_key.stderr.startswith("flowc: error: FLOWC_PAYLOAD_KEY is not set")
