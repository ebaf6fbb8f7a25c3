"""When the server checks: bursts of typing, incremental changes, files changed on disk.

The server debounces changes and drops the analyses of text that changed
meanwhile, so a burst of edits ends with the diagnostics of its last text;
a file changed outside the editor re-checks the open documents that import it,
told by the client's file watcher or, for a client without one, by the mtimes
of the files each analysis read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.support import (
    TIMEOUT,
    FlowClient,
    diagnostics,
    edit_document,
    initialize,
    lsp_range,
    open_document,
    publication,
    server_config,
)

GREET_WITH_TYPO = 'action Greet {\n  output Done\n\n  talk "Hello {{nmae}}."\n  exit Done\n}\n'
GREET_FIXED = 'action Greet {\n  output Done\n\n  talk "Hello."\n  exit Done\n}\n'
MAIN = (
    'from "lib/greet.flow" import Greet\n\n'
    "flow Main {\n  run hello = Greet()\n    on Done -> bye\n\n  bye:\n  end\n}\n"
)
HOURS = 'flow Hours {\n  talk "We are open."\n  end\n}\n'


async def started(capabilities: types.ClientCapabilities | None = None) -> FlowClient:
    client = await server_config().start()
    assert isinstance(client, FlowClient)
    await initialize(client, capabilities)
    return client


async def stopped(client: FlowClient) -> None:
    await client.shutdown_session()
    await client.stop()


@pytest.mark.asyncio
async def test_a_burst_of_edits_ends_with_the_diagnostics_of_the_last_text(
    tmp_path: Path,
) -> None:
    client = await started()
    hours = tmp_path / "hours.flow"
    open_document(client, hours, HOURS)
    assert await diagnostics(client, hours) == []

    # Typing `{{nmae}}` into the talk, one character per change, without waiting.
    typed = "{{nmae}}"
    for i, char in enumerate(typed):
        edit_document(client, hours, version=i + 2, where=lsp_range(1, 19 + i, 19 + i), text=char)

    last = len(typed) + 1
    versions = []
    while not versions or versions[-1] != last:
        found = await publication(client, hours)
        assert found.version is not None
        versions.append(found.version)
    assert versions == sorted(versions)  # never an older text's diagnostics after a newer's
    assert len(versions) < len(typed)  # debounced: not one check per keystroke
    [diagnostic] = client.diagnostics[hours.as_uri()]
    assert (diagnostic.code, diagnostic.range) == ("E0101", lsp_range(1, 21, 25))
    await stopped(client)


def library(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_WITH_TYPO, encoding="utf-8")
    return greet, tmp_path / "main.flow"


@pytest.mark.asyncio
async def test_a_watched_file_changed_on_disk_rechecks_its_importers(tmp_path: Path) -> None:
    client = await started()  # VS Code's capabilities: it watches files for the server
    await asyncio.wait_for(client.registered.wait(), TIMEOUT)
    [registration] = client.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    greet, main = library(tmp_path)
    open_document(client, main, MAIN)
    assert await diagnostics(client, main) == []
    assert [d.code for d in await diagnostics(client, greet)] == ["E0101"]

    greet.write_text(GREET_FIXED, encoding="utf-8")  # `git checkout` of the library
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=greet.as_uri(), type=types.FileChangeType.Changed)]
        )
    )

    assert await diagnostics(client, greet) == []
    await stopped(client)


@pytest.mark.asyncio
async def test_without_a_watcher_the_server_notices_changed_imports_itself(
    tmp_path: Path,
) -> None:
    client = await started(types.ClientCapabilities())
    assert client.registrations == []
    greet, main = library(tmp_path)
    open_document(client, main, MAIN)
    assert await diagnostics(client, main) == []
    assert [d.code for d in await diagnostics(client, greet)] == ["E0101"]

    await asyncio.sleep(0.05)  # a later mtime, even on a file system that counts coarsely
    greet.write_text(GREET_FIXED, encoding="utf-8")

    # No notification at all: the server's look at the mtimes finds the change.
    assert await diagnostics(client, greet) == []
    await stopped(client)


@pytest.mark.asyncio
async def test_an_imported_file_created_on_disk_resolves_the_import(tmp_path: Path) -> None:
    client = await started()
    await asyncio.wait_for(client.registered.wait(), TIMEOUT)
    main = tmp_path / "main.flow"
    open_document(client, main, MAIN)
    assert [d.code for d in await diagnostics(client, main)] == ["E0201"]

    (tmp_path / "lib").mkdir()
    greet = tmp_path / "lib" / "greet.flow"
    greet.write_text(GREET_FIXED, encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=greet.as_uri(), type=types.FileChangeType.Created)]
        )
    )

    assert await diagnostics(client, main) == []
    await stopped(client)
