"""Every example's generated code passes `mypy --strict` and `black --check`
(LANGUAGE.md section 8), run as the real tools in subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flowc.build import build_files, write_files

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT / "examples"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = sorted(str(path) for path in EXAMPLES.rglob("*.flow"))
    result = build_files(sources)
    assert result.ok, [f"{d.span}: {d.message}" for d in result.check.diagnostics]
    output = tmp_path_factory.mktemp("generated")
    write_files(result.files, str(output))
    return output


def test_every_example_generates_a_module(generated: Path) -> None:
    modules = {p.relative_to(generated).as_posix() for p in generated.rglob("*.py")}
    expected = {
        p.relative_to(EXAMPLES).with_suffix(".py").as_posix() for p in EXAMPLES.rglob("*.flow")
    }
    assert expected <= modules


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
