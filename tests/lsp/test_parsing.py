"""The language server's parse cache (flowc.lsp_parsing): declarations parsed again only when
their text changes, and a result always equal to parsing the whole file."""

from __future__ import annotations

from pathlib import Path

from flowc import ast
from flowc.lsp_parsing import IncrementalParser
from flowc.parser import parse
from flowc.source import SourceFile
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.benchmarks.generate import generate_program

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = generate_program(300)
PATH = "program.flow"
# What editing does to a file: text typed, removed, lines added; sometimes a
# declaration keyword at the start of a line, sometimes a broken string.
PIECES = [
    "x",
    "\n",
    "\nflow",
    "\naction A {\n}\n",
    '"',
    '"""',
    "{{",
    "}",
    "# note\n",
    '  talk "hi"\n',
]


def source(text: str) -> SourceFile:
    return SourceFile(PATH, text)


def test_every_example_parses_as_the_whole_file_does() -> None:
    files = sorted((ROOT / "examples").rglob("*.flow")) + sorted(
        (ROOT / "tests" / "checker" / "cases").glob("*.flow")
    )
    assert files
    for path in files:
        text = SourceFile(str(path), path.read_text(encoding="utf-8"))
        assert IncrementalParser()(text) == parse(text), path


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    """A few edits, each (where, how many characters it removes, what it types)."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(0, len(PROGRAM)),
                st.integers(0, 12),
                st.sampled_from(PIECES) | st.text(max_size=3),
            ),
            min_size=1,
            max_size=4,
        )
    )


@settings(max_examples=60, deadline=None)
@given(edits())
def test_after_any_edits_the_result_is_that_of_parsing_the_whole_file(
    changes: list[tuple[int, int, str]],
) -> None:
    parser = IncrementalParser()
    assert parser(source(PROGRAM)) == parse(source(PROGRAM))
    text = PROGRAM
    for at, removed, typed in changes:
        at = min(at, len(text))
        text = text[:at] + typed + text[at + removed :]
        assert parser(source(text)) == parse(source(text))


def test_a_keystroke_reuses_every_other_declaration() -> None:
    parser = IncrementalParser()
    before = parser(source(PROGRAM)).module
    at = PROGRAM.index("Welcome to line 2")
    after = parser(source(PROGRAM[:at] + "x" + PROGRAM[at:])).module
    assert before is not None and after is not None
    pairs = zip(before.declarations, after.declarations, strict=True)
    changed = [new for old, new in pairs if old is not new]
    assert [d.name.name for d in changed if isinstance(d, ast.Flow)] == ["Intake2"]
    assert len(changed) == 1


def test_a_line_added_above_moves_the_declarations_below() -> None:
    parser = IncrementalParser()
    parser(source(PROGRAM))
    at = PROGRAM.index("flow Intake1")
    moved = PROGRAM[:at] + "\n\n" + PROGRAM[at:]
    result = parser(source(moved))
    assert result == parse(source(moved))
