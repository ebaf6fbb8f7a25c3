"""Parser speed: text -> AST on a generated 10,000-line program.

Target (issue 2): at least 20,000 lines per second on the 2-core build machine.
The figure judged is CPU time (median of several parses), because the machine
is shared: wall time, printed beside it, also counts other processes' turns.
Each parse starts from a collected heap, so one parse does not pay for
freeing the last one's AST.
"""

from __future__ import annotations

import gc
import statistics
import time

from flowc.parser import ParseResult, parse
from flowc.source import SourceFile

from .generate import generate_program

LINES = 10_000
RUNS = 5
TARGET_LINES_PER_SECOND = 20_000


def main() -> None:
    text = generate_program(LINES)
    lines = text.count("\n")
    parse(SourceFile("warm-up.flow", "flow Warm { end }"))  # loads the grammar tables
    cpu_times, wall_times = [], []
    result: ParseResult | None = None
    for _ in range(RUNS):
        result = None
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = parse(SourceFile("generated.flow", text))
        cpu_times.append(time.process_time() - cpu)
        wall_times.append(time.perf_counter() - wall)
        if result.module is None:
            raise AssertionError(f"the generated program has syntax errors: {result.diagnostics}")
    cpu_time, wall_time = statistics.median(cpu_times), statistics.median(wall_times)
    rate = lines / cpu_time
    verdict = "met" if rate >= TARGET_LINES_PER_SECOND else "MISSED"
    print(
        f"parse: {lines} lines in {cpu_time * 1000:.0f} ms CPU, {wall_time * 1000:.0f} ms wall "
        f"(medians of {RUNS}) = {rate:,.0f} lines/s "
        f"(target {TARGET_LINES_PER_SECOND:,}: {verdict})"
    )
