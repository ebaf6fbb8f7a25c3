"""Serving benchmark (`make bench`): turns per second and turn latency of `flowc-serve`
against a floor, both over real HTTP on 127.0.0.1, in the same run.

- flowc: `flowc-serve` (one uvicorn process, the SQLite store, signatures checked)
  serving a flow that asks a question again and again; every request is one
  turn: load the call, resume it, run to the next collect, store it, TwiML out.
- floor: a bare Starlette endpoint on the same uvicorn that does one SQLite read
  and one SQLite write per request (the same WAL settings) and answers a
  fixed TwiML document: what any durable webhook server pays at least.
- floor+twilio: the floor that also does what the Twilio protocol asks of every
  server: it checks the request's signature and writes its TwiML with the twilio
  package, as flowc does. flowc's cost beyond it is the runtime's own: the
  call store's compare-and-set, resuming the call, running its steps.

CALLS simulated calls run at once, each a keep-alive connection that posts the
incoming call, TURNS answers and a last "stop", signed like Twilio. The client
is a small asyncio HTTP/1.1 writer/reader (not httpx), so that it takes as
little as possible of the CPU the servers need. Two loads, each on both servers:

- saturation: no pause between turns, so the server is never idle: turns/s and
  the server's CPU time per turn (from /proc), whose ratio to the floor's is the
  server-side turn cost (target <= 2x);
- calls: the same CALLS calls, each caller taking THINK_SECONDS (uniformly
  spread) to speak before each answer, as on the phone: p50/p99 turn latency
  (target p99 < 50 ms at 200 concurrent calls).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flowc.build import build_files, write_files
from twilio.request_validator import RequestValidator

CALLS = 200
TURNS = 10
ROUNDS = 2  # saturation: each simulated caller places this many calls in a row
THINK_SECONDS = (0.5, 2.0)  # calls: a caller speaks this long before each answer
TOKEN = "bench-auth-token"

BENCH_FLOW = """\
flow Bench {
  on no_answer -> bye
  talk "Welcome to the benchmark line."
  ask:
  collect answer: text
    prompt "Say anything, or stop."
  if answer == "stop" -> bye
  -> ask
  bye:
  end "Goodbye."
}
"""

FLOOR_APP = textwrap.dedent(
    '''
    import sqlite3, sys
    from urllib.parse import parse_qsl
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from twilio.request_validator import RequestValidator
    from twilio.twiml.voice_response import Gather, VoiceResponse
    import uvicorn

    port, path, protocol = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "twilio"
    validator = RequestValidator(sys.argv[4])
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, record TEXT)")
    TWIML = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/next" '
        'input="speech dtmf"><Say>Say anything, or stop.</Say></Gather></Response>'
    )

    def twiml(url):
        response = VoiceResponse()
        gather = Gather(input="speech dtmf", action=url, method="POST")
        gather.say("Say anything, or stop.")
        response.append(gather)
        return str(response)

    async def turn(request):
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        if protocol and not validator.validate(
            str(request.url), form, request.headers.get("X-Twilio-Signature", "")
        ):
            return Response("forbidden", status_code=403)
        sid = form["CallSid"]
        row = db.execute("SELECT record FROM calls WHERE id = ?", (sid,)).fetchone()
        record = (row[0] if row else "") + form.get("SpeechResult", "")[:1]
        db.execute("INSERT OR REPLACE INTO calls VALUES (?, ?)", (sid, record))
        body = twiml(str(request.url) + "/next") if protocol else TWIML
        return Response(body, media_type="application/xml")

    app = Starlette(routes=[Route("/{path:path}", turn, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    '''
)


@dataclass
class Run:
    latencies_ms: list[float]
    seconds: float
    cpu_seconds: float

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def report(self) -> dict[str, float]:
        return {
            "turns": self.turns,
            "turns_per_second": round(self.turns / self.seconds, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "server_cpu_ms_per_turn": round(self.cpu_seconds / self.turns * 1000, 3),
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Connection:
    """One keep-alive HTTP/1.1 connection that posts forms and reads the answers."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        self.reader, self.writer, self.host = reader, writer, f"127.0.0.1:{port}"

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def post(self, path: str, form: dict[str, str], signature: str) -> tuple[int, bytes]:
        body = urlencode(form).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def one_caller(
    port: int,
    caller: int,
    paths: Callable[[str, int], str],
    latencies: list[float],
    rounds: int,
    think: tuple[float, float] | None,
) -> None:
    validator = RequestValidator(TOKEN)
    base = f"http://127.0.0.1:{port}"
    pauses = random.Random(caller)
    connection = await Connection.open(port)
    try:
        for round_ in range(rounds):
            sid = f"CA{caller:08d}{round_:04d}{think is None:d}{os.getpid():019d}"
            fields = {"CallSid": sid, "From": "+15550001111", "To": "+15550002222"}
            for turn in range(TURNS + 2):
                # Calls arrive spread out and callers take time to speak, as on the phone.
                if think is not None:
                    await asyncio.sleep(pauses.uniform(think[0] if turn else 0.0, think[1]))
                form = dict(fields)
                if turn:
                    form["SpeechResult"] = "stop" if turn == TURNS + 1 else f"answer {turn}"
                path = paths(sid, turn)
                signature = validator.compute_signature(base + path, form)
                started = time.perf_counter()
                status, _ = await connection.post(path, form, signature)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
    finally:
        connection.close()


