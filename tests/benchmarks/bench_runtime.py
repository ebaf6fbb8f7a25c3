"""Runtime and compile benchmarks (`make bench`); prints a JSON report.

1. Per-step overhead: a generated 50-step flow run 1,000 times on the scripted
   channel, against a hand-written asyncio function doing the same work (the
   same sets, the same template rendering, the same channel). Target: <= 1.5x.
2. Scale: 10,000 calls in one process, each waiting at a collect. Target:
   <= 10 KB of memory per waiting call (tracemalloc); also the size of one
   call's stored JSON state.
3. Compile: `flowc build` of the 10,000-line program of generate.py, split into
   parse, check, lower, templates and Black.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from flowc import __version__
from flowc.build import build_files, write_files
from flowc.checker import analyze
from flowc.codegen.emit import render_module
from flowc.codegen.formatting import format_sources
from flowc.codegen.lower import lower_program
from flowc.loader import load_program
from flowc_runtime import ScriptedChannel, WhenExhausted, ops, run_call
from flowc_runtime.services import JSON

from tests.benchmarks.generate import generate_program
from tests.runtime_core.helpers import local_services

STEP_PAIRS = 25  # a `set` and a `talk` each, then `end`: 51 steps
RUNS = 1_000
WAITING_CALLS = 10_000
COMPILE_LINES = 10_000


def fifty_step_flow() -> str:
    steps = []
    for i in range(STEP_PAIRS):
        steps.append(f"  set n{i} = {i}")
        steps.append(f'  talk "Step {{{{n{i}}}}} of the tour."')
    return "flow Tour {\n" + "\n".join(steps) + '\n  end "Done."\n}\n'


async def hand_written_tour(channel: ScriptedChannel) -> None:
    """What the generated Tour does, written directly: no driver, no step table."""
    variables: dict[str, JSON] = {}
    for i in range(STEP_PAIRS):
        variables[f"n{i}"] = i
        await channel.say(ops.text("Step ", variables.get(f"n{i}"), " of the tour."))
    await channel.say("Done.")
    await channel.hang_up()


def compile_module(folder: Path, name: str, source: str) -> ModuleType:
    path = folder / f"{name}.flow"
    path.write_text(source, encoding="utf-8")
    result = build_files([str(path)])
    if not result.ok:
        raise SystemExit(f"benchmark flow {name} does not check: {result.check.diagnostics}")
    write_files(result.files, str(folder / "out"))
    sys.path.insert(0, str(folder / "out"))
    return importlib.import_module(name)


def step_overhead(folder: Path) -> dict[str, Any]:
    module = compile_module(folder, "bench_tour", fifty_step_flow())
    services = local_services()

    async def generated() -> None:
        for _ in range(RUNS):
            await run_call(module.FLOW_Tour, services, ScriptedChannel([]), call_id="bench")

    async def by_hand() -> None:
        for _ in range(RUNS):
            await hand_written_tour(ScriptedChannel([]))

    def timed(body: Callable[[], Any]) -> Callable[[], float]:
        def measure() -> float:
            started = time.perf_counter()
            asyncio.run(body())
            return time.perf_counter() - started

        return measure

    # Interleaved, best of seven each: a busy machine slows both alike.
    generated_runs, hand_runs = [], []
    for _ in range(7):
        generated_runs.append(timed(generated)())
        hand_runs.append(timed(by_hand)())
    generated_s, hand_s = min(generated_runs), min(hand_runs)
    steps = len(module.FLOW_Tour.steps)
    return {
        "steps_per_call": steps,
        "calls": RUNS,
        "generated_ms": round(generated_s * 1000, 1),
        "hand_written_ms": round(hand_s * 1000, 1),
        "ratio": round(generated_s / hand_s, 2),
        "target_ratio": 1.5,
        "generated_us_per_step": round(generated_s / (RUNS * steps) * 1e6, 2),
    }


WAITING_FLOW = """\
flow Waiting {
  talk "Hello."
  collect name: text
    prompt "What is your name?"
    on no_answer -> bye
  talk "Thanks, {{name}}."
  bye:
  end "Goodbye."
}
"""


def waiting_calls(folder: Path) -> dict[str, Any]:
    module = compile_module(folder, "bench_waiting", WAITING_FLOW)
    services = local_services()

    async def scenario() -> tuple[int, int]:
        channels = [
            ScriptedChannel([], when_exhausted=WhenExhausted.WAIT) for _ in range(WAITING_CALLS)
        ]
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tasks = [
            asyncio.create_task(run_call(module.FLOW_Waiting, services, channel, call_id=str(i)))
            for i, channel in enumerate(channels)
        ]
        await asyncio.sleep(0.1)  # every call runs to its collect and waits there
        gc.collect()
        waiting = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        for channel in channels:
            channel.add_turn("Jane")
        results = await asyncio.gather(*tasks)
        return waiting, sum(1 for result in results if result.outcome is not None)

    waiting_bytes, finished = asyncio.run(scenario())
    suspended = asyncio.run(
        run_call(
            module.FLOW_Waiting,
            services,
            ScriptedChannel([], when_exhausted=WhenExhausted.SUSPEND),
        )
    )
    state = suspended.state or ""
    return {
        "calls": WAITING_CALLS,
        "bytes_per_waiting_call": round(waiting_bytes / WAITING_CALLS),
        "target_bytes_per_call": 10 * 1024,
        "finished_after_answer": finished,
        "state_json_bytes": len(state.encode("utf-8")),
    }


def compile_phases(folder: Path) -> dict[str, Any]:
    path = folder / "big.flow"
    path.write_text(generate_program(COMPILE_LINES), encoding="utf-8")
    (folder / "scoring.py").write_text(
        "def score_lead(name: str, tier: str) -> float:\n    return 1.0\n"
    )
    phases: dict[str, float] = {}

    def phase(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = work()
        phases[name] = round((time.perf_counter() - started) * 1000, 1)
        return value

    program = phase("parse_ms", lambda: load_program([str(path)]))
    analysis = phase("check_ms", lambda: analyze(program))
    if any(d.is_error for d in [*program.diagnostics, *analysis.diagnostics]):
        raise SystemExit("the generated benchmark program does not check clean")
    modules = phase("lower_ms", lambda: lower_program(program, analysis.model, __version__))
    rendered = phase("templates_ms", lambda: [render_module(m) for m in modules])
    formatted = phase("black_ms", lambda: format_sources(rendered))
    return {
        "source_lines": path.read_text(encoding="utf-8").count("\n"),
        "generated_lines": sum(text.count("\n") for text in formatted),
        **phases,
        "total_ms": round(sum(phases.values()), 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="flowc-bench-") as folder:
        report = {
            "step_overhead": step_overhead(Path(folder)),
            "waiting_calls": waiting_calls(Path(folder)),
            "compile": compile_phases(Path(folder)),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
