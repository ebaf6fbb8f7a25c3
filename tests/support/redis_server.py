"""A real `redis-server` on 127.0.0.1 on a free port, in a temporary folder, for one test.

It keeps nothing on disk (`--save ""`, no append-only file) and is stopped
after the test. Without `redis-server` on PATH the test is skipped, except
under CI (CI=true), where a missing server is a broken build image and fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .http_server import unused_port
from .processes import stop

START_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class LocalRedis:
    host: str
    port: int

    @property
    def url(self) -> str:
        """The URL of database 0, as `--store` takes it."""
        return f"redis://{self.host}:{self.port}/0"


def redis_server_program() -> str:
    """The path of `redis-server`; skips the test (fails it under CI) when there is none."""
    program = shutil.which("redis-server")
    if program is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the Redis store tests")
        pytest.skip(reason)
    return program


@contextmanager
def running_redis_server(*options: str) -> Iterator[LocalRedis]:
    """A started server that answers PING; `options` go on its command line
    (for instance "--requirepass", "secret")."""
    program = redis_server_program()
    server = LocalRedis("127.0.0.1", unused_port())
    with tempfile.TemporaryDirectory(prefix="flowc-redis-") as folder:
        log = Path(folder) / "redis.log"
        command = [program, "--bind", server.host, "--port", str(server.port), "--save", ""]
        command += ["--appendonly", "no", "--dir", folder, "--logfile", str(log), *options]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        try:
            _wait_until_answering(server, process, log)
            yield server
        finally:
            stop(process)


def _wait_until_answering(server: LocalRedis, process: subprocess.Popen[bytes], log: Path) -> None:
    """Polls with PING; a server that exits or stays silent fails the test with its log."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _answers_ping(server):
            return
        time.sleep(0.02)
    output = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"redis-server on port {server.port} did not start:\n{output}")


def _answers_ping(server: LocalRedis) -> bool:
    """True for +PONG, and for -NOAUTH (a server with a password is up too)."""
    try:
        with socket.create_connection((server.host, server.port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            reply = connection.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))
