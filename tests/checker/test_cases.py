"""Every diagnostic code, as a specification: a failing program and its corrected twin.

tests/checker/cases/<CODE>_<slug>.flow must report exactly that code, and
`flowc check` prints exactly <CODE>_<slug>.expected for it;
<CODE>_<slug>.ok.flow (the same program, corrected) must report nothing at all.
FLOWC_UPDATE_GOLDEN=1 rewrites the .expected files from the current output.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flowc.cli import main
from flowc.pipeline import check_files

CASES = Path(__file__).parent / "cases"
FAILING = sorted(p for p in CASES.glob("*.flow") if not p.name.endswith(".ok.flow"))
CODE = re.compile(r"^([EW]\d{4})_")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"


def code_of(case: Path) -> str:
    match = CODE.match(case.name)
    assert match, f"case file {case.name} must start with its code"
    return match.group(1)


def near_miss(case: Path) -> Path:
    return case.with_name(case.name.removesuffix(".flow") + ".ok.flow")


@pytest.mark.parametrize("case", FAILING, ids=lambda p: p.stem)
def test_failing_case_reports_exactly_its_code(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASES)
    result = check_files([case.name])
    assert [d.code for d in result.diagnostics] == [code_of(case)]


@pytest.mark.parametrize("case", FAILING, ids=lambda p: p.stem)
def test_failing_case_output_matches_golden(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CASES)
    status = main(["check", case.name])
    output = capsys.readouterr().out
    golden = case.with_suffix(".expected")
    if os.environ.get("FLOWC_UPDATE_GOLDEN"):
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")
    assert status == (1 if code_of(case).startswith("E") else 0)


@pytest.mark.parametrize("case", FAILING, ids=lambda p: p.stem)
def test_corrected_case_is_clean(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    assert near_miss(case).exists(), f"{case.name} needs a corrected twin"
    result = check_files([near_miss(case).name])
    assert result.diagnostics == []


def test_every_code_has_a_case_and_a_catalogue_entry() -> None:
    documented = set(re.findall(r"^### ([EW]\d{4})", DOCS.read_text(encoding="utf-8"), re.M))
    tested = {code_of(case) for case in FAILING}
    # Syntax errors (E00xx) are the parser's; an unreadable import (E0203) needs a file
    # the test user cannot read, which root can; test-file codes (E07xx) have their
    # cases in tests/testing/cases, and library codes (E08xx), which need a library
    # project, in tests/libraries.
    semantic = {
        c for c in documented if not c.startswith(("E00", "E07", "E08")) and c != "E0203"
    }
    assert semantic == tested
