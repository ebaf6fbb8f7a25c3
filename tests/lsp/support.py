"""The LSP tests' client: pytest-lsp's (the pygls project's) driving `flowc lsp` as a subprocess.

`FlowClient` is pytest-lsp's LanguageClient that also keeps every
publishDiagnostics in arrival order, per URI, so a test awaits the next one
for a file (with a timeout) and never misses one that came early; and it
answers `client/registerCapability` (the server registers its file watcher).
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

TIMEOUT = 10.0  # seconds; generous for a slow CI machine, never reached when things work

# VS Code's capabilities as recorded by pytest-lsp: UTF-16 positions, versioned
# workspace edits, dynamic registration of file watchers, snippets.
VSCODE = client_capabilities("visual-studio-code")


class FlowClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.publications: defaultdict[str, asyncio.Queue[types.PublishDiagnosticsParams]] = (
            defaultdict(asyncio.Queue)
        )
        self.registrations: list[types.Registration] = []
        self.registered = asyncio.Event()
        self.server_capabilities: types.ServerCapabilities | None = None


def _record_publication(client: FlowClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.publications[params.uri].put_nowait(params)


def _record_registration(client: FlowClient, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)
    client.registered.set()


def make_client() -> FlowClient:
    client = FlowClient()
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record_publication,
        types.CLIENT_REGISTER_CAPABILITY: _record_registration,
    }
    register_lsp_features(client, features)
    return client


def server_config() -> ClientServerConfig:
    command = [sys.executable, "-m", "flowc.cli", "lsp"]
    return ClientServerConfig(server_command=command, client_factory=make_client)


async def initialize(
    client: FlowClient, capabilities: types.ClientCapabilities | None = None
) -> types.InitializeResult:
    result = await client.initialize_session(
        types.InitializeParams(capabilities=capabilities or VSCODE)
    )
    client.server_capabilities = result.capabilities
    return result


def open_document(client: FlowClient, path: Path | str, text: str, version: int = 1) -> str:
    """Open a file, or a document named by a URI of its own (an untitled buffer); its URI."""
    uri = path.as_uri() if isinstance(path, Path) else path
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="flow", version=version, text=text
            )
        )
    )
    return uri


def change_document(client: FlowClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def edit_document(
    client: FlowClient, path: Path, version: int, where: types.Range, text: str
) -> None:
    """An incremental change, as editors send while typing."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=where, text=text)],
        )
    )


async def publication(
    client: FlowClient, path: Path | str, timeout: float = TIMEOUT
) -> types.PublishDiagnosticsParams:
    """The next publishDiagnostics for the file, in arrival order."""
    uri = path.as_uri() if isinstance(path, Path) else path
    return await asyncio.wait_for(client.publications[uri].get(), timeout)


async def diagnostics(client: FlowClient, path: Path | str) -> list[types.Diagnostic]:
    return list((await publication(client, path)).diagnostics)


def nothing_more_published(client: FlowClient, path: Path) -> bool:
    return client.publications[path.as_uri()].empty()


def lsp_range(line: int, start: int, end: int) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=line, character=end),
    )


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """Where `needle` first occurs in `text` (plus `offset` characters), as an LSP position."""
    at = text.index(needle) + offset
    line = text.count("\n", 0, at)
    return types.Position(line=line, character=at - (text.rfind("\n", 0, at) + 1))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """The text with LSP text edits applied (ASCII text: characters are code units)."""
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def offset(position: types.Position) -> int:
        return starts[position.line] + position.character

    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
    for edit in reversed(ordered):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text
