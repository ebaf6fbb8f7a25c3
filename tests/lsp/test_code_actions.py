"""Quick fixes in the editor: `textDocument/codeAction` from a real `flowc lsp` subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.lsp.client import lsp_server
from tests.lsp.test_server import lsp_range

MISSPELT_LABEL = """\
flow Hours {
  on no_answer -> goodbye

  talk "We are open nine to five."
  -> godbye

  goodbye:
  end "Goodbye."
}
"""


def apply(text: str, edits: list[dict[str, object]]) -> str:
    """The text with LSP text edits applied (one line each, as these are), last first."""
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: str(e["range"]), reverse=True):
        where = edit["range"]
        assert isinstance(where, dict)
        start, end = where["start"], where["end"]
        assert start["line"] == end["line"]
        line = lines[start["line"]]
        lines[start["line"]] = (
            line[: start["character"]] + str(edit["newText"]) + line[end["character"] :]
        )
    return "\n".join(lines)


def test_a_misspelt_label_offers_a_quick_fix_that_corrects_it(tmp_path: Path) -> None:
    hours = tmp_path / "hours.flow"
    with lsp_server(tmp_path) as server:
        initialized = server.initialize()
        provider = initialized["result"]["capabilities"]["codeActionProvider"]
        assert provider["codeActionKinds"] == ["quickfix"]
        server.open(hours, MISSPELT_LABEL)
        [diagnostic] = server.diagnostics(hours)
        assert diagnostic["code"] == "E0102"

        response = server.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": hours.as_uri()},
                "range": lsp_range(4, 6, 6),  # the cursor inside 'godbye'
                "context": {"diagnostics": [diagnostic], "only": ["quickfix"]},
            },
        )
        [action] = response["result"]
        assert (action["title"], action["kind"], action["isPreferred"]) == (
            "replace 'godbye' with 'goodbye'",
            "quickfix",
            True,
        )
        assert action["diagnostics"] == [diagnostic]
        edits = action["edit"]["changes"][hours.as_uri()]
        assert edits == [{"range": lsp_range(4, 5, 11), "newText": "goodbye"}]

        server.change(hours, apply(MISSPELT_LABEL, edits), version=2)
        assert server.diagnostics(hours) == []
        assert server.stop() == 0


def test_no_quick_fix_away_from_the_diagnostic(tmp_path: Path) -> None:
    hours = tmp_path / "hours.flow"
    with lsp_server(tmp_path) as server:
        server.initialize()
        server.open(hours, MISSPELT_LABEL)
        server.diagnostics(hours)
        response = server.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": hours.as_uri()},
                "range": lsp_range(0, 0, 4),
                "context": {"diagnostics": []},
            },
        )
        assert response["result"] == []
        assert server.stop() == 0
