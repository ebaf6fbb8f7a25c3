"""`make bench`: runs every benchmark module below in turn; each prints its own report.

Add a benchmark by writing a module with a `main() -> None` here and listing it.
"""

from __future__ import annotations

import importlib

BENCHMARKS = [
    "tests.benchmarks.bench_runtime",
    "tests.benchmarks.bench_parse",
    "tests.benchmarks.bench_check",
    "tests.benchmarks.bench_build",
    "tests.benchmarks.bench_services",
    "tests.benchmarks.bench_understanding",
    "tests.benchmarks.bench_serve",
    "tests.benchmarks.bench_temporal",
    "tests.benchmarks.bench_lsp",
    "tests.benchmarks.bench_flowtest",
]


def main() -> None:
    for name in BENCHMARKS:
        print(f"== {name}")
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
