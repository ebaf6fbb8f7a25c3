"""A real `flowc serve` (or `flowc-serve`) process on 127.0.0.1, for end-to-end tests.

    with running_server(["flows/line.flow"], env={"API_URL": api.url}) as server:
        call = TwilioCall(server.url, server.auth_token)   # tests/support/twilio_webhooks.py
        ...
        server.kill()        # kill -9: nothing is cleaned up, nothing is flushed
        server.restart()     # same port, same store, same log
        server.events("call_ended")

The server runs as a subprocess of the test's own Python (the project's venv):
`python -m flowc.cli serve FILE... --port P --store URL --log LOG [args]`, or,
for modules built by `flowc build`, `python -m flowc_runtime.serve.cli DIR
--flow MODULE:FLOW ...` (`ServedFlow.built`). Its environment is the test's,
with TWILIO_AUTH_TOKEN set to a test token and every delivery setting
(FLOWC_SMTP_*, TWILIO_*, FLOWC_OUTBOX_FILE) removed unless `env` gives it, so
no test ever sends a real message. Standard output and error go to files in
the server's folder (`stderr()`), never to a pipe that could fill up.

`start()` returns once `GET /healthz` answers 200 (or answers at all, with
`healthy=False`, for a server whose store is down); a server that exits or
stays silent for START_SECONDS fails the test with its standard error.

pytest: `served` (a fixture defined here; import it into a test module or a
conftest) is a factory whose servers are all stopped after the test:

    from tests.support.served import served  # noqa: F401  (the fixture)

    def test_x(served: ServerFactory, tmp_path: Path) -> None:
        server = served.start([flow_file], args=["--hold-after", "1"])
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from .http_server import unused_port

TEST_AUTH_TOKEN = "served-test-auth-token"
START_SECONDS = 20.0
STOP_SECONDS = 15.0
# Removed from the server's environment unless a test gives them.
DELIVERY_PREFIXES = ("FLOWC_SMTP_", "TWILIO_")
DELIVERY_NAMES = frozenset({"FLOWC_OUTBOX_FILE"})


class ServerDidNotStart(AssertionError):
    """The server exited or never answered /healthz; the message holds its stderr."""

    def __init__(self, message: str, returncode: int | None, stderr: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def server_environment(
    env: Mapping[str, str | None] | None = None, auth_token: str | None = TEST_AUTH_TOKEN
) -> dict[str, str]:
    """The test's environment without delivery settings, with `auth_token` as
    TWILIO_AUTH_TOKEN (None: unset), then `env` (a None value unsets a name)."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(DELIVERY_PREFIXES) and name not in DELIVERY_NAMES
    }
    if auth_token is not None:
        environ["TWILIO_AUTH_TOKEN"] = auth_token
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    environ["PYTHONUNBUFFERED"] = "1"
    return environ


def serve_command(
    files: Sequence[str | Path] = (),
    *,
    built: tuple[str | Path, str] | None = None,
    args: Sequence[str] = (),
) -> list[str]:
    """The command line: `flowc serve FILE... ARGS`, or with `built=(DIR, "MODULE:FLOW")`
    `flowc-serve DIR --flow MODULE:FLOW ARGS`."""
    if built is not None:
        folder, flow = built
        return [sys.executable, "-m", "flowc_runtime.serve.cli", str(folder), "--flow", flow, *args]
    return [sys.executable, "-m", "flowc.cli", "serve", *map(str, files), *args]


