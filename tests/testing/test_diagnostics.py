"""Every test-file code (E07xx), as a specification: a test file and its corrected twin.

tests/testing/cases/<CODE>_<slug>.flowtest reports exactly that code, rendered
exactly as <CODE>_<slug>.expected (FLOWC_UPDATE_GOLDEN=1 rewrites them);
<CODE>_<slug>.ok.flowtest reports nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flowc import codes
from flowc.codes import Phase
from flowc.diagnostics import render_human
from flowc.testing import check_flowtest

CASES = Path(__file__).parent / "cases"
FAILING = sorted(p for p in CASES.glob("*.flowtest") if not p.name.endswith(".ok.flowtest"))


def code_of(case: Path) -> str:
    match = re.match(r"(E07\d\d)_", case.name)
    assert match, f"{case.name} must start with its code"
    return match.group(1)


@pytest.mark.parametrize("case", FAILING, ids=lambda p: p.stem)
def test_case_reports_exactly_its_code_as_the_golden_shows(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASES)
    checked = check_flowtest(case.name)
    assert [d.code for d in checked.diagnostics] == [code_of(case)]
    rendered = render_human(checked.diagnostics, checked.sources)
    golden = case.with_suffix(".expected")
    if os.environ.get("FLOWC_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", FAILING, ids=lambda p: p.stem)
def test_corrected_case_is_clean(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    twin = case.with_name(case.name.removesuffix(".flowtest") + ".ok.flowtest")
    checked = check_flowtest(twin.name)
    assert checked.diagnostics == ()
    assert checked.ok


def test_every_test_code_has_a_case() -> None:
    registered = {c for c, code in codes.all_codes().items() if code.phase is Phase.TESTS}
    assert registered == {code_of(case) for case in FAILING}


def test_an_editor_buffer_is_checked_instead_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    path = "E0706_stub_without_request.ok.flowtest"
    unsaved = (CASES / path).read_text(encoding="utf-8") + "stub slotz: 503\n"
    checked = check_flowtest(path, unsaved)
    [diagnostic] = checked.diagnostics
    assert diagnostic.code == codes.STUB_WITHOUT_REQUEST
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 6)
    assert diagnostic.fixes[0].edits[0].new_text == "slots"
