"""Every example checks clean: `flowc check` (a real subprocess) reports nothing, exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLE_FLOWS = sorted((PROJECT / "examples").rglob("*.flow"))


def project_path(path: Path) -> str:
    return path.relative_to(PROJECT).as_posix()


def test_the_examples_are_found() -> None:
    names = {project_path(path) for path in EXAMPLE_FLOWS}
    assert {"examples/legal_intake.flow", "examples/lib/appointments.flow"} <= names


@pytest.mark.parametrize("flow_file", EXAMPLE_FLOWS, ids=project_path)
def test_example_checks_clean(flow_file: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flowc.cli", "check", project_path(flow_file)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
