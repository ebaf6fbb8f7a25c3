"""Running many tests: find the files, check each, play those that check, keep the results.

Shared by `flowc test`, the pytest plugin and the benchmark. Tests run
grouped by the .flow file they call, so each program is checked, built and
imported once (programs.py).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic, render_human
from ..run import RunError
from .check import CheckedTest, TestInputError, check_flowtest
from .coverage import Coverage
from .programs import Programs
from .session import Failure, Played, play

SUFFIX = ".flowtest"
# Folders never searched for tests (environments, caches, version control).
SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".flowc-cache"}


@dataclass
class TestResult:
    """One test file's result: errors (it does not check), failures, or a pass."""

    __test__ = False

    path: str
    name: str
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()
    rendered_diagnostics: str = ""
    failures: list[Failure] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.diagnostics:
            return "error"
        return "failed" if self.failures else "passed"


def find_tests(paths: Sequence[str]) -> list[str]:
    """The .flowtest files named, and those under the folders named (sorted); raises
    TestInputError for a path that does not exist."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found += sorted(_under(Path(path)))
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise TestInputError(f"'{path}' does not exist")
    return list(dict.fromkeys(os.path.normpath(p) for p in found))


def _under(folder: Path) -> Iterator[str]:
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        for name in files:
            if name.endswith(SUFFIX):
                yield os.path.join(root, name)


@dataclass
class Runner:
    """Runs tests, one file at a time, sharing the built programs and the coverage."""

    __test__ = False

    programs: Programs = field(default_factory=Programs)
    coverage: Coverage = field(default_factory=Coverage)
    # One event loop for every call: a loop per test would cost more than most calls.
    loop: asyncio.Runner = field(default_factory=asyncio.Runner)

    def run_file(self, path: str) -> TestResult:
        """Checks and plays one test file; raises TestInputError when it cannot be read."""
        return self._finish(self._check(path))

    def run_files(self, paths: Iterable[str]) -> list[TestResult]:
        """The results in the order given. Every file is checked first, then the tests are
        played grouped by the program they call, so that each is imported once."""
        checked = {path: self._check(path) for path in paths}

        def program(path: str) -> str:
            test = checked[path][0]
            return test.program.path if test.program is not None else ""

        results = {path: self._finish(checked[path]) for path in sorted(checked, key=program)}
        return [results[path] for path in checked]

    def _check(self, path: str) -> tuple[CheckedTest, float]:
        started = time.perf_counter()
        checked = check_flowtest(path, programs=self.programs)
        return checked, time.perf_counter() - started

    def _finish(self, checked_in: tuple[CheckedTest, float]) -> TestResult:
        checked, checking = checked_in
        path = checked.path
        name = checked.test.name if checked.test is not None else Path(path).stem
        if not checked.ok:
            rendered = render_human(checked.diagnostics, checked.sources)
            return TestResult(path, name, checking, checked.diagnostics, rendered)
        started = time.perf_counter()
        played = self._play(checked)
        seconds = checking + time.perf_counter() - started
        return TestResult(path, name, seconds, failures=played.failures)

    def _play(self, checked: CheckedTest) -> Played:
        assert checked.program is not None
        try:
            played = play(checked, self.programs, self.loop)
        except RunError as exc:
            return Played([], [], [Failure(f"cannot run the test: {exc}")])
        self.coverage.add_run(checked.program, played.events)
        return played

    def close(self) -> None:
        """Unloads the imported program and closes the loop; the runner may go on after."""
        self.programs.unload()
        self.loop.close()
        self.loop = asyncio.Runner()


def describe_failure(result: TestResult) -> str:
    """A failed or erroneous test as `flowc test` prints it: each failure with its line and
    diff, or the diagnostics of a test that does not check."""
    if result.diagnostics:
        return result.rendered_diagnostics
    blocks = []
    for failure in result.failures:
        where = f"{result.path}:{failure.line}: " if failure.line is not None else \
            f"{result.path}: "
        block = f"{where}{failure.message}"
        if failure.diff:
            block += "\n" + failure.diff
        blocks.append(block)
    return "\n".join(blocks) + "\n"