def flowc_path(sid: str, turn: int) -> str:
    return "/twilio/voice" if turn == 0 else f"/twilio/calls/{sid}/{turn}"


def floor_path(sid: str, turn: int) -> str:
    return "/twilio/voice" if turn == 0 else f"/next/{turn}"


async def load(
    port: int, paths: Callable[[str, int], str], rounds: int, think: tuple[float, float] | None
) -> tuple[list[float], float]:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(one_caller(port, n, paths, latencies, rounds, think) for n in range(CALLS))
    )
    return latencies, time.perf_counter() - started


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def measure(command: list[str], port: int, paths: Callable[[str, int], str]) -> tuple[Run, Run]:
    """The server's saturation run and its calls run."""
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN}
    process = subprocess.Popen(command, env=env)
    try:
        wait_ready(port, process)
        runs = []
        for rounds, think in ((ROUNDS, None), (1, THINK_SECONDS)):
            cpu_before = cpu_seconds(process.pid)
            latencies, seconds = asyncio.run(load(port, paths, rounds, think))
            runs.append(Run(latencies, seconds, cpu_seconds(process.pid) - cpu_before))
        return runs[0], runs[1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def build_bench_flow(folder: Path) -> Path:
    source = folder / "bench.flow"
    source.write_text(BENCH_FLOW, encoding="utf-8")
    result = build_files([str(source)])
    if not result.ok:
        raise RuntimeError("the benchmark flow does not compile")
    out = folder / "out"
    write_files(result.files, str(out))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="flowc-bench-serve-") as tmp:
        folder = Path(tmp)
        out = build_bench_flow(folder)
        floor_script = folder / "floor.py"
        floor_script.write_text(FLOOR_APP, encoding="utf-8")
        flowc_port = free_port()
        floors = {
            name: measure(
                [sys.executable, str(floor_script), str(port), str(folder / f"{name}.db"),
                 protocol, TOKEN],
                port,
                floor_path,
            )
            for name, protocol, port in (
                ("floor", "bare", free_port()),
                ("floor+twilio", "twilio", free_port()),
            )
        }  # fmt: skip
        flowc = measure(
            [
                sys.executable, "-m", "flowc_runtime.serve.cli", str(out),
                "--flow", "bench:Bench", "--port", str(flowc_port),
                "--store", f"sqlite:{folder / 'calls.db'}",
            ],
            flowc_port,
            flowc_path,
        )  # fmt: skip
    runs = {**floors, "flowc": flowc}
    cost = {name: run[0].report()["server_cpu_ms_per_turn"] for name, run in runs.items()}
    report = {
        "concurrent_calls": CALLS,
        "saturation": {name: run[0].report() for name, run in runs.items()},
        "calls": {name: run[1].report() for name, run in runs.items()},
        "server_cpu_per_turn_ratio": {
            "flowc/floor": round(cost["flowc"] / cost["floor"], 2),
            "flowc/floor+twilio": round(cost["flowc"] / cost["floor+twilio"], 2),
        },
        "targets": {"flowc/floor": 2.0, "calls_flowc_p99_ms": 50},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
