"""The editor's index of names at the top of a body: the variables that the targets of
default handlers and intents read are occurrences (references, rename) like any read."""

from __future__ import annotations

from pathlib import Path

from flowc.lsp_analysis import Analysis
from flowc.lsp_index import SymbolKind
from flowc.pipeline import check_files

SOURCE = """\
action Offer {
  input who: text
  output Taken(by: text)
  output Declined(by: text)
  on no_answer -> Declined(by = who)
  on intent stop ["not interested"] -> Declined(by = who)
  collect ok: bool
    prompt "Shall we, {{who}}?"
  exit Taken(by = who)
}

flow Main {
  on no_answer -> bye
  run offer = Offer(who = "Jane")
    on Taken -> bye
    on Declined -> bye
  bye: end "Goodbye."
}
"""


def test_the_targets_of_handlers_and_intents_read_the_variables_they_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "offer.flow"
    path.write_text(SOURCE, encoding="utf-8")
    analysis = Analysis(str(path), 1, check_files([str(path)]))
    assert not analysis.result.diagnostics
    index = analysis.index
    (who,) = [s for s in index.variables if s.kind is SymbolKind.VARIABLE and s.name == "who"]
    lines = sorted(o.span.line for o in index.occurrences_of(who))
    # declared; read by `on no_answer`, by `on intent stop`, the prompt and the exit;
    # given by the run's argument
    assert lines == [2, 5, 6, 8, 9, 14]
