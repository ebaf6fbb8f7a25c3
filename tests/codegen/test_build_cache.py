"""The build cache: a rebuild reads unchanged modules back, regenerates exactly the
modules whose inputs changed, and gives the same files as a build without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc.build import build_files
from flowc.codegen import emit

LIBRARY = """\
action Greet {
  input who: text
  output Done
  talk "Hello {{who}}."
  exit Done
}
"""
MAIN = """\
from "library.flow" import Greet

flow Main {
  run greeted = Greet(who = "you")
    on Done -> bye
  bye:
  end "Goodbye."
}
"""
OTHER = 'flow Other {\n  end "Bye."\n}\n'


@pytest.fixture
def program(tmp_path: Path) -> list[str]:
    for name, text in [("library.flow", LIBRARY), ("main.flow", MAIN), ("other.flow", OTHER)]:
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [str(tmp_path / name) for name in ("main.flow", "other.flow")]


def generated_modules(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the module of every call to emit_module (a module generated, not reused)."""
    generated: list[str] = []
    original = emit.emit_module

    def recording(module: emit.ModuleIR) -> str:
        generated.append(module.module)
        return original(module)

    monkeypatch.setattr("flowc.codegen.emit_module", recording)
    return generated


def build(paths: list[str], cache: Path) -> dict[str, str]:
    result = build_files(paths, cache_dir=str(cache))
    assert result.ok, [d.message for d in result.check.diagnostics]
    return {file.path: file.text for file in result.files}


def test_a_rebuild_with_nothing_changed_generates_nothing(
    program: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(program, tmp_path / "cache")
    generated = generated_modules(monkeypatch)
    assert build(program, tmp_path / "cache") == first
    assert generated == []
    assert build_files(program, cache_dir=None).files == build_files(program).files


def test_a_changed_action_body_regenerates_only_its_module(
    program: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(program, tmp_path / "cache")
    library = tmp_path / "library.flow"
    library.write_text(LIBRARY.replace("Hello", "Hi"), encoding="utf-8")
    generated = generated_modules(monkeypatch)
    files = build(program, tmp_path / "cache")
    assert generated == ["library"]
    assert files == build(program, tmp_path / "fresh")


def test_a_changed_interface_regenerates_the_importers(
    program: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(program, tmp_path / "cache")
    library = tmp_path / "library.flow"
    mood = '  input mood: text = "fine" configurable "Mood"\n'
    library.write_text(LIBRARY.replace("  output Done", mood + "  output Done"))
    generated = generated_modules(monkeypatch)
    build(program, tmp_path / "cache")
    assert sorted(generated) == ["library", "main"]


def test_an_unwritable_cache_only_costs_time(program: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder", encoding="utf-8")
    assert build(program, blocker) == build(program, tmp_path / "cache")
