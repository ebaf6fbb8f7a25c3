"""Checker speed: semantic analysis of a generated 10,000-line program, against its parsing.

Target (issue 3): checking takes at most 2x the time parsing the same program
takes. The program is two files: a library (generate.py's units: actions and
the flows that use them) and a main file that imports every action of the
library and runs each in a flow with labels and loops (each loop waits for the
caller, so the program checks clean). Prints both figures (medians of several
runs) and whether the target is met.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from flowc.checker import analyze
from flowc.loader import Program, load_program

from .generate import generate_program

LINES = 10_000
RUNS = 5
TARGET_RATIO = 2.0

LOOP_UNIT = """\
flow Loop{n} {{
  on no_answer -> goodbye
  on error -> goodbye

  ask:
  collect customer: text
    prompt "Which customer, please?"
  run found = Lookup{n}(customer = customer)
    on Found -> check
    on Missing -> ask

  check:
  if found.tier == "gold" -> gold
  collect again: bool
    prompt "That account is {{{{found.tier}}}}. Look up another one?"
  if again -> ask
  end "Goodbye."

  gold:
  end "Account {{{{found.account}}}} is gold. Goodbye."

  goodbye:
  end "Thank you for calling."
}}

"""


def write_program(folder: Path, lines: int) -> Path:
    """A library of about `lines / 2` lines and a main file importing all of its actions."""
    library = generate_program(lines // 2)
    (folder / "library.flow").write_text(library, encoding="utf-8")
    count = library.count("action Lookup")
    imports = ", ".join(f"Lookup{n}" for n in range(count))
    main = [f'from "library.flow" import {imports}\n\n']
    total = 2
    n = 0
    while total < lines - library.count("\n"):
        unit = LOOP_UNIT.format(n=n % count)
        main.append(unit.replace(f"flow Loop{n % count} ", f"flow Loop{n} ", 1))
        total += unit.count("\n")
        n += 1
    path = folder / "main.flow"
    path.write_text("".join(main), encoding="utf-8")
    return path


def timed_load(path: Path) -> tuple[float, Program]:
    start = time.perf_counter()
    program = load_program([str(path)])
    return time.perf_counter() - start, program


def timed_check(program: Program) -> float:
    start = time.perf_counter()
    analysis = analyze(program)
    elapsed = time.perf_counter() - start
    if program.diagnostics or analysis.diagnostics:
        found = [*program.diagnostics, *analysis.diagnostics][:3]
        raise AssertionError(f"the generated program does not check clean: {found}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_program(Path(folder), LINES)
        lines = sum(p.read_text().count("\n") for p in Path(folder).glob("*.flow"))
        timed_load(path)  # warm-up: grammar tables, imports
        parse_times, check_times = [], []
        for _ in range(RUNS):
            parse_time, program = timed_load(path)
            parse_times.append(parse_time)
            check_times.append(timed_check(program))
    parse_median = statistics.median(parse_times)
    check_median = statistics.median(check_times)
    ratio = check_median / parse_median
    print(
        f"check: {lines} lines in 2 files; parse {parse_median * 1000:.0f} ms, "
        f"check {check_median * 1000:.0f} ms (medians of {RUNS}) "
        f"= {ratio:.2f}x parse (target <= {TARGET_RATIO:.0f}x)"
    )
    print("check: target met" if ratio <= TARGET_RATIO else "check: ABOVE TARGET")


if __name__ == "__main__":
    main()
