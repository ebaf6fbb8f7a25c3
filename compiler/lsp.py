"""`flowc lsp`: a Language Server (LSP over stdin/stdout) that shows `flowc check` in an editor.

Each open document is checked, unsaved text and all, whenever it is opened,
changed or saved; its diagnostics are published for it and for the files it
imports. The text of every open document stands in for the file on disk
(loader overlays), so an edited import is seen as the editor shows it.

Who publishes what: an open document publishes its own diagnostics, and those
of the files it imports that are not open themselves (an open file's own check
speaks for it). A save may change what other documents import, so it re-checks
every open document; closing one clears what nothing else publishes any more.

The fixes of the diagnostics last published for a file are its quick fixes
(`textDocument/codeAction`, kind quickfix), each edit a WorkspaceEdit; those
safe to apply unseen are marked preferred.

LSP positions are 0-based and count characters in the encoding agreed at
initialisation (UTF-16 code units unless the client offers another); flowc
spans are 1-based and count code points, so columns are converted per line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec

from . import __version__, codes
from .diagnostics import Applicability, Diagnostic, Fix, Severity
from .pipeline import check_files
from .source import SourceFile, Span

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
}
# Warnings about code that does nothing (an unreachable step, a label never
# jumped to): editors show such code faded.
_UNNECESSARY = frozenset({codes.UNREACHABLE_STEP, codes.LABEL_NEVER_USED})


@dataclass
class _OpenDocument:
    path: str  # as the loader knows it
    text: str
    version: int


class FlowLanguageServer(LanguageServer):
    """The server, with the open documents and what was published on behalf of each."""

    def __init__(self) -> None:
        super().__init__(
            "flowc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full
        )
        self.documents: dict[str, _OpenDocument] = {}  # by URI
        # Open document URI -> the URIs its last check published diagnostics for.
        self.published: dict[str, set[str]] = {}
        # URI -> the quick fixes of the diagnostics last published for it.
        self.fixes: dict[str, list[types.CodeAction]] = {}
        self.shutdown_requested = False

    def document_opened(self, uri: str, text: str, version: int) -> None:
        self.documents[uri] = _OpenDocument(_path_of(uri), text, version)

    def document_changed(self, uri: str, text: str, version: int) -> None:
        document = self.documents[uri]
        document.text, document.version = text, version

    def document_closed(self, uri: str) -> None:
        self.documents.pop(uri, None)
        stale = self.published.pop(uri, set()) | {uri}
        self.check_all_open()
        self._clear_unclaimed(stale)

    def check_all_open(self) -> None:
        for uri in list(self.documents):
            self.check_and_publish(uri)

    def check_and_publish(self, uri: str) -> None:
        """Check one open document and publish the diagnostics its check speaks for."""
        document = self.documents[uri]
        overlays = {d.path: d.text for d in self.documents.values()}
        result = check_files([document.path], overlays)
        open_uris = {d.path: u for u, d in self.documents.items()}

        def uri_of(path: str) -> str:
            return open_uris.get(path) or Path(path).absolute().as_uri()

        codec = self.workspace.position_codec
        by_uri = to_lsp_diagnostics(result.diagnostics, result.sources, uri_of, codec)
        actions = to_code_actions(result.diagnostics, result.sources, uri_of, codec)
        files = {uri_of(p) for p in result.sources} | set(by_uri) | {uri}
        speaks_for = files - (self.documents.keys() - {uri})
        for target in sorted(speaks_for):
            self.fixes[target] = actions.get(target, [])
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=target,
                    diagnostics=by_uri.get(target, []),
                    # Lets the editor drop diagnostics of text it no longer shows.
                    version=document.version if target == uri else None,
                )
            )
        stale = self.published.get(uri, set()) - speaks_for
        self.published[uri] = speaks_for
        self._clear_unclaimed(stale)

    def quick_fixes(self, uri: str, wanted: types.Range) -> list[types.CodeAction]:
        """The fixes of the diagnostics published for `uri` whose range meets `wanted`."""
        return [
            action
            for action in self.fixes.get(uri, [])
            if action.diagnostics and _meet(action.diagnostics[0].range, wanted)
        ]

    def _clear_unclaimed(self, uris: set[str]) -> None:
        claimed = set().union(*self.published.values())
        for uri in sorted(uris - claimed):
            self.fixes.pop(uri, None)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )


def _path_of(uri: str) -> str:
    """The path the loader reads for a URI; a URI that names no file (untitled:) is its own key."""
    return os.path.normpath(to_fs_path(uri) or uri)


def to_lsp_diagnostics(
    diagnostics: Sequence[Diagnostic],
    sources: Mapping[str, SourceFile],
    uri_of: Callable[[str], str],
    codec: PositionCodec,
) -> dict[str, list[types.Diagnostic]]:
    """flowc diagnostics as LSP ones, grouped by the URI of the file they are in."""
    ranges = _Ranges(sources, codec)
    by_uri: dict[str, list[types.Diagnostic]] = {}
    for d in diagnostics:
        by_uri.setdefault(uri_of(d.span.file), []).append(_to_lsp(d, ranges, uri_of))
    return by_uri


def _to_lsp(d: Diagnostic, ranges: _Ranges, uri_of: Callable[[str], str]) -> types.Diagnostic:
    """One diagnostic; notes with a span and labels become related information."""
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri_of(span.file), range=ranges(span)), message=message
        )
        for message, span in [
            *((note.message, note.span) for note in d.notes if note.span is not None),
            *((label.message, label.span) for label in d.labels),
        ]
    ]
    return types.Diagnostic(
        range=ranges(d.span),
        message=_message(d),
        severity=_SEVERITIES[d.severity],
        code=d.code,
        source="flowc",
        related_information=related or None,
        tags=[types.DiagnosticTag.Unnecessary] if d.code in _UNNECESSARY else None,
    )


def to_code_actions(
    diagnostics: Sequence[Diagnostic],
    sources: Mapping[str, SourceFile],
    uri_of: Callable[[str], str],
    codec: PositionCodec,
) -> dict[str, list[types.CodeAction]]:
    """Each fix of each diagnostic as a quick fix, grouped by the URI the diagnostic is in.

    The diagnostic goes with its fix, as LSP asks, so an editor can show the fix beside it.
    """
    ranges = _Ranges(sources, codec)
    by_uri: dict[str, list[types.CodeAction]] = {}
    for d in diagnostics:
        if d.fixes:
            lsp_diagnostic = _to_lsp(d, ranges, uri_of)
            by_uri.setdefault(uri_of(d.span.file), []).extend(
                _code_action(fix, lsp_diagnostic, ranges, uri_of) for fix in d.fixes
            )
    return by_uri


def _code_action(
    fix: Fix, diagnostic: types.Diagnostic, ranges: _Ranges, uri_of: Callable[[str], str]
) -> types.CodeAction:
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        text_edit = types.TextEdit(range=ranges(edit.span), new_text=edit.new_text)
        changes.setdefault(uri_of(edit.span.file), []).append(text_edit)
    return types.CodeAction(
        title=fix.message,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes=changes),
        is_preferred=fix.applicability is Applicability.MACHINE_APPLICABLE,
    )


def _meet(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position; touching counts (a cursor at a name's end)."""
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _message(d: Diagnostic) -> str:
    """The message, then what the terminal shows below the snippet: spanless notes and help."""
    lines = [d.message]
    lines.extend(f"note: {note.message}" for note in d.notes if note.span is None)
    if d.help:
        lines.append(f"help: {d.help}")
    return "\n".join(lines)


