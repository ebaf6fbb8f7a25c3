"""The generated code for the examples of LANGUAGE.md section 2, as golden files.

A change to the generated code shows up here as a diff to review; accept it with
FLOWC_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flowc.build import build_files

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(autouse=True)
def _from_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # The generated header and fault locations name sources as given, relative here.
    monkeypatch.chdir(PROJECT)


def test_legal_intake_and_make_appointment_generate_the_golden_modules() -> None:
    result = build_files(["examples/legal_intake.flow"])
    assert result.ok, [d.message for d in result.check.diagnostics]
    generated = {file.path: file.text for file in result.files}
    assert sorted(generated) == ["legal_intake.py", "lib/__init__.py", "lib/appointments.py"]
    for path, text in generated.items():
        golden = GOLDEN / (path + ".golden")
        if os.environ.get("FLOWC_UPDATE_GOLDEN") == "1":
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), f"{path} differs from {golden}"


def test_a_file_with_check_errors_generates_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.flow"
    broken.write_text('flow F {\n  talk "hi"\n  -> nowhere\n}\n', encoding="utf-8")
    result = build_files([str(broken)])
    assert not result.ok
    assert result.files == ()
