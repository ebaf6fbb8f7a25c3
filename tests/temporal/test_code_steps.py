"""`code` steps on Temporal whose Python blocks (time.sleep, as a synchronous client
library does) or fails with a secret in its message: the function runs once, in a
thread, while the worker goes on heartbeating; and its error's message reaches the
history only encrypted."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from tests.support.served import ServerFactory, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

from .calls import Workers, serve_on_temporal
from .conftest import LocalTemporal
from .test_secrets import history_of

__all__ = ["served"]  # the fixture

FLOWS = Path(__file__).parent / "flows"
# Longer than the activities' heartbeat timeout (workflow.HEARTBEAT_TIMEOUT, 2 s).
BLOCKING_SECONDS = "3.5"


def checked_app(folder: Path) -> Path:
    folder.mkdir()
    for name in ("checked.flow", "quotes.py"):
        shutil.copyfile(FLOWS / name, folder / name)
    return folder / "checked.flow"


def test_a_blocking_code_function_runs_once_and_its_result_is_the_steps(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    flow = checked_app(tmp_path / "app")
    log = tmp_path / "quotes.log"
    environment = {"QUOTES_LOG": str(log), "QUOTES_SECONDS": BLOCKING_SECONDS}
    pool = Workers(tmp_path / "workers", temporal, environment)
    try:
        worker = pool.start([flow])
        server = serve_on_temporal(served, flow, temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            call.start()
            assert call.answer("two").says == ["That is 25 dollars. Goodbye."]
    finally:
        pool.close()
    assert log.read_text().split() == [str(worker.pid)]  # one try: never taken for lost


def test_a_code_steps_error_naming_a_secret_is_not_in_the_history_in_clear(
    served: ServerFactory, tmp_path: Path, temporal: LocalTemporal
) -> None:
    flow = checked_app(tmp_path / "app")
    secret = f"sk-live-{uuid.uuid4().hex}"
    environment = {"QUOTES_LOG": str(tmp_path / "quotes.log"), "QUOTES_KEY": secret}
    pool = Workers(tmp_path / "workers", temporal, environment)
    try:
        worker = pool.start([flow])
        server = serve_on_temporal(served, flow, temporal)
        with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
            call.start()
            assert call.answer("zero").says == ["We cannot price that. Goodbye."]
        (failed,) = worker.events("code_failed", call.call_sid)
        assert failed["reason"] == f"ValueError: no price for 0 pizzas (checked with {secret})"
    finally:
        pool.close()
    stored, decrypted = history_of(temporal, call.call_sid)
    assert f"checked with {secret}".encode() in decrypted  # the failure is in there...
    assert secret.encode() not in stored  # ...but only as ciphertext
    assert b"no price for" not in stored
