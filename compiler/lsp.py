"""`flowc lsp`: a Language Server (LSP over stdin/stdout) for .flow files.

The server's parts, one job each:
- lsp_documents.py: the open documents and when each is analysed (debounced,
  in a worker thread, stale analyses cancelled or dropped);
- lsp_parsing.py: the parse cache (only changed declarations are parsed again);
- lsp_analysis.py: one analysis of a document, and lookups by position;
- lsp_index.py: where every name is declared and used, read from the model;
- lsp_diagnostics.py, lsp_features.py, lsp_completion.py: the features;
- lsp_positions.py: spans <-> LSP ranges in the agreed position encoding;
- lsp_tests.py: the diagnostics of open `.flowtest` files (checked as
  `flowc test` checks them), and formatting is flowc.fmt's, as `flowc fmt`.
This module speaks the protocol: capabilities, requests, publication.

Who publishes what: an open document publishes its own diagnostics, and those
of the files it imports that are not open themselves (an open file's own check
speaks for it). A save, or a file changed on disk, re-checks the open documents
that import it; closing one clears what nothing else publishes any more. A
change on disk is known from `workspace/didChangeWatchedFiles` (the server
registers a watcher of `**/*.flow` when the client can), and from the mtimes
of the files each analysis read, looked at after every analysis and, for a
client that cannot watch files, every POLL seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from . import __version__
from .diagnostics import Diagnostic
from .fmt import FormatterBug, SourceSyntaxError, format_text
from .lsp_analysis import Analysis
from .lsp_completion import complete, signature_help, without_snippets
from .lsp_diagnostics import quick_fixes, text_edits, to_lsp_diagnostics
from .lsp_documents import Document, Scheduler, path_of
from .lsp_features import LEGEND, document_symbols, folding_ranges, hover, semantic_tokens
from .lsp_index import Occurrence, Symbol, SymbolKind
from .lsp_positions import Point, Ranges
from .lsp_tests import TestFiles, is_test_file
from .parsing.grammar import load_grammar
from .source import SourceFile

POLL = 2.0  # seconds between looks at the files' mtimes, for clients that cannot watch files
FRESH_WAIT = 2.0  # seconds a request waits for the analysis of the text it is about
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
log = logging.getLogger(__name__)


class FlowLanguageServer(LanguageServer):
    """The server, with the open documents and what was published on behalf of each."""

    def __init__(self) -> None:
        super().__init__(
            "flowc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.scheduler = Scheduler(self.publish)
        # Open document URI -> the URIs its last check published diagnostics for.
        self.published: dict[str, set[str]] = {}
        # URI -> the diagnostics last published for it, with the ranges they were mapped by.
        self.diagnostics: dict[str, tuple[list[Diagnostic], Ranges]] = {}
        self.test_files = TestFiles(self.publish_test_file)
        self.watching = False
        self.shutdown_requested = False

    # -- publication

    def publish(self, document: Document, analysis: Analysis) -> None:
        """Publish the diagnostics an analysis speaks for."""
        result = analysis.result
        ranges = self.ranges(analysis)
        by_uri = to_lsp_diagnostics(result.diagnostics, ranges, self.uri_of)
        files = {self.uri_of(p) for p in result.sources} | set(by_uri) | {document.uri}
        speaks_for = files - (self.scheduler.documents.keys() - {document.uri})
        for target in sorted(speaks_for):
            own = [d for d in result.diagnostics if self.uri_of(d.span.file) == target]
            self.diagnostics[target] = (own, ranges)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=target,
                    diagnostics=by_uri.get(target, []),
                    # Lets the editor drop diagnostics of text it no longer shows.
                    version=document.version if target == document.uri else None,
                )
            )
        stale = self.published.get(document.uri, set()) - speaks_for
        self.published[document.uri] = speaks_for
        self.clear_unclaimed(stale)
        # Even with a watcher: it may not see installed libraries outside the workspace.
        self.recheck_changed_on_disk()

    def publish_test_file(
        self, uri: str, version: int, found: list[Diagnostic], sources: dict[str, SourceFile]
    ) -> None:
        """A test file's diagnostics: those in the test itself; a problem of the flow it
        calls is the flow's own to publish, and is named in the test's E07xx."""
        ranges = Ranges(sources, self.workspace.position_codec)
        by_uri = to_lsp_diagnostics(found, ranges, self.uri_of)
        own = [d for d in found if self.uri_of(d.span.file) == uri]
        self.diagnostics[uri] = (own, ranges)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, diagnostics=by_uri.get(uri, []), version=version
            )
        )

    def clear_unclaimed(self, uris: set[str]) -> None:
        claimed = set().union(*self.published.values())
        for uri in sorted(uris - claimed):
            self.diagnostics.pop(uri, None)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    def recheck_changed_on_disk(self) -> None:
        changed = self.scheduler.changed_on_disk()
        if changed:
            self.scheduler.schedule_importers_of(changed)

    def document_closed(self, uri: str) -> None:
        self.scheduler.close(uri)
        stale = self.published.pop(uri, set()) | {uri}
        self.scheduler.schedule_all()  # who imported it reads it from disk now
        self.clear_unclaimed(stale)

    # -- what requests read

    def uri_of(self, path: str) -> str:
        for uri, document in self.scheduler.documents.items():
            if document.path == path:
                return uri
        return Path(path).absolute().as_uri()

    def ranges(self, analysis: Analysis) -> Ranges:
        return Ranges(analysis.result.sources, self.workspace.position_codec)

    async def fresh(self, uri: str) -> tuple[Document, Analysis] | None:
        """The document and its analysis, waiting (a little) for that of its current text."""
        document = self.scheduler.documents.get(uri)
        if document is None:
            return None
        # Past the wait, the answer comes from the last analysis there is.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(document.fresh.wait(), FRESH_WAIT)
        return (document, document.analysis) if document.analysis is not None else None

    def point(self, analysis: Analysis, position: types.Position) -> Point:
        return self.ranges(analysis).point(analysis.path, position)

    def location(self, analysis: Analysis, span_holder: Occurrence | Symbol) -> types.Location:
        span = span_holder.span if isinstance(span_holder, Occurrence) else span_holder.declared_at
        return types.Location(uri=self.uri_of(span.file), range=self.ranges(analysis)(span))

    def every_occurrence(self, symbol: Symbol) -> Iterator[tuple[Analysis, Occurrence]]:
        """The symbol's occurrences in every file the open documents' analyses read.

        Each file's occurrences come from one analysis: an open document's own (of its
        current text), else the first that read it.
        """
        analyses = [d.analysis for d in self.scheduler.documents.values() if d.analysis]
        authority: dict[str, Analysis] = {a.path: a for a in analyses}
        for analysis in analyses:
            for path in analysis.result.sources:
                authority.setdefault(path, analysis)
        for path, analysis in authority.items():
            for occurrence in analysis.index.by_file.get(path, ()):
                if occurrence.symbol == symbol:
                    yield analysis, occurrence

    def workspace_edit(self, edits: Mapping[str, list[types.TextEdit]]) -> types.WorkspaceEdit:
        """Edits by path, as versioned document changes where the client takes them."""
        by_uri = {self.uri_of(path): changes for path, changes in edits.items()}
        capabilities = self.client_capabilities.workspace
        edit_support = capabilities.workspace_edit if capabilities else None
        if not (edit_support and edit_support.document_changes):
            return types.WorkspaceEdit(changes=by_uri)
        # The version the edits were computed from: a client refuses them if it moved on.
        versions = {
            uri: d.analysis.version if d.analysis else d.version
            for uri, d in self.scheduler.documents.items()
        }
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=versions.get(uri)
                    ),
                    edits=list(changes),
                )
                for uri, changes in by_uri.items()
            ]
        )


def create_server() -> FlowLanguageServer:
    server = FlowLanguageServer()
    _document_sync(server)
    _navigation(server)
    _editing(server)
    _formatting(server)
    return server


def _document_sync(server: FlowLanguageServer) -> None:
    @server.feature(types.INITIALIZED)
    async def initialized(ls: FlowLanguageServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watch = workspace.did_change_watched_files if workspace else None
        if watch and watch.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*.flow")]
            )
            registration = types.Registration(
                id="flowc-watch",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=options,
            )
            try:
                await ls.client_register_capability_async(types.RegistrationParams([registration]))
                ls.watching = True
            except JsonRpcException as refused:
                log.info("the client refused to watch files (%s): polling instead", refused)
        if not ls.watching:
            _poll(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(
        ls: FlowLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        if any(change.type != types.FileChangeType.Changed for change in params.changes):
            # A file created or deleted may be one an import names but could not find.
            ls.scheduler.schedule_all()
        else:
            ls.scheduler.schedule_importers_of({path_of(change.uri) for change in params.changes})

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FlowLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        if is_test_file(document.uri):
            ls.test_files.changed(document.uri, document.text, document.version)
            return
        ls.scheduler.open(document.uri, document.text, document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FlowLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        # pygls has applied the changes (whole texts or ranges) to its copy of the document.
        text = ls.workspace.get_text_document(uri).source
        if is_test_file(uri):
            ls.test_files.changed(uri, text, params.text_document.version)
            return
        ls.scheduler.change(uri, text, params.text_document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FlowLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.scheduler.schedule_importers_of({path_of(params.text_document.uri)})
        if not ls.watching:
            ls.recheck_changed_on_disk()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FlowLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if is_test_file(uri):
            ls.test_files.closed(uri)
            ls.diagnostics.pop(uri, None)
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
            return
        ls.document_closed(uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FlowLanguageServer, params: None) -> None:
        ls.shutdown_requested = True


def _poll(server: FlowLanguageServer) -> None:
    """Look at the mtimes of what the analyses read, now and every POLL seconds."""
    server.recheck_changed_on_disk()
    asyncio.get_running_loop().call_later(POLL, _poll, server)


def _navigation(server: FlowLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: FlowLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = await ls.fresh(params.text_document.uri)
        if found is None:
            return None
        _, analysis = found
        answer = hover(analysis, ls.point(analysis, params.position))
        if answer is None:
            return None
        text, span = answer
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=ls.ranges(analysis)(span),
        )

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: FlowLanguageServer, params: types.DefinitionParams
    ) -> types.Location | None:
        found = await _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, occurrence = found
        return ls.location(analysis, occurrence.symbol)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: FlowLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location]:
        found = await _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None:
            return []
        include = params.context.include_declaration
        return [
            ls.location(analysis, occurrence)
            for analysis, occurrence in ls.every_occurrence(found[1].symbol)
            if include or not occurrence.is_declaration
        ]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def outline(
        ls: FlowLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        analysis = await _parsed(ls, params.text_document.uri)
        module = analysis.module() if analysis else None
        return document_symbols(module, ls.ranges(analysis)) if analysis and module else []

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding(
        ls: FlowLanguageServer, params: types.FoldingRangeParams
    ) -> list[types.FoldingRange]:
        analysis = await _parsed(ls, params.text_document.uri)
        module = analysis.module() if analysis else None
        if analysis is None or module is None:
            return []
        return folding_ranges(module, ls.ranges(analysis).lines_of(analysis.path))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    async def tokens(
        ls: FlowLanguageServer, params: types.SemanticTokensParams
    ) -> types.SemanticTokens:
        found = await ls.fresh(params.text_document.uri)
        if found is None:
            return types.SemanticTokens(data=[])
        _, analysis = found
        return types.SemanticTokens(data=semantic_tokens(analysis, ls.ranges(analysis)))


async def _occurrence_at(
    ls: FlowLanguageServer, uri: str, position: types.Position
) -> tuple[Analysis, Occurrence] | None:
    found = await ls.fresh(uri)
    if found is None:
        return None
    _, analysis = found
    occurrence = analysis.index.at(analysis.path, ls.point(analysis, position))
    return (analysis, occurrence) if occurrence is not None else None


async def _parsed(ls: FlowLanguageServer, uri: str) -> Analysis | None:
    """The last analysis in which the document parsed (the outline stays while typing)."""
    found = await ls.fresh(uri)
    return found[0].parsed if found else None


def _editing(server: FlowLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(
        ls: FlowLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        found = await _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None or found[1].symbol.kind not in _RENAMEABLE:
            return None
        analysis, occurrence = found
        return types.PrepareRenamePlaceholder(
            range=ls.ranges(analysis)(occurrence.span), placeholder=occurrence.symbol.name
        )

    @server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    async def rename(
        ls: FlowLanguageServer, params: types.RenameParams
    ) -> types.WorkspaceEdit | None:
        found = await _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None or found[1].symbol.kind not in _RENAMEABLE:
            return None
        new_name = params.new_name
        if not _NAME.fullmatch(new_name) or new_name in load_grammar().reserved:
            # Answered in words, not as a failed request: the editor shows the message.
            reason = f"cannot rename to '{new_name}': it is not a name, or it is a keyword"
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=reason)
            )
            return None
        edits: dict[str, list[types.TextEdit]] = {}
        for analysis, occurrence in ls.every_occurrence(found[1].symbol):
            for path, changes in text_edits(
                [(occurrence.span, new_name)], ls.ranges(analysis)
            ).items():
                edits.setdefault(path, []).extend(changes)
        return ls.workspace_edit(edits)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", ">", "{"]),
    )
    async def completion(
        ls: FlowLanguageServer, params: types.CompletionParams
    ) -> list[types.CompletionItem]:
        found = await ls.fresh(params.text_document.uri)
        if found is None:
            return []
        document, _ = found
        analysis = document.parsed
        prefix, point = _typed_before(ls, document, params.position)
        items = complete(analysis, prefix.split("\n")[-1], point)
        return items if _takes_snippets(ls) else [without_snippets(item) for item in items]

    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=["(", ","]),
    )
    async def signatures(
        ls: FlowLanguageServer, params: types.SignatureHelpParams
    ) -> types.SignatureHelp | None:
        found = await ls.fresh(params.text_document.uri)
        if found is None:
            return None
        document, _ = found
        before, _ = _typed_before(ls, document, params.position)
        return signature_help(document.parsed, before)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(
        ls: FlowLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        await ls.fresh(params.text_document.uri)
        diagnostics, ranges = ls.diagnostics.get(params.text_document.uri, ([], None))
        if ranges is None:
            return []
        return quick_fixes(diagnostics, params.range, ranges, ls.uri_of, ls.workspace_edit)


def _formatting(server: FlowLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: FlowLanguageServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        """The whole document in `flowc fmt`'s layout, as one edit; nothing when the text
        does not parse (its diagnostics already say why) or is already formatted."""
        uri = params.text_document.uri
        if is_test_file(uri):
            return None
        document = ls.workspace.get_text_document(uri)
        text = document.source
        try:
            formatted = format_text(text, path_of(uri))
        except SourceSyntaxError:
            return None
        except FormatterBug as bug:
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=str(bug))
            )
            return None
        if formatted == text:
            return []
        lines = text.split("\n")
        end = types.Position(line=len(lines) - 1, character=len(lines[-1]))
        whole = types.Range(
            start=types.Position(line=0, character=0),
            end=ls.workspace.position_codec.position_to_client_units(lines, end),
        )
        return [types.TextEdit(range=whole, new_text=formatted)]


_RENAMEABLE = frozenset(
    {SymbolKind.LABEL, SymbolKind.VARIABLE, SymbolKind.ACTION, SymbolKind.OUTPUT, SymbolKind.FLOW}
)


def _takes_snippets(ls: FlowLanguageServer) -> bool:
    document = ls.client_capabilities.text_document
    completion = document.completion if document else None
    item = completion.completion_item if completion else None
    return bool(item and item.snippet_support)


def _typed_before(
    ls: FlowLanguageServer, document: Document, position: types.Position
) -> tuple[str, Point]:
    """The document's current text up to the cursor, and the cursor as flowc counts."""
    lines = document.text.split("\n")
    converted = ls.workspace.position_codec.position_from_client_units(lines, position)
    line = min(converted.line, len(lines) - 1)
    before = "\n".join([*lines[:line], lines[line][: converted.character]])
    return before, Point(line + 1, converted.character + 1)


def serve() -> int:
    """Serve one client over stdin/stdout until it exits: 0 after a shutdown request, else 1."""
    server = create_server()
    try:
        server.start_io()
    finally:
        server.scheduler.shutdown()
    return 0 if server.shutdown_requested else 1
