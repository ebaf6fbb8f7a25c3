"""`flowc lsp` as an editor sees it: diagnostics, published to pytest-lsp's client.

One server serves the diagnostics tests (each in its own folder, as separate
projects in one editor would be); the lifecycle tests start their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types

from tests.lsp.support import (
    FlowClient,
    change_document,
    diagnostics,
    initialize,
    lsp_range,
    nothing_more_published,
    open_document,
    publication,
    server_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

DUPLICATE_LABEL = """\
flow Menu {
  on no_answer -> menu

  menu:
  collect choice: text in ["hours", "address"]
    prompt "Hours or address?"
  if choice == "hours" -> hours
  talk "We are at 1 Main Street."
  -> menu

  menu:
  hours:
  end "We are open nine to five."
}
"""
FIXED = DUPLICATE_LABEL.replace("  menu:\n  hours:", "  hours:")

UNREACHABLE_STEP = """\
flow Hours {
  end "We are open nine to five."
  talk "Is there anything else?"
}
"""

GREETING = """\
flow Greeting {
  on no_answer -> goodbye

  collect name: text
    prompt "What is your name?"
  talk "Grüße 😀 {{nmae}}."
  end

  goodbye:
  end "Goodbye."
}
"""

GREET_WITH_TYPO = 'action Greet {\n  output Done\n\n  talk "Hello {{nmae}}."\n  exit Done\n}\n'
GREET_FIXED = 'action Greet {\n  output Done\n\n  talk "Hello."\n  exit Done\n}\n'
MAIN = (
    'from "lib/greet.flow" import Greet\n\n'
    "flow Main {\n  run hello = Greet()\n    on Done -> bye\n\n  bye:\n  end\n}\n"
)
MAIN_WITHOUT_IMPORT = "flow Main {\n  end\n}\n"


@pytest_lsp.fixture(config=server_config(), scope="module")
async def server(lsp_client: FlowClient) -> AsyncIterator[None]:
    await initialize(lsp_client)
    yield
    await lsp_client.shutdown_session()


def codes_of(found: list[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


async def test_an_unsaved_buffer_with_an_error_gets_its_diagnostic(
    server: FlowClient, tmp_path: Path
) -> None:
    menu = tmp_path / "menu.flow"  # never written: only the editor has the text

    open_document(server, menu, DUPLICATE_LABEL)

    assert await diagnostics(server, menu) == [
        types.Diagnostic(
            range=lsp_range(10, 2, 6),
            severity=types.DiagnosticSeverity.Error,
            code="E0106",
            source="flowc",
            message="the label 'menu' is declared twice in flow 'Menu'\n"
            "help: rename one of them; every label of a body must be unique",
            # Lists arrive as tuples: pygls' converter builds immutable sequences.
            related_information=(
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=menu.as_uri(), range=lsp_range(3, 2, 6)),
                    message="first declared here",
                ),
            ),
        )
    ]


async def test_fixing_the_text_clears_the_diagnostics(server: FlowClient, tmp_path: Path) -> None:
    menu = tmp_path / "menu.flow"
    open_document(server, menu, DUPLICATE_LABEL)
    assert codes_of(await diagnostics(server, menu)) == ["E0106"]

    change_document(server, menu, FIXED, version=2)

    assert await publication(server, menu) == types.PublishDiagnosticsParams(
        uri=menu.as_uri(), version=2, diagnostics=()
    )


async def test_a_warning_carries_its_notes_and_help_and_fades_dead_code(
    server: FlowClient, tmp_path: Path
) -> None:
    hours = tmp_path / "hours.flow"

    open_document(server, hours, UNREACHABLE_STEP)

    assert await diagnostics(server, hours) == [
        types.Diagnostic(
            range=lsp_range(2, 2, 32),
            severity=types.DiagnosticSeverity.Warning,
            code="W0101",
            source="flowc",
            message="this 'talk' can never run\n"
            "note: no step, jump or handler leads here\n"
            "help: remove it, or put a label before it and jump to it",
            tags=(types.DiagnosticTag.Unnecessary,),  # the editor shows the step faded
        )
    ]


async def test_columns_count_utf16_code_units(server: FlowClient, tmp_path: Path) -> None:
    greeting = tmp_path / "greeting.flow"

    open_document(server, greeting, GREETING)

    # `  talk "Grüße 😀 {{nmae}}."`: 'nmae' starts at code point 18; the emoji
    # before it is two UTF-16 code units, so an editor counts 19.
    [diagnostic] = await diagnostics(server, greeting)
    assert (diagnostic.code, diagnostic.range) == ("E0101", lsp_range(5, 19, 23))


async def test_a_malformed_buffer_gets_syntax_diagnostics(
    server: FlowClient, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.flow"

    open_document(server, broken, 'flow {{ "unterminated \x00 ☃\n  talk\n')

    found = codes_of(await diagnostics(server, broken))
    assert found and all(code.startswith("E00") for code in found)
    change_document(server, broken, FIXED, version=2)
    assert await diagnostics(server, broken) == []


async def test_a_buffer_never_saved_anywhere_is_checked_under_its_own_uri(
    server: FlowClient,
) -> None:
    untitled = "untitled:Untitled-1"

    open_document(server, untitled, DUPLICATE_LABEL)

    [diagnostic] = await diagnostics(server, untitled)
    assert diagnostic.code == "E0106"
    assert diagnostic.related_information is not None
    assert diagnostic.related_information[0].location.uri == untitled


async def test_diagnostics_of_an_imported_file_go_to_its_uri(
    server: FlowClient, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"

    open_document(server, main, MAIN)

    assert await diagnostics(server, main) == []
    [diagnostic] = await diagnostics(server, greet)
    assert (diagnostic.code, diagnostic.range) == ("E0101", lsp_range(3, 16, 20))


async def test_an_import_dropped_from_the_text_has_its_diagnostics_cleared(
    server: FlowClient, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    main = tmp_path / "main.flow"
    open_document(server, main, MAIN)
    assert codes_of(await diagnostics(server, greet)) == ["E0101"]

    change_document(server, main, MAIN_WITHOUT_IMPORT, version=2)

    assert await diagnostics(server, greet) == []


async def test_an_open_import_speaks_for_itself_with_its_unsaved_text(
    server: FlowClient, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_FIXED, encoding="utf-8")
    main = tmp_path / "main.flow"
    open_document(server, greet, GREET_WITH_TYPO)
    assert codes_of(await diagnostics(server, greet)) == ["E0101"]

    open_document(server, main, MAIN)

    assert await diagnostics(server, main) == []
    assert nothing_more_published(server, greet)


async def test_closing_a_document_clears_its_diagnostics(
    server: FlowClient, tmp_path: Path
) -> None:
    menu = tmp_path / "menu.flow"
    open_document(server, menu, DUPLICATE_LABEL)
    assert codes_of(await diagnostics(server, menu)) == ["E0106"]

    server.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(menu.as_uri()))
    )

    assert await diagnostics(server, menu) == []


# --------------------------------------------------------------------------
# Lifecycle: each test its own server process, spoken to by pytest-lsp's client.


@pytest.mark.asyncio
async def test_shutdown_then_exit_ends_the_server_with_status_0() -> None:
    client = await server_config().start()
    await initialize(client)
    await client.shutdown_session()  # shutdown, then exit, as an editor does
    process = client._server  # pygls keeps the subprocess it started here
    assert process is not None
    assert await asyncio.wait_for(process.wait(), 10) == 0
    await client.stop()


@pytest.mark.asyncio
async def test_exit_without_shutdown_ends_the_server_with_status_1() -> None:
    client = await server_config().start()
    await initialize(client)
    client.exit(None)
    process = client._server
    assert process is not None
    assert await asyncio.wait_for(process.wait(), 10) == 1
    await client.stop()


@pytest.mark.asyncio
async def test_a_client_that_prefers_utf8_gets_utf8_columns(tmp_path: Path) -> None:
    client = await server_config().start()
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
        )
    )
    response = await initialize(client, capabilities)
    assert response.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    greeting = tmp_path / "greeting.flow"

    open_document(client, greeting, GREETING)

    # 'ü' and 'ß' are two bytes each, the emoji four: 18 code points, 23 bytes.
    [diagnostic] = await diagnostics(client, greeting)
    assert diagnostic.range == lsp_range(5, 23, 27)
    await client.shutdown_session()
    await client.stop()
