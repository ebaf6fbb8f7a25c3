"""`flowc test` speed: tests per second over a suite of 500 generated .flowtest files.

Target (issue 11): at least 200 tests per second on this machine. The suite is
generated from the example flows: each of the examples' own tests
(examples/tests) is copied, with its call from a number of its own, until
there are 500, so the suite calls every example flow and action, through
stubs, code steps, messages and transfers. The time counts everything `flowc
test` does: parsing and checking each test, checking, building and
importing each program (the build cache, .flowc-cache/ of a fresh folder,
is cold in the first run only, as for a user's second run), playing the
calls, judging, and coverage.

Alongside, the same tests checked and built beforehand, only their calls
played and judged: the ratio is what reading, checking and building cost on
top of the calls.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from flowc.testing.check import check_flowtest
from flowc.testing.runner import Runner, find_tests
from flowc.testing.session import play

TESTS = 500
RUNS = 3
TARGET_PER_SECOND = 200.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write_suite(folder: Path, count: int) -> list[str]:
    """The example flows and `count` tests calling them, under `folder`."""
    for source in (*EXAMPLES.glob("*.flow"), *EXAMPLES.glob("*.py")):
        shutil.copy(source, folder / source.name)
    shutil.copytree(EXAMPLES / "lib", folder / "lib")
    originals = sorted((EXAMPLES / "tests").glob("*.flowtest"))
    (folder / "tests").mkdir()
    for n in range(count):
        original = originals[n % len(originals)]
        text = _with_own_caller(original.read_text(encoding="utf-8"), n)
        (folder / "tests" / f"{n:03d}_{original.name}").write_text(text, encoding="utf-8")
    return find_tests([str(folder / "tests")])


def _with_own_caller(text: str, n: int) -> str:
    """The test with the caller's number made unique (in the header and every line)."""
    found = re.search(r"^call from (\S+)", text, re.M)
    if found is None:
        return text
    return text.replace(found.group(1), f"+1555{n:07d}")


def timed_suite(files: list[str]) -> float:
    runner = Runner()
    start = time.perf_counter()
    results = runner.run_files(files)
    elapsed = time.perf_counter() - start
    runner.close()
    failed = [r.path for r in results if r.status != "passed"]
    assert not failed, f"generated tests failed: {failed[:3]}"
    return elapsed


def timed_playing(files: list[str]) -> float:
    """Only the playing and judging of the same tests, each checked and built beforehand."""
    runner = Runner()
    checked = [check_flowtest(path, programs=runner.programs) for path in files]
    checked.sort(key=lambda test: test.program.path if test.program is not None else "")
    start = time.perf_counter()
    for test in checked:
        play(test, runner.programs, runner.loop)
    elapsed = time.perf_counter() - start
    runner.close()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        previous = os.getcwd()
        os.chdir(folder)  # a cold build cache (.flowc-cache/) of its own
        try:
            files = write_suite(Path(folder), TESTS)
            suite_times = [timed_suite(files) for _ in range(RUNS)]
            play_times = [timed_playing(files) for _ in range(RUNS)]
        finally:
            os.chdir(previous)
    suite = statistics.median(suite_times)
    calls = statistics.median(play_times)
    per_second = TESTS / suite
    print(
        f"flowtest: {TESTS} tests in {suite:.2f} s = {per_second:.0f} tests/s "
        f"(median of {RUNS}; target >= {TARGET_PER_SECOND:.0f}/s); playing alone "
        f"{calls:.2f} s ({TESTS / calls:.0f}/s): the whole run is {suite / calls:.1f}x playing"
    )
    print("flowtest: target met" if per_second >= TARGET_PER_SECOND else
          "flowtest: BELOW TARGET")


if __name__ == "__main__":
    main()
