"""The loader's overlays: an editor's unsaved text is checked instead of the file on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flowc.diagnostics import Diagnostic
from flowc.pipeline import check_files

GREET_WITH_TYPO = 'action Greet {\n  output Done\n\n  talk "Hello {{nmae}}."\n  exit Done\n}\n'
GREET_FIXED = 'action Greet {\n  output Done\n\n  talk "Hello."\n  exit Done\n}\n'
MAIN = (
    'from "lib/greet.flow" import Greet\n\n'
    "flow Main {\n  run hello = Greet()\n    on Done -> bye\n\n  bye:\n  end\n}\n"
)


def _codes_by_file(diagnostics: Sequence[Diagnostic]) -> list[tuple[str, str]]:
    return [(Path(d.span.file).name, d.code) for d in diagnostics]


def test_an_overlay_replaces_the_text_on_disk(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"
    main.write_text(MAIN, encoding="utf-8")

    from_disk = check_files([str(main)])
    with_overlay = check_files([str(main)], overlays={str(greet): GREET_FIXED})

    assert _codes_by_file(from_disk.diagnostics) == [("greet.flow", "E0101")]
    assert with_overlay.diagnostics == []
    assert with_overlay.sources[str(greet)].text == GREET_FIXED


def test_an_overlaid_entry_still_reads_its_imports_from_disk(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "greet.flow").write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"  # never written: the overlay is all there is

    result = check_files([str(main)], overlays={str(main): MAIN})

    assert _codes_by_file(result.diagnostics) == [("greet.flow", "E0101")]


def test_an_import_of_an_overlay_only_file_resolves(tmp_path: Path) -> None:
    main = tmp_path / "main.flow"
    main.write_text(MAIN, encoding="utf-8")
    unsaved = tmp_path / "lib" / "greet.flow"  # neither the file nor its folder exists

    result = check_files([str(main)], overlays={str(unsaved): GREET_FIXED})

    assert result.diagnostics == []


def test_overlay_paths_are_normalised_like_entry_paths(tmp_path: Path) -> None:
    main = tmp_path / "main.flow"
    spelled_differently = f"{tmp_path}/lib/../main.flow"

    result = check_files([str(main)], overlays={spelled_differently: "flow {"})

    assert [d.code for d in result.diagnostics] == ["E0001"]
