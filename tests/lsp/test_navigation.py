"""Navigation and help from a real `flowc lsp`: hover, definition, references, rename,
the outline, semantic tokens and folding, over a flow and the action library it imports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from flowc.pipeline import check_files
from lsprotocol import types

from tests.lsp.support import (
    FlowClient,
    apply_edits,
    diagnostics,
    initialize,
    open_document,
    position_of,
    server_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOOKUP = """\
action Lookup {
  meta {
    title: "Account lookup"
    description: "Finds the caller's account."
  }

  input customer: text
  input base_url: text = "https://accounts.example.com"

  output Found(account: text, tier: text)
  output Missing(reason: text)

  request account = GET "{{base_url}}/accounts/{{customer}}"
    expect { id: text, tier: text }
    on error -> Missing(reason = "the lookup failed")
  if account.tier == "" -> Missing(reason = "no tier")
  exit Found(account = account.id, tier = account.tier)
}
"""

MAIN = """\
from "lib/lookup.flow" import Lookup

python scoring.score(name: text) -> number

# The main line.
# Two comment lines fold.
flow Main {
  on no_answer -> goodbye
  on error -> goodbye

  ask:
  collect name: text
    prompt "What is your name?"
  run found = Lookup(customer = name)
    on Found -> known
    on Missing -> ask

  known:
  code points = scoring.score(name = name)
  talk "Your tier is {{found.tier}}, {{name}}: {{points}} points."
  -> goodbye

  goodbye:
  end "Goodbye."

  after call {
    send email to "ops@example.com"
      subject "Call from {{call.caller}}"
      body "{{name ?? "someone"}} called"
  }
}
"""

SCORING = """\
def score(name: str) -> float:
    return float(len(name))
