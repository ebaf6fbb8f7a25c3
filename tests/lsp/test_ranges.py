"""Properties of the LSP mapping: whatever the text, every range lies inside the document.

In-process (no server): the text is checked as an unsaved buffer and its
diagnostics are mapped with the UTF-16 position codec an editor gets by default.
"""

from __future__ import annotations

from pathlib import Path

from flowc.lsp_diagnostics import to_lsp_diagnostics
from flowc.lsp_positions import Ranges
from flowc.pipeline import check_files
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import PositionCodec

DOCUMENT = "doc.flow"  # an overlay: nothing is read from disk under this name

# Pieces of flow programs and of things that are not, with characters of every
# UTF-16 width and both line-ending conventions.
FRAGMENTS = [
    "flow F {",
    "action A {",
    "}",
    "  talk ",
    '"Grüße 😀 {{nmae}}."',
    '"{{',
    "  collect x: text",
    "  end",
    "  -> nowhere",
    "  lbl:",
    "  output Done",
    "  exit Done",
    "  set n = 1 +",
    '  send sms to call.caller "hi"',
    "📞𠀋",
    "\t",
    "é",
    "\r",
    "#",
    "\\q",
]
pieces = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5))
jumbles = st.lists(pieces, max_size=30).map(
    lambda parts: "".join(p + ("\n" if i % 3 == 2 else "") for i, p in enumerate(parts))
)

# A program that checks clean but for its non-ASCII talk, to reach the checker's
# diagnostics (names, paths, types) as well as the parser's.
PROGRAM = """\
flow Greeting {
  on no_answer -> goodbye

  collect name: text
    prompt "What is your name?"
  talk "Grüße 😀 {{name}}."
  end

  goodbye:
  end "Goodbye 📞."
}
"""


WORDS = ["name", "goodbye", "text", "no_answer", "Greeting", "nmae", "number", "Grüße", "𠀋"]


@st.composite
def edited_programs(draw: st.DrawFn) -> str:
    """The program with a few edits, as while typing: a word swapped, a piece typed, a cut."""
    text = PROGRAM
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["swap", "insert", "delete"]))
        if edit == "swap":
            text = text.replace(draw(st.sampled_from(WORDS)), draw(st.sampled_from(WORDS)), 1)
        elif edit == "insert":
            text = text[:at] + draw(pieces) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
    return text


texts = st.one_of(jumbles, edited_programs())


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@settings(max_examples=150, deadline=None)
@given(texts)
def test_every_range_lies_inside_the_document(text: str) -> None:
    result = check_files([DOCUMENT], overlays={DOCUMENT: text})
    ranges = Ranges(result.sources, PositionCodec())
    by_uri = to_lsp_diagnostics(result.diagnostics, ranges, lambda p: Path(p).absolute().as_uri())

    lines = text.split("\n")
    for diagnostics in by_uri.values():
        for diagnostic in diagnostics:
            start, end = diagnostic.range.start, diagnostic.range.end
            assert (start.line, start.character) <= (end.line, end.character)
            for position in (start, end):
                assert_inside(lines, position)
            for related in diagnostic.related_information or ():
                assert_inside(lines, related.location.range.start)
                assert_inside(lines, related.location.range.end)


def assert_inside(lines: list[str], position: types.Position) -> None:
    assert 0 <= position.line < len(lines)
    assert 0 <= position.character <= utf16_length(lines[position.line])
