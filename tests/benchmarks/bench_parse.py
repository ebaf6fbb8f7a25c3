"""Parser speed: text -> AST on a generated 10,000-line program.

Target (issue 2): at least 20,000 lines per second on the 2-core build machine.
Prints the median of several runs and whether it meets the target.
"""

from __future__ import annotations

import statistics
import time

from flowc.parser import parse
from flowc.source import SourceFile

from .generate import generate_program

LINES = 10_000
RUNS = 5
TARGET_LINES_PER_SECOND = 20_000


def main() -> None:
    text = generate_program(LINES)
    lines = text.count("\n")
    parse(SourceFile("warm-up.flow", "flow Warm {}"))  # loads the grammar tables
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = parse(SourceFile("generated.flow", text))
        timings.append(time.perf_counter() - start)
        if result.module is None:
            raise AssertionError(f"the generated program has syntax errors: {result.diagnostics}")
    median = statistics.median(timings)
    rate = lines / median
    print(
        f"parse: {lines} lines in {median * 1000:.0f} ms (median of {RUNS}) "
        f"= {rate:,.0f} lines/s (target {TARGET_LINES_PER_SECOND:,})"
    )
    print("parse: target met" if rate >= TARGET_LINES_PER_SECOND else "parse: BELOW TARGET")