class _Ranges:
    """Span -> LSP range, with each file's lines split once."""

    def __init__(self, sources: Mapping[str, SourceFile], codec: PositionCodec) -> None:
        self._sources = sources
        self._codec = codec
        self._lines: dict[str, list[str]] = {}

    def __call__(self, span: Span) -> types.Range:
        lines = self._lines_of(span.file)
        return types.Range(
            start=self._position(lines, span.line, span.column),
            end=self._position(lines, span.end_line, span.end_column),
        )

    def _lines_of(self, path: str) -> list[str]:
        if path not in self._lines:
            source = self._sources.get(path)
            # Spans count "\n" alone as a line break, so the lines are split the same way.
            self._lines[path] = source.text.split("\n") if source is not None else []
        return self._lines[path]

    def _position(self, lines: list[str], line: int, column: int) -> types.Position:
        position = types.Position(line=line - 1, character=column - 1)
        if line > len(lines):  # no text to count in (not expected): code points as they are
            return position
        return self._codec.position_to_client_units(lines, position)


def create_server() -> FlowLanguageServer:
    server = FlowLanguageServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FlowLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        ls.document_opened(document.uri, document.text, document.version)
        ls.check_and_publish(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FlowLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        document = params.text_document
        if document.uri not in ls.documents or not params.content_changes:
            return
        # Full synchronisation: the last change holds the whole text.
        ls.document_changed(document.uri, params.content_changes[-1].text, document.version)
        ls.check_and_publish(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FlowLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.check_all_open()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FlowLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.document_closed(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: FlowLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return ls.quick_fixes(params.text_document.uri, params.range)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FlowLanguageServer, params: None) -> None:
        ls.shutdown_requested = True

    return server


def serve() -> int:
    """Serve one client over stdin/stdout until it exits: 0 after a shutdown request, else 1."""
    server = create_server()
    server.start_io()
    return 0 if server.shutdown_requested else 1