"""


@dataclass
class Project:
    client: FlowClient
    main: Path
    lookup: Path


@pytest_lsp.fixture(config=server_config(), scope="module")
async def client(lsp_client: FlowClient) -> AsyncIterator[None]:
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("navigation")
    (folder / "lib").mkdir()
    (folder / "lib" / "lookup.flow").write_text(LOOKUP, encoding="utf-8")
    (folder / "main.flow").write_text(MAIN, encoding="utf-8")
    (folder / "scoring.py").write_text(SCORING, encoding="utf-8")
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def project(client: FlowClient, folder: Path) -> Project:
    main = folder / "main.flow"
    open_document(client, main, MAIN)
    assert await diagnostics(client, main) == []  # the program checks clean
    return Project(client, main, folder / "lib" / "lookup.flow")


def at(project: Project, needle: str, offset: int = 0) -> types.TextDocumentPositionParams:
    """The position `offset` characters into the first `needle` of main.flow."""
    return types.TextDocumentPositionParams(
        text_document=types.TextDocumentIdentifier(uri=project.main.as_uri()),
        position=position_of(MAIN, needle, offset),
    )


def place(
    path: Path, text: str, needle: str, length: int | None = None, offset: int = 0
) -> types.Location:
    start = position_of(text, needle, offset)
    end = types.Position(line=start.line, character=start.character + (length or len(needle)))
    return types.Location(uri=path.as_uri(), range=types.Range(start=start, end=end))


async def hover_text(project: Project, needle: str, offset: int = 0) -> str:
    where = at(project, needle, offset)
    found = await project.client.text_document_hover_async(
        types.HoverParams(text_document=where.text_document, position=where.position)
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    return found.contents.value


# --------------------------------------------------------------------------
# Hover


async def test_hover_over_a_variable_shows_its_type_and_where_it_is_set(
    project: Project,
) -> None:
    text = await hover_text(project, "{{points}}", 2)
    assert text == "```flow\npoints: number\n```\n\nreturned by a Python function, line 19"

    found = await hover_text(project, "found.tier", 1)
    assert "found: Lookup -> Found(account: text, tier: text) | Missing(reason: text)" in found


async def test_hover_over_an_action_shows_inputs_outputs_and_meta(project: Project) -> None:
    text = await hover_text(project, "Lookup(customer", 2)
    assert text.startswith(
        "```flow\naction Lookup\n"
        "  input customer: text\n"
        '  input base_url: text = "https://accounts.example.com"\n'
        "  output Found(account: text, tier: text)\n"
        "  output Missing(reason: text)\n```"
    )
    assert "- title: Account lookup\n- description: Finds the caller's account." in text
    assert text.endswith(f"from `{project.lookup}`")


async def test_hover_over_a_label_counts_its_uses(project: Project) -> None:
    text = await hover_text(project, "goodbye:")
    assert text == "```flow\ngoodbye:\n```\n\na label of flow 'Main': 3 uses (lines 8, 9, 21)"


async def test_hover_over_a_type_explains_it(project: Project) -> None:
    text = await hover_text(project, "collect name: text", 15)
    assert text == "```flow\ntext\n```\n\nany text the caller says or the flow builds"


# --------------------------------------------------------------------------
# Definition and references


async def definition(project: Project, needle: str, offset: int = 0) -> types.Location:
    where = at(project, needle, offset)
    found = await project.client.text_document_definition_async(
        types.DefinitionParams(text_document=where.text_document, position=where.position)
    )
    assert isinstance(found, types.Location)
    return found


async def test_definition_of_a_label_a_variable_and_a_python_function(project: Project) -> None:
    main = project.main
    assert await definition(project, "-> known", 4) == place(main, MAIN, "known:", 5)
    assert await definition(project, "{{name}}", 3) == place(main, MAIN, "collect name", 4, 8)
    assert await definition(project, "scoring.score(name = name)", 9) == place(
        main, MAIN, "score(name: text)", 5
    )


async def test_definition_across_files_actions_outputs_and_inputs(project: Project) -> None:
    lookup = project.lookup
    assert await definition(project, "Lookup(customer") == place(lookup, LOOKUP, "Lookup {", 6)
    assert await definition(project, "import Lookup", 8) == place(lookup, LOOKUP, "Lookup {", 6)
    assert await definition(project, "on Found", 4) == place(lookup, LOOKUP, "Found(", 5)
    assert await definition(project, "customer = name") == place(
        lookup, LOOKUP, "customer: text", 8
    )


async def references(project: Project, needle: str, offset: int = 0) -> list[types.Location]:
    where = at(project, needle, offset)
    found = await project.client.text_document_references_async(
        types.ReferenceParams(
            text_document=where.text_document,
            position=where.position,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert found is not None
    return sorted(found, key=lambda loc: (loc.uri, loc.range.start.line, loc.range.start.character))


async def test_references_of_an_action_span_both_files(project: Project) -> None:
    assert await references(project, "Lookup(customer") == [
        place(project.lookup, LOOKUP, "Lookup {", 6),
        place(project.main, MAIN, "Lookup\n", 6),
        place(project.main, MAIN, "Lookup(customer", 6),
    ]


async def test_references_of_an_output_include_its_exit_and_its_handler(
    project: Project,
) -> None:
    lookup = project.lookup
    assert await references(project, "on Found", 4) == [
        place(lookup, LOOKUP, "Found(account: text", 5),
        place(lookup, LOOKUP, "Found(account = ", 5),
        place(project.main, MAIN, "Found -> known", 5),
    ]


# --------------------------------------------------------------------------
# Rename


async def rename(project: Project, needle: str, new_name: str, offset: int = 0) -> dict[str, str]:
    """The texts of main.flow and lookup.flow with the rename applied, by file name."""
    where = at(project, needle, offset)
    edit = await project.client.text_document_rename_async(
        types.RenameParams(
            text_document=where.text_document, position=where.position, new_name=new_name
        )
    )
    assert edit is not None and edit.document_changes is not None
    texts = {project.main.as_uri(): MAIN, project.lookup.as_uri(): LOOKUP}
    versions = {}
    for change in edit.document_changes:
        assert isinstance(change, types.TextDocumentEdit)
        uri = change.text_document.uri
        versions[Path(uri).name] = change.text_document.version
        edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
        texts[uri] = apply_edits(texts[uri], edits)
    # Versioned: main.flow is open at version 1; lookup.flow is not open.
    assert versions.get("main.flow", 1) == 1 and versions.get("lookup.flow") is None
    return {Path(uri).name: text for uri, text in texts.items()}


def checks_clean(folder: Path, texts: dict[str, str]) -> bool:
    main, lookup = folder / "main.flow", folder / "lib" / "lookup.flow"
    overlays = {str(main): texts["main.flow"], str(lookup): texts["lookup.flow"]}
    return check_files([str(main)], overlays).diagnostics == []


async def test_rename_an_action_across_files(project: Project, folder: Path) -> None:
    texts = await rename(project, "Lookup(customer", "FindAccount")

    assert texts["lookup.flow"].startswith("action FindAccount {")
    assert 'from "lib/lookup.flow" import FindAccount\n' in texts["main.flow"]
    assert "run found = FindAccount(customer = name)" in texts["main.flow"]
    assert checks_clean(folder, texts)


async def test_rename_an_output_across_files(project: Project, folder: Path) -> None:
    texts = await rename(project, "on Found", "Located", 4)

    assert "output Located(account: text" in texts["lookup.flow"]
    assert "exit Located(account = " in texts["lookup.flow"]
    assert "on Located -> known" in texts["main.flow"]
    assert checks_clean(folder, texts)


async def test_rename_a_label_and_a_variable(project: Project, folder: Path) -> None:
    texts = await rename(project, "goodbye:", "farewell")
    assert texts["main.flow"].count("farewell") == 4 and "goodbye" not in texts["main.flow"]
    assert checks_clean(folder, texts)

    texts = await rename(project, "collect name", "caller_name", 8)
    assert texts["main.flow"].count("caller_name") == 5
    assert "scoring.score(name = caller_name)" in texts["main.flow"]  # the parameter stays
    assert checks_clean(folder, texts)


async def test_rename_an_action_input_from_a_run_across_files(
    project: Project, folder: Path
) -> None:
    texts = await rename(project, "customer = name", "caller")

    assert "  input caller: text\n" in texts["lookup.flow"]
    assert '"{{base_url}}/accounts/{{caller}}"' in texts["lookup.flow"]
    assert "Lookup(caller = name)" in texts["main.flow"]
    assert checks_clean(folder, texts)


async def test_rename_to_a_keyword_is_refused_in_words(project: Project) -> None:
    where = at(project, "goodbye:")
    edit = await project.client.text_document_rename_async(
        types.RenameParams(
            text_document=where.text_document, position=where.position, new_name="talk"
        )
    )
    assert edit is None
    [message] = project.client.messages
    assert message.type == types.MessageType.Error
    assert message.message == "cannot rename to 'talk': it is not a name, or it is a keyword"


async def test_a_python_function_is_not_renamed_here(project: Project) -> None:
    where = at(project, "scoring.score(name = name)", 9)
    found = await project.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=where.text_document, position=where.position)
    )
    assert found is None  # its name is in the Python module too


# --------------------------------------------------------------------------
# Outline, semantic tokens, folding


async def test_the_outline_lists_imports_functions_flows_and_labels(project: Project) -> None:
    symbols = await project.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=at(project, "flow").text_document)
    )
    assert symbols is not None
    outline = [
        (s.name, s.kind, [(c.name, c.kind) for c in s.children or ()])
        for s in symbols
        if isinstance(s, types.DocumentSymbol)
    ]
    assert outline == [
        ("lib/lookup.flow", types.SymbolKind.Module, []),
        ("scoring.score", types.SymbolKind.Function, []),
        (
            "Main",
            types.SymbolKind.Class,
            [
                ("ask", types.SymbolKind.Key),
                ("known", types.SymbolKind.Key),
                ("goodbye", types.SymbolKind.Key),
                ("after call", types.SymbolKind.Namespace),
            ],
        ),
    ]


async def test_semantic_tokens_mark_what_the_checker_resolved(project: Project) -> None:
    capabilities = project.client.server_capabilities
    assert capabilities is not None and capabilities.semantic_tokens_provider is not None
    legend = capabilities.semantic_tokens_provider.legend
    tokens = await project.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=at(project, "flow").text_document)
    )
    assert tokens is not None
    lines = MAIN.split("\n")
    decoded = []
    line = character = 0
    data = list(tokens.data)
    for i in range(0, len(data), 5):
        delta_line, delta_start, length, kind, modifiers = data[i : i + 5]
        line += delta_line
        character = character + delta_start if delta_line == 0 else delta_start
        word = lines[line][character : character + length]
        decoded.append((word, legend.token_types[kind], bool(modifiers & 1)))
    assert decoded[:2] == [("Lookup", "function", False), ("score", "function", True)]
    assert ("Main", "class", True) in decoded
    assert ("goodbye", "label", True) in decoded
    assert ("found", "variable", False) in decoded
    assert ("customer", "parameter", False) in decoded
    assert ("Found", "event", False) in decoded
    assert ("number", "type", False) in decoded


async def test_folding_ranges_cover_blocks_steps_and_comments(project: Project) -> None:
    folds = await project.client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=at(project, "flow").text_document)
    )
    assert folds is not None
    found = {(f.start_line, f.end_line, f.kind) for f in folds}
    assert (4, 5, types.FoldingRangeKind.Comment) in found  # the two comment lines
    assert (6, 29, None) in found  # flow Main, up to its closing brace
    assert (13, 15, None) in found  # the run and its two clauses
    assert (25, 28, None) in found  # after call, up to its closing brace
