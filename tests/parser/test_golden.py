"""Every syntax error message, as `flowc check` prints it (a real subprocess per file).

Each tests/parser/golden/NAME.flow has NAME.expected beside it: the exact human
output. Run with FLOWC_UPDATE_GOLDEN=1 to rewrite the expected files, then read
the diff before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flowc.codes import Phase, all_codes

GOLDEN = Path(__file__).parent / "golden"
FLOWC = Path(sys.executable).parent / "flowc"
CASES = sorted(p.stem for p in GOLDEN.glob("*.flow"))


def flowc(*args: str, cwd: Path = GOLDEN) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLOWC), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("name", CASES)
def test_syntax_error_output(name: str) -> None:
    result = flowc("check", f"{name}.flow")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    expected = GOLDEN / f"{name}.expected"
    if os.environ.get("FLOWC_UPDATE_GOLDEN") == "1":
        expected.write_text(result.stdout)
    assert result.stdout == expected.read_text()


def test_every_golden_file_has_its_expected_output() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.expected")) == CASES


def test_json_format_carries_the_same_fields() -> None:
    result = flowc("check", "--format", "json", "misspelt_step.flow")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert (document["errors"], document["warnings"]) == (1, 0)
    (diagnostic,) = document["diagnostics"]
    assert diagnostic == {
        "file": "misspelt_step.flow",
        "line": 2,
        "column": 3,
        "end_line": 2,
        "end_column": 9,
        "severity": "error",
        "code": "E0006",
        "message": "unknown keyword 'colect'; did you mean 'collect'?",
        "notes": [],
        "help": None,
        "labels": [],
        "fixes": [
            {
                "message": "replace 'colect' with 'collect'",
                "applicability": "machine-applicable",
                "edits": [
                    {
                        "span": {
                            "file": "misspelt_step.flow",
                            "line": 2,
                            "column": 3,
                            "end_line": 2,
                            "end_column": 9,
                        },
                        "new_text": "collect",
                    }
                ],
            }
        ],
    }


def test_a_file_that_does_not_exist_is_a_usage_error() -> None:
    result = flowc("check", "no_such_file.flow")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "cannot read 'no_such_file.flow'" in result.stderr


def test_an_empty_file_checks_clean(tmp_path: Path) -> None:
    (tmp_path / "empty.flow").write_text("")
    result = flowc("check", "empty.flow", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_errors_of_several_files_are_all_reported() -> None:
    result = flowc("check", "misspelt_step.flow", "unknown_type.flow")
    assert result.returncode == 1
    assert "misspelt_step.flow:2:3:" in result.stdout
    assert "unknown_type.flow:3:17:" in result.stdout
    assert result.stdout.endswith("2 errors, 0 warnings\n")


def test_every_syntax_code_is_documented_and_has_a_golden_case() -> None:
    codes = {c for c in all_codes().values() if c.phase is Phase.SYNTAX}
    catalogue = (Path(__file__).parents[2] / "docs" / "diagnostics.md").read_text()
    shown = "".join(p.read_text() for p in GOLDEN.glob("*.expected"))
    assert {c for c in codes if f"### {c}:" not in catalogue} == set()
    assert {c for c in codes if f"[{c}]" not in shown} == set()
