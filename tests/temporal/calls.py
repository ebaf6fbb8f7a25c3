"""What the Temporal tests share: worker processes, the served line, the payload key.

    workers = Workers(tmp_path, temporal, env)     # `flowc worker FILE --temporal ...`
    first = workers.start([flow])                  # returns once it polls its queue
    first.kill()                                   # kill -9, mid-turn if need be
    server = line_on_temporal(served, tmp_path, api, temporal)

Every process gets the same FLOWC_PAYLOAD_KEY (TEST_PAYLOAD_KEY), as a real
deployment's server and workers share one.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.serve.line import LineApi, copy_flows
from tests.support.processes import stop
from tests.support.served import ServedFlow, ServerFactory, server_environment

from .conftest import LocalTemporal

TEST_PAYLOAD_KEY = base64.b64encode(bytes(range(32))).decode()
START_SECONDS = 30.0
READY_LINE = "flowc worker:"


class WorkerProcess:
    """One `flowc worker` process; its standard error in `folder`/stderr.txt."""

    def __init__(self, folder: Path, command: list[str], env: dict[str, str]) -> None:
        self.folder = folder
        self.command = command
        self.env = env
        self.log = folder / "events.jsonl"
        self._stderr = folder / "stderr.txt"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._stderr.open("ab") as stderr:
            self._process = subprocess.Popen(
                [*self.command, "--log", str(self.log)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + START_SECONDS
        while READY_LINE not in self.stderr():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise AssertionError(f"the worker did not start:\n{self.stderr()}")
            time.sleep(0.05)
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stderr(self) -> str:
        return self._stderr.read_text(errors="replace") if self._stderr.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the worker finishes nothing; its calls go on elsewhere."""
        assert self._process is not None
        self._process.kill()
        self._process.wait()

    def stop(self) -> int:
        """SIGTERM: the worker finishes its running tasks and exits; its exit status."""
        assert self._process is not None
        stop(self._process)
        return self._process.returncode

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            stop(self._process)

    def events(self, kind: str, call: str) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").split("\n")[:-1]
        parsed = [json.loads(line) for line in lines if line.strip()]
        return [e for e in parsed if e.get("event") == kind and e.get("call") == call]


class Workers:
    """Starts `flowc worker` processes for one test and stops them all at the end."""

    def __init__(self, folder: Path, temporal: LocalTemporal, env: Mapping[str, str]) -> None:
        self.folder = folder
        self.temporal = temporal
        self.env = server_environment({"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY, **env})
        self.started: list[WorkerProcess] = []

    def start(self, files: Sequence[Path], *args: str) -> WorkerProcess:
        """`flowc worker FILE... --temporal ADDRESS ARGS`, started."""
        command = [sys.executable, "-m", "flowc.cli", "worker", *map(str, files)]
        return self._start([*command, "--temporal", self.temporal.address, *args])

    def start_built(self, folder: Path, flow: str) -> WorkerProcess:
        """`flowc-worker DIR --flow MODULE:FLOW --temporal ADDRESS`, started."""
        command = [sys.executable, "-m", "flowc_runtime.temporal.cli", str(folder)]
        return self._start([*command, "--flow", flow, "--temporal", self.temporal.address])

    def _start(self, command: list[str]) -> WorkerProcess:
        folder = self.folder / f"worker-{len(self.started) + 1}"
        worker = WorkerProcess(folder, command, self.env)
        self.started.append(worker)
        return worker.start()

    def events(self, kind: str, call: str) -> list[dict[str, Any]]:
        """The events of that kind of one call, in every worker's log."""
        return [event for worker in self.started for event in worker.events(kind, call)]

    def close(self) -> None:
        for worker in self.started:
            worker.close()


@pytest.fixture
def workers(tmp_path: Path, temporal: LocalTemporal, api: LineApi) -> Iterator[Workers]:
    pool = Workers(
        tmp_path / "workers",
        temporal,
        {"API_URL": api.url, "FLOWC_OUTBOX_FILE": str(tmp_path / "outbox.jsonl")},
    )
    try:
        yield pool
    finally:
        pool.close()


def line_flow(folder: Path) -> Path:
    (flow,) = copy_flows(folder / "line", "line.flow")
    return flow


def serve_on_temporal(
    served: ServerFactory, flow: Path, temporal: LocalTemporal, *args: str
) -> ServedFlow:
    """`flowc serve FLOW --engine temporal` (the API and outbox are the workers')."""
    options = ["--engine", "temporal", "--temporal", temporal.address, *args]
    return served.start([flow], args=options, env={"FLOWC_PAYLOAD_KEY": TEST_PAYLOAD_KEY})
