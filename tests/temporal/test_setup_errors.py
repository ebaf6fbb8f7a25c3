"""Set-up errors of workers and servers on Temporal, each one line and exit 2: a
namespace the server does not have, an address that is not HOST:PORT."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.line import copy_flows
from tests.support.http_server import unused_port
from tests.support.served import run_serve, server_environment

from .calls import TEST_PAYLOAD_KEY
from .conftest import LocalTemporal


def run_worker(flow: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowc.cli", "worker", str(flow), *options],
        env=server_environment({"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_server(flow: Path, *options: str) -> subprocess.CompletedProcess[str]:
    args = ["--engine", "temporal", *options, "--port", str(unused_port())]
    return run_serve([flow], args=args, env={"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY})


def test_a_namespace_the_server_does_not_have_is_one_line_and_exit_2(
    tmp_path: Path, temporal: LocalTemporal
) -> None:
    (flow,) = copy_flows(tmp_path, "line.flow")
    options = ("--temporal", temporal.address, "--namespace", "nowhere")
    told = (
        f"the Temporal server at {temporal.address} has no namespace 'nowhere': create it "
        "(temporal operator namespace create --namespace nowhere) or pass another --namespace\n"
    )
    worker = run_worker(flow, *options)
    assert (worker.returncode, worker.stderr) == (2, f"flowc worker: error: {told}")
    server = run_server(flow, *options)
    assert (server.returncode, server.stderr) == (2, f"flowc: error: {told}")


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1", ":7233", "localhost:99999"])
def test_an_address_that_is_not_host_port_is_one_line_and_exit_2(
    tmp_path: Path, address: str
) -> None:
    (flow,) = copy_flows(tmp_path, "line.flow")
    told = (
        "--temporal takes the Temporal server's HOST:PORT (such as 127.0.0.1:7233), "
        f"not {address!r}\n"
    )
    worker = run_worker(flow, "--temporal", address)
    assert (worker.returncode, worker.stderr) == (2, f"flowc worker: error: {told}")
    server = run_server(flow, "--temporal", address)
    assert (server.returncode, server.stderr) == (2, f"flowc: error: {told}")
