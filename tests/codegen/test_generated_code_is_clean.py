"""Every example's generated code passes `mypy --strict` and `black --check`
(LANGUAGE.md section 8), run as the real tools in subprocesses; so does the
benchmark program's (`black --check`: it is generated without running Black)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flowc.build import BuildResult, build_files, write_files

from tests.benchmarks.generate import generate_program

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT / "examples"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    sources = sorted(str(path) for path in EXAMPLES.rglob("*.flow"))
    result = build_files(sources, cache_dir=None)
    assert result.ok, [f"{d.span}: {d.message}" for d in result.check.diagnostics]
    output = tmp_path_factory.mktemp("generated")
    write_files(result.files, str(output))
    return output, result


@pytest.fixture(scope="module")
def generated(built: tuple[Path, BuildResult]) -> Path:
    return built[0]


def test_every_example_generates_a_module(built: tuple[Path, BuildResult]) -> None:
    output, result = built
    # A module is named after its file's path, a folder that is no Python name made one
    # (`libraries/booking-actions/...` is `libraries.booking_actions....`).
    written = {p.relative_to(output).with_suffix("").as_posix().replace("/", ".")
               for p in output.rglob("*.py")}
    for flow in EXAMPLES.rglob("*.flow"):
        assert result.modules[str(flow)] in written, flow


def test_generated_modules_pass_mypy_strict(generated: Path, tmp_path: Path) -> None:
    # mypy cannot follow the editable install's import hook: give it the runtime
    # under its import name, and the examples folder for their Python callables.
    (tmp_path / "flowc_runtime").symlink_to(PROJECT / "runtime")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
        cwd=generated,
        env={"MYPYPATH": f"{tmp_path}:{EXAMPLES}", "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_modules_are_black_formatted(generated: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "."],
        cwd=generated,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_benchmark_program_is_black_formatted(tmp_path: Path) -> None:
    source = tmp_path / "big.flow"
    source.write_text(generate_program(10_000), encoding="utf-8")
    result = build_files([str(source)], cache_dir=None)
    assert result.ok
    write_files(result.files, str(tmp_path / "out"))
    checked = subprocess.run(
        [sys.executable, "-m", "black", "--check", "."],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
