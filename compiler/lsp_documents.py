"""The open documents, and when each is analysed: debounced, one analysis at a time, off the
event loop, a stale one cancelled or its result dropped.

Scheduling. A change after a quiet moment is analysed at once (one keystroke
gets its diagnostics as fast as the check allows); a change that follows
another within DEBOUNCE waits until DEBOUNCE has passed without one (a burst
of typing is analysed once, after its last keystroke). Analyses run one at a
time in a worker thread, so the event loop keeps reading the client's messages
meanwhile. An analysis whose document changed while it waited or ran is
stale: its parse stops at the next declaration it would parse (`Cancelled`),
and whatever it finished is never published; the newer analysis is already
scheduled.

Only the changed file is parsed again: the worker's IncrementalParser keeps
every file's parse (imports included) until its text changes, and then
re-parses only the declarations whose text changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pygls.uris import to_fs_path

from .lsp_analysis import Analysis
from .lsp_parsing import Cancelled, IncrementalParser
from .pipeline import check_files

DEBOUNCE = 0.1  # seconds
log = logging.getLogger(__name__)


@dataclass
class Document:
    uri: str
    path: str  # as the loader knows it
    text: str
    version: int
    changed_at: float = 0.0  # time.monotonic() of the last change
    # The last analysis published, and the last in which the document parsed
    # (completion needs a tree while the text being typed does not parse).
    analysis: Analysis | None = None
    parsed: Analysis | None = None
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)
    # Set while `analysis` is of the current text (or the current text's analysis failed).
    fresh: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


def path_of(uri: str) -> str:
    """The path the loader reads for a URI; a URI that names no file (untitled:) is its own key."""
    return os.path.normpath(to_fs_path(uri) or uri)


class Scheduler:
    """Runs the analyses of the open documents and hands each fresh one to `publish`."""

    def __init__(self, publish: Callable[[Document, Analysis], None]) -> None:
        self.documents: dict[str, Document] = {}  # by URI
        self._publish = publish
        self._parser = IncrementalParser()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowc-analysis")
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self, uri: str, text: str, version: int) -> Document:
        document = Document(uri, path_of(uri), text, version)
        self.documents[uri] = document
        self.schedule(document, at_once=True)
        return document

    def change(self, uri: str, text: str, version: int) -> None:
        document = self.documents.get(uri)
        if document is None:
            return
        now = time.monotonic()
        in_a_burst = now - document.changed_at < DEBOUNCE
        document.text, document.version, document.changed_at = text, version, now
        document.fresh.clear()
        self.schedule(document, at_once=not in_a_burst)

    def close(self, uri: str) -> Document | None:
        document = self.documents.pop(uri, None)
        if document is not None and document.timer is not None:
            document.timer.cancel()
        return document

    def schedule(self, document: Document, at_once: bool = False) -> None:
        """Analyse the document now, or DEBOUNCE from now unless it changes again first."""
        if document.timer is not None:
            document.timer.cancel()
        loop = asyncio.get_running_loop()
        document.timer = loop.call_later(0 if at_once else DEBOUNCE, self._start, document)

    def schedule_importers_of(self, paths: set[str]) -> None:
        """Analyse again every open document whose last analysis read one of `paths`."""
        for document in list(self.documents.values()):
            analysis = document.analysis
            if analysis is not None and paths & (set(analysis.result.sources) - {document.path}):
                self.schedule(document, at_once=True)

    def schedule_all(self) -> None:
        for document in list(self.documents.values()):
            self.schedule(document, at_once=True)

    def changed_on_disk(self) -> set[str]:
        """Files the last analyses read from disk (not open here) that changed since."""
        open_paths = {d.path for d in self.documents.values()}
        return {
            path
            for document in self.documents.values()
            if document.analysis is not None
            for path in document.analysis.changed_on_disk()
            if path not in open_paths
        }

    def shutdown(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)

    def _start(self, document: Document) -> None:
        document.timer = None
        task = asyncio.get_running_loop().create_task(self._run(document))
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def _run(self, document: Document) -> None:
        version = document.version
        overlays = {d.path: d.text for d in self.documents.values()}
        analysis = await self._in_worker(lambda: self._analyze(document, version, overlays))
        if self.documents.get(document.uri) is not document:
            return  # closed meanwhile
        if document.version != version:
            log.debug("dropped the analysis of %s version %d: stale", document.uri, version)
            return
        document.fresh.set()
        if analysis is None:
            return  # the check failed (logged): the last diagnostics stay
        document.analysis = analysis
        if analysis.module() is not None:
            document.parsed = analysis
        self._publish(document, analysis)

    def _in_worker(self, job: Callable[[], Analysis | None]) -> Awaitable[Analysis | None]:
        return asyncio.get_running_loop().run_in_executor(self._worker, job)

    def _analyze(
        self, document: Document, version: int, overlays: Mapping[str, str]
    ) -> Analysis | None:
        """In the worker thread: check the document as it was at `version`, unless it moved on."""
        self._parser.is_cancelled = lambda: document.version != version
        try:
            result = check_files([document.path], overlays, self._parser)
        except Cancelled:
            return None
        except Exception:
            # A bug in the compiler must not take the editor's server down with it.
            log.exception("the analysis of %s failed", document.uri)
            return None
        return Analysis(document.path, version, result)
