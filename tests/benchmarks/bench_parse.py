"""Parser speed: text -> AST on a generated 10,000-line program, beside bare Lark.

Targets, on the 2-core build machine: at least 20,000 lines per second (issue 2),
and at least half the lines per second of bare Lark on the same text (issue 8).
Bare Lark is Lark's LALR parser with the same grammar, the same contextual
lexer and no transformer: it builds Lark's own parse tree and does nothing
else (no AST, spans, string decoding, templates or checks), so the ratio is
what flowc's own work costs on top of the parsing both do.

The figure judged is CPU time (median of several parses), because the machine
is shared: wall time, printed beside it, also counts other processes' turns.
The two parsers take turns, so that a burst of load slows both alike, and each
parse starts from a collected heap, so one parse does not pay for freeing the
last one's tree.
"""

from __future__ import annotations

import gc
import importlib.resources
import statistics
import time
from collections.abc import Callable

from flowc.parser import parse
from flowc.source import SourceFile
from lark import Lark

from .generate import generate_program

LINES = 10_000
RUNS = 5
TARGET_LINES_PER_SECOND = 20_000
TARGET_RATIO = 0.5  # of bare Lark's lines per second


def main() -> None:
    text = generate_program(LINES)
    lines = text.count("\n")
    bare = bare_lark()

    def flowc_parse() -> None:
        result = parse(SourceFile("generated.flow", text))
        if result.module is None:
            raise AssertionError(f"the generated program has syntax errors: {result.diagnostics}")

    def bare_parse() -> None:
        bare.parse(text, start="module")

    # Warm-up: the grammar tables load, and Lark compiles each lexer state's regexes
    # the first time the parser is in that state.
    flowc_parse()
    bare_parse()
    flowc_times: list[tuple[float, float]] = []
    bare_times: list[tuple[float, float]] = []
    for _ in range(RUNS):
        flowc_times.append(timed(flowc_parse))
        bare_times.append(timed(bare_parse))
    flowc_rate = report("flowc", lines, flowc_times)
    bare_rate = report("bare Lark", lines, bare_times)
    rate_verdict = "met" if flowc_rate >= TARGET_LINES_PER_SECOND else "MISSED"
    ratio = flowc_rate / bare_rate
    ratio_verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"parse: flowc target {TARGET_LINES_PER_SECOND:,} lines/s: {rate_verdict}")
    print(
        f"parse: flowc / bare Lark = {ratio:.2f} of its lines/s "
        f"(target {TARGET_RATIO:.2f}: {ratio_verdict})"
    )


def bare_lark() -> Lark:
    """Lark on flowc's grammar with flowc's parser options, less the parse's own work."""
    grammar = (importlib.resources.files("flowc.grammar") / "flow.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["module", "template"],
        maybe_placeholders=False,
    )


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """The CPU and wall time of one run, from a collected heap."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def report(name: str, lines: int, times: list[tuple[float, float]]) -> float:
    """Print the median times of one parser; returns its lines per second of CPU time."""
    cpu = statistics.median(t[0] for t in times)
    wall = statistics.median(t[1] for t in times)
    rate = lines / cpu
    print(
        f"parse: {name}: {lines} lines in {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall "
        f"(medians of {len(times)}) = {rate:,.0f} lines/s"
    )
    return rate
