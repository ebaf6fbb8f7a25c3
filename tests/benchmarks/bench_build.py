"""Build speed (issue 8): `flowc build` of the 10,008-line program of generate.py
against `flowc check` of the same files, measured side by side in one run.

The program's units are spread over several files (each an action and the flow
that runs it, plus generate.py's prelude) so that one action file can change.
Targets: a cold build (empty cache) at most 4x the check; a rebuild with nothing
changed at most 1.3x; a rebuild after one action file changed at most 1.6x.
Every figure is the median of several runs, in this process (imports excluded);
prints a JSON report.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowc.build import build_files, write_files
from flowc.pipeline import check_files

from .generate import PRELUDE, generate_program

LINES = 10_000
FILES = 10
RUNS = 5
TARGETS = {"cold_build": 4.0, "rebuild_unchanged": 1.3, "rebuild_one_action_changed": 1.6}


def write_program(folder: Path) -> list[Path]:
    """generate_program(LINES) split at its units into FILES files of about equal size."""
    units = generate_program(LINES).removeprefix(PRELUDE).split("action Lookup")[1:]
    per_file = -(-len(units) // FILES)
    paths = []
    for index in range(0, len(units), per_file):
        path = folder / f"part{index // per_file:02d}.flow"
        body = "".join("action Lookup" + unit for unit in units[index : index + per_file])
        path.write_text(PRELUDE + body, encoding="utf-8")
        paths.append(path)
    scoring = "def score_lead(name: str, tier: str) -> float:\n    return 1.0\n"
    (folder / "scoring.py").write_text(scoring, encoding="utf-8")
    return paths


def median_seconds(work: Callable[[], Any], before: Callable[[], Any] = lambda: None) -> float:
    times = []
    for _ in range(RUNS):
        before()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build(paths: list[str], output: Path, cache: Path) -> None:
    result = build_files(paths, cache_dir=str(cache))
    if not result.ok:
        raise SystemExit(f"the benchmark program does not check: {result.check.diagnostics[:3]}")
    write_files(result.files, str(output))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="flowc-bench-build-") as name:
        folder = Path(name)
        sources = write_program(folder)
        paths = [str(path) for path in sources]
        output, cache = folder / "out", folder / "cache"
        check_files(paths)  # warm-up: grammar tables, templates
        changed = iter(range(1_000_000))

        def change_one_action() -> None:
            text = sources[0].read_text(encoding="utf-8")
            marker = "the lookup failed"
            start = text.index(marker)
            end = text.index('"', start)
            sources[0].write_text(f"{text[:start]}{marker} {next(changed)}{text[end:]}")

        check = median_seconds(lambda: check_files(paths))
        cold = median_seconds(
            lambda: build(paths, output, cache), lambda: shutil.rmtree(cache, ignore_errors=True)
        )
        unchanged = median_seconds(lambda: build(paths, output, cache))
        one_changed = median_seconds(lambda: build(paths, output, cache), change_one_action)
        lines = sum(path.read_text(encoding="utf-8").count("\n") for path in sources)
    seconds = {"cold_build": cold, "rebuild_unchanged": unchanged}
    seconds["rebuild_one_action_changed"] = one_changed
    report = {
        "source_lines": lines,
        "files": len(sources),
        "check_ms": round(check * 1000, 1),
        **{f"{name}_ms": round(value * 1000, 1) for name, value in seconds.items()},
        "ratios_to_check": {name: round(value / check, 2) for name, value in seconds.items()},
        "targets": TARGETS,
        "met": {name: value / check <= TARGETS[name] for name, value in seconds.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
