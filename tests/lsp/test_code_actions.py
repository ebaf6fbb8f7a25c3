"""Quick fixes in the editor: `textDocument/codeAction` from the diagnostics' structured fixes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types

from tests.lsp.support import (
    FlowClient,
    apply_edits,
    change_document,
    diagnostics,
    initialize,
    lsp_range,
    open_document,
    server_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSPELT_LABEL = """\
flow Hours {
  on no_answer -> goodbye

  talk "We are open nine to five."
  -> godbye

  goodbye:
  end "Goodbye."
}
"""

UNCONNECTED = """\
action Ask {
  output Yes
  output No
  output Later

  collect ok: bool
    prompt "Shall we?"
    on no_answer -> Later
  if ok -> Yes
  exit No
}

flow Main {
  run answer = Ask()
    on Yes -> bye

  bye:
  end
}
"""

NO_WAY_OUT = """\
flow Main {
  collect name: text
    prompt "Your name?"
  end "Goodbye, {{name}}."
}
"""


@pytest_lsp.fixture(config=server_config(), scope="module")
async def server(lsp_client: FlowClient) -> AsyncIterator[None]:
    await initialize(lsp_client)  # VS Code's capabilities: versioned document changes
    yield
    await lsp_client.shutdown_session()


async def quick_fixes(
    client: FlowClient, path: Path, where: types.Range, seen: list[types.Diagnostic]
) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=where,
            context=types.CodeActionContext(diagnostics=seen, only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert found is not None
    return [a for a in found if isinstance(a, types.CodeAction)]


def versioned_edits(action: types.CodeAction, path: Path, version: int) -> list[types.TextEdit]:
    """The edits of a fix for one document, checking they are for the version fixed."""
    assert action.edit is not None and action.edit.document_changes is not None
    [change] = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert (change.text_document.uri, change.text_document.version) == (path.as_uri(), version)
    return [e for e in change.edits if isinstance(e, types.TextEdit)]


async def test_the_server_offers_quick_fixes(server: FlowClient) -> None:
    assert server.server_capabilities is not None
    provider = server.server_capabilities.code_action_provider
    assert isinstance(provider, types.CodeActionOptions)
    assert provider.code_action_kinds == (types.CodeActionKind.QuickFix,)


async def test_a_misspelt_label_is_corrected_by_a_preferred_fix(
    server: FlowClient, tmp_path: Path
) -> None:
    hours = tmp_path / "hours.flow"
    open_document(server, hours, MISSPELT_LABEL)
    [diagnostic] = await diagnostics(server, hours)
    assert diagnostic.code == "E0102"

    [action] = await quick_fixes(server, hours, lsp_range(4, 6, 6), [diagnostic])

    assert (action.title, action.kind, action.is_preferred) == (
        "replace 'godbye' with 'goodbye'",
        types.CodeActionKind.QuickFix,
        True,
    )
    assert action.diagnostics == (diagnostic,)
    edits = versioned_edits(action, hours, version=1)
    assert edits == [types.TextEdit(range=lsp_range(4, 5, 11), new_text="goodbye")]
    change_document(server, hours, apply_edits(MISSPELT_LABEL, edits), version=2)
    assert await diagnostics(server, hours) == []


async def test_unconnected_outputs_get_their_clauses_added(
    server: FlowClient, tmp_path: Path
) -> None:
    main = tmp_path / "main.flow"
    open_document(server, main, UNCONNECTED)
    [diagnostic] = await diagnostics(server, main)
    assert diagnostic.code == "E0301"

    [action] = await quick_fixes(server, main, lsp_range(13, 4, 4), [diagnostic])

    assert action.title == "add 'on No -> no', 'on Later -> later'"
    assert not action.is_preferred  # which step each goes to is the author's choice
    fixed = apply_edits(UNCONNECTED, versioned_edits(action, main, version=1))
    assert "    on Yes -> bye\n    on No -> no\n    on Later -> later\n" in fixed
    change_document(server, main, fixed, version=2)
    # Connected now, to the labels the author still has to write.
    assert [d.code for d in await diagnostics(server, main)] == ["E0102", "E0102"]


async def test_a_collect_without_a_way_out_gets_on_no_answer(
    server: FlowClient, tmp_path: Path
) -> None:
    main = tmp_path / "main.flow"
    open_document(server, main, NO_WAY_OUT)
    [diagnostic] = await diagnostics(server, main)
    assert diagnostic.code == "E0302"

    [action] = await quick_fixes(server, main, lsp_range(1, 2, 2), [diagnostic])

    assert action.title == "add 'on no_answer -> no_answer'"
    fixed = apply_edits(NO_WAY_OUT, versioned_edits(action, main, version=1))
    assert '    prompt "Your name?"\n    on no_answer -> no_answer\n' in fixed


async def test_no_quick_fix_away_from_the_diagnostic(server: FlowClient, tmp_path: Path) -> None:
    hours = tmp_path / "hours.flow"
    open_document(server, hours, MISSPELT_LABEL)
    await diagnostics(server, hours)

    assert await quick_fixes(server, hours, lsp_range(0, 0, 4), []) == []


@pytest.mark.asyncio
async def test_a_client_without_document_changes_gets_plain_changes(tmp_path: Path) -> None:
    client = await server_config().start()
    await initialize(client, types.ClientCapabilities())
    hours = tmp_path / "hours.flow"
    open_document(client, hours, MISSPELT_LABEL)
    [diagnostic] = await diagnostics(client, hours)

    [action] = await quick_fixes(client, hours, lsp_range(4, 6, 6), [diagnostic])

    assert action.edit is not None and action.edit.document_changes is None
    assert action.edit.changes == {
        hours.as_uri(): (types.TextEdit(range=lsp_range(4, 5, 11), new_text="goodbye"),)
    }
    await client.shutdown_session()
    await client.stop()
