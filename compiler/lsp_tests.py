"""The diagnostics of open `.flowtest` files, for the language server.

A test file is checked as `flowc test` checks it (flowc.testing.check_flowtest:
its own syntax, the flow or action it calls, its stubs and expectations), in a
worker thread, one check at a time per file: a newer text cancels the wait for
an older one, and a result is published only for the version it was made from.
A test file is not a `.flow` module: it never goes through the scheduler of
lsp_documents.py, and nothing imports it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .lsp_documents import path_of
from .source import SourceFile
from .testing import check_flowtest
from .testing.programs import Programs

SUFFIX = ".flowtest"

# (uri, version, diagnostics, the sources their spans are in) -> publication
Publish = Callable[[str, int, list[Diagnostic], dict[str, SourceFile]], None]


def is_test_file(uri: str) -> bool:
    return uri.endswith(SUFFIX)


@dataclass
class _Pending:
    version: int
    task: asyncio.Task[None]


class TestFiles:
    """The open test files and the check of each one's latest text."""

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._pending: dict[str, _Pending] = {}
        self.texts: dict[str, str] = {}

    def changed(self, uri: str, text: str, version: int) -> None:
        self.texts[uri] = text
        previous = self._pending.pop(uri, None)
        if previous is not None:
            previous.task.cancel()
        task = asyncio.get_running_loop().create_task(self._check(uri, text, version))
        self._pending[uri] = _Pending(version, task)

    def closed(self, uri: str) -> None:
        self.texts.pop(uri, None)
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.task.cancel()

    async def _check(self, uri: str, text: str, version: int) -> None:
        path = path_of(uri)
        diagnostics, sources = await asyncio.to_thread(_diagnostics_of, path, text)
        pending = self._pending.get(uri)
        if pending is not None and pending.version == version:
            del self._pending[uri]
            self._publish(uri, version, diagnostics, sources)


def _diagnostics_of(path: str, text: str) -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    # With the text given, nothing is read but the files the test names, whose
    # problems (missing, not parsing) are diagnostics of the test. The flow it calls is
    # checked, not built: nothing generated at each keystroke, no cache written.
    checked = check_flowtest(path, text, Programs(generate=False))
    return list(checked.diagnostics), dict(checked.sources)