def run_serve(
    files: Sequence[str | Path] = (),
    *,
    built: tuple[str | Path, str] | None = None,
    args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    auth_token: str | None = TEST_AUTH_TOKEN,
    timeout: float = START_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Runs a server command that is expected to exit by itself (a set-up error)."""
    return subprocess.run(
        serve_command(files, built=built, args=args),
        env=server_environment(env, auth_token),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class ServedFlow:
    """One server process, restartable on the same port, store, log and folder.

    `folder` holds its standard output and error (and, by default, the store and
    the log); `files` are the .flow files served, or `built` the folder and
    MODULE:FLOW of built modules. `store` is a `--store` URL (default: a SQLite
    file in `folder`); `args` are further options; `env` changes the environment
    (see `server_environment`); `auth_token` None leaves TWILIO_AUTH_TOKEN unset.
    """

    def __init__(
        self,
        folder: Path,
        files: Sequence[str | Path] = (),
        *,
        built: tuple[str | Path, str] | None = None,
        store: str | None = None,
        args: Sequence[str] = (),
        env: Mapping[str, str | None] | None = None,
        auth_token: str | None = TEST_AUTH_TOKEN,
        port: int | None = None,
        log: Path | None = None,
    ) -> None:
        if not files and built is None:
            raise ValueError("a server needs .flow files or built=(DIR, 'MODULE:FLOW')")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files = [Path(file) for file in files]
        self.built = built
        self.store = store or f"sqlite:{folder / 'calls.db'}"
        self.args = list(args)
        self.env = dict(env or {})
        self.auth_token = auth_token
        self.port = port or unused_port()
        self.log = log or folder / "events.jsonl"
        self.host = "127.0.0.1"
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0
        self._stderr_path = folder / "stderr.txt"

    # ------------------------------------------------------------- the process

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def command(self) -> list[str]:
        options = ["--host", self.host, "--port", str(self.port)]
        options += ["--store", self.store, "--log", str(self.log), *self.args]
        return serve_command(self.files, built=self.built, args=options)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def start(self, *, healthy: bool = True) -> ServedFlow:
        """Starts the process and waits until /healthz answers 200 (any answer when
        `healthy` is False); raises ServerDidNotStart with its stderr otherwise."""
        if self.running:
            raise RuntimeError("the server is running already")
        self._starts += 1
        with (
            self._stderr_path.open("ab") as stderr,
            (self.folder / "stdout.txt").open("ab") as stdout,
        ):
            # The command itself is not written: it may hold a store's password.
            stderr.write(f"--- start {self._starts} (flowc serve on port {self.port})\n".encode())
            stderr.flush()
            self._process = subprocess.Popen(
                self.command,
                env=server_environment(self.env, self.auth_token),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        self._wait_until_answering(healthy)
        return self

    def kill(self) -> None:
        """SIGKILL, like `kill -9`: the process gets no chance to finish anything."""
        process = self._require_process()
        process.kill()
        process.wait(timeout=STOP_SECONDS)

    def stop(self) -> int:
        """SIGTERM, and wait for the process to exit; its exit status."""
        process = self._require_process()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError(
                    f"the server did not stop within {STOP_SECONDS} s of SIGTERM:\n" + self.stderr()
                ) from None
        return process.returncode

    def restart(
        self,
        *args: str,
        files: Sequence[str | Path] | None = None,
        env: Mapping[str, str | None] | None = None,
        healthy: bool = True,
    ) -> ServedFlow:
        """Stops the server if it runs (SIGTERM; `kill()` first for a crash) and starts
        it again on the same port, store and log; `args` replace the extra options,
        `files` the served files, `env` is merged into the environment changes."""
        if self.running:
            self.stop()
        if args:
            self.args = list(args)
        if files is not None:
            self.files = [Path(file) for file in files]
        if env is not None:
            self.env.update(env)
        return self.start(healthy=healthy)

    def close(self) -> None:
        """Stops a server still running (for teardown): SIGTERM, then SIGKILL."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    # ------------------------------------------------------------- what it said

    def stderr(self) -> str:
        """Everything the process (every start of it) wrote to standard error so far."""
        if not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def events(self, kind: str | None = None, *, call: str | None = None) -> list[dict[str, Any]]:
        """The --log file's events, parsed, in order; only of `kind` and `call` if given.

        A last line without its newline is being written: it is left out."""
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8")
        lines = text.split("\n")[:-1]  # the part after the last newline is unfinished
        events = [json.loads(line) for line in lines if line.strip()]
        return [
            event
            for event in events
            if (kind is None or event.get("event") == kind)
            and (call is None or event.get("call") == call)
        ]

    def healthz(self) -> httpx.Response:
        return httpx.get(f"{self.url}/healthz", timeout=5)

    # ------------------------------------------------------------- helpers

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the server was never started")
        return self._process

    def _wait_until_answering(self, healthy: bool) -> None:
        process = self._require_process()
        deadline = time.monotonic() + START_SECONDS
        last = "no answer"
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise ServerDidNotStart(
                        f"the server exited with status {process.returncode} before "
                        f"answering /healthz:\n{self.stderr()}",
                        process.returncode,
                        self.stderr(),
                    )
                try:
                    answer = client.get(f"{self.url}/healthz")
                except httpx.TransportError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if answer.status_code == 200 or not healthy:
                        return
                    last = f"{answer.status_code} {answer.text}"
                time.sleep(0.05)
        self.close()
        raise ServerDidNotStart(
            f"the server did not answer GET /healthz with 200 within {START_SECONDS} s "
            f"(last: {last}):\n{self.stderr()}",
            self.returncode,
            self.stderr(),
        )


@contextmanager
def running_server(
    files: Sequence[str | Path] = (),
    *,
    folder: Path | None = None,
    healthy: bool = True,
    **options: Any,
) -> Iterator[ServedFlow]:
    """A started `ServedFlow` (options as its constructor's), stopped at the end; without
    `folder`, its files go in a temporary folder removed afterwards."""
    import tempfile

    temporary = folder is None
    where = Path(tempfile.mkdtemp(prefix="flowc-served-")) if folder is None else folder
    server = ServedFlow(where, files, **options)
    try:
        server.start(healthy=healthy)
        yield server
    finally:
        server.close()
        if temporary:
            shutil.rmtree(where, ignore_errors=True)


class ServerFactory:
    """Starts servers for one test (or module) and stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.servers: list[ServedFlow] = []

    def create(self, files: Sequence[str | Path] = (), **options: Any) -> ServedFlow:
        """A server, not started yet; its folder is `name` (default server-N) in ours."""
        name = options.pop("name", None) or f"server-{len(self.servers) + 1}"
        server = ServedFlow(self.folder / name, files, **options)
        self.servers.append(server)
        return server

    def start(
        self, files: Sequence[str | Path] = (), *, healthy: bool = True, **options: Any
    ) -> ServedFlow:
        """A started server (see `ServedFlow` for the options, and `name`)."""
        return self.create(files, **options).start(healthy=healthy)

    def close(self) -> None:
        for server in self.servers:
            server.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts real server processes for this test: `served.start([flow], args=[...])`."""
    factory = ServerFactory(tmp_path / "served")
    try:
        yield factory
    finally:
        factory.close()
