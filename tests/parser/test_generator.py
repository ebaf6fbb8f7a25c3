"""The benchmark programs (tests/benchmarks/generate.py) are valid: their timings mean something."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.benchmarks.generate import generate_program

from .support import foreign_objects, parse_text, tokens
from .unparse import unparse


def test_a_generated_program_has_the_lines_asked_for() -> None:
    text = generate_program(1000)
    assert 1000 <= text.count("\n") < 1100


def test_a_generated_program_parses_and_round_trips() -> None:
    text = generate_program(300)
    module = parse_text(text)
    assert len(module.actions) == len(module.flows) >= 4
    assert tokens(unparse(module)) == tokens(text)
    assert foreign_objects(module) == []


def test_a_generated_program_checks_clean(tmp_path: Path) -> None:
    (tmp_path / "generated.flow").write_text(generate_program(300))
    flowc = Path(sys.executable).parent / "flowc"
    result = subprocess.run(
        [str(flowc), "check", "generated.flow"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
