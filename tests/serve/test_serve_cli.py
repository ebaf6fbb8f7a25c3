"""The server's command lines as an operator runs them: `flowc serve FILE...` and
`flowc-serve DIR --flow MODULE:FLOW`, started, stopped with SIGTERM, misconfigured.

Real processes, real signed webhooks (tests/support/served.py, twilio_webhooks.py).
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.line import LineApi, copy_flows, order_id, wait_until
from tests.support.served import ServerFactory, run_serve, served
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

__all__ = ["served"]  # the fixture


def test_sigterm_stops_cleanly_and_lets_the_running_turn_finish(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    (flow,) = copy_flows(tmp_path / "app", "line.flow")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    server = served.start([flow], env={"API_URL": api.url, "TMPDIR": str(temporary)})
    assert next(temporary.iterdir()).name.startswith("flowc-build-")
    with TwilioCall(server.url, server.auth_token, from_=new_phone_number()) as call:
        call.start()
        call.answer("order")
        call.answer("Jane Doe")
        api.delay("/orders", call.call_sid, 1.0)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            turn = pool.submit(call.press, "3")
            api.wait_for("/orders", call.call_sid)
            assert server.stop() == 0  # SIGTERM while the turn waits for the API
            placed = turn.result()
        assert placed.ok and placed.gather is not None
        assert order_id(call.call_sid) in (placed.gather.prompt or "")
        assert list(temporary.iterdir()) == []  # `flowc serve` removed its temporary build
        server.start()
        assert call.answer("yes").says == ["See you at the counter. Goodbye!"]
    assert api.hits("/orders", call.call_sid) == 1


def test_flowc_serve_serves_modules_built_by_flowc_build(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    (flow,) = copy_flows(tmp_path / "app", "line.flow")
    built = tmp_path / "built"
    subprocess.run(
        [sys.executable, "-m", "flowc.cli", "build", str(flow), "-o", str(built)], check=True
    )
    server = served.start(built=(built, "line:Line"), env={"API_URL": api.url})
    assert server.healthz().json()["flow"] == "line:Line"
    with TwilioCall(server.url, server.auth_token) as call:
        assert call.start().says == ["Welcome to the test line."]
        assert call.answer("goodbye").says == ["Goodbye!"]
    wait_until(lambda: bool(server.events("call_ended", call=call.call_sid)), "call_ended")
    build = server.healthz().json()["build"]
    assert f"line:Line (build {build})" in server.stderr()
    # The archive is inside DIR by default (DIR/.flowc/builds): it is not part of the build.
    server.restart()
    assert server.healthz().json()["build"] == build
    archive = built / ".flowc" / "builds"
    assert [p.name for p in archive.iterdir()] == [build]
    assert [p.name for p in (archive / build).iterdir() if p.name != "__pycache__"] == ["line.py"]


def test_several_workers_share_the_store(
    served: ServerFactory, tmp_path: Path, api: LineApi
) -> None:
    (flow,) = copy_flows(tmp_path / "app", "line.flow")
    server = served.start([flow], env={"API_URL": api.url}, args=["--workers", "2"])
    calls = [TwilioCall(server.url, server.auth_token) for _ in range(4)]
    try:
        for call in calls:
            call.start()
        for call in calls:
            call.answer("order")
        for call in calls:
            assert call.answer("Jane Doe").gather is not None
            assert call.press("2").gather is not None
            assert call.answer("no").says == ["We will deliver it. Goodbye!"]
    finally:
        for call in calls:
            call.close()
    for call in calls:
        assert api.hits("/orders", call.call_sid) == 1
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "postgres://db/calls"], "flowc: error: unknown store 'postgres://db/calls'"),
        (["--workers", "0"], "flowc: error: --workers must be at least 1"),
        (["--flow", "Nope"], "flowc: error: "),
    ],
)
def test_a_set_up_error_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (flow,) = copy_flows(tmp_path / "app", "line.flow")
    result = run_serve([flow], args=["--port", "1", *args])
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_flowc_serve_of_a_folder_that_is_not_one_is_exit_2(tmp_path: Path) -> None:
    result = run_serve(built=(tmp_path / "missing", "line:Line"))
    assert result.returncode == 2
    assert result.stderr.startswith("flowc-serve: error: ")
    assert "is not a folder of built modules" in result.stderr
