"""One analysis of an open document: its check, and what the editor's requests read from it.

The check (parse, load imports, resolve, check) is what diagnostics need; the
index of names and the AST lookups by position are built on the first request
that needs them, not on every keystroke. An analysis never changes once made.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from . import ast
from .checker.model import BodyModel
from .lsp_index import Index, build_index
from .lsp_positions import Point, contains
from .pipeline import CheckResult
from .source import Span


@dataclass(frozen=True, slots=True)
class Place:
    """Where a cursor is in the AST: the declaration, the body and the step around it."""

    declaration: ast.Declaration | None
    body: BodyModel | None
    # The step the cursor is in, or else the last step that ends before it.
    step: ast.Step | None


class Analysis:
    def __init__(self, path: str, version: int, result: CheckResult) -> None:
        self.path = path  # the document's, as the loader knows it
        self.version = version
        self.result = result
        # The mtime (ns) of each file read from disk, taken just after the check read it.
        # (A change in between goes unnoticed by the looks at mtimes, not by the next
        # analysis of the document: every analysis reads the files afresh.)
        self.read_at = {p: _mtime(p) for p in result.sources if p != path}

    @cached_property
    def index(self) -> Index:
        return build_index(self.result.program, self.result.model)

    def module(self) -> ast.Module | None:
        """The document's syntax tree; None when its text does not parse."""
        return self.result.program.modules.get(self.path)

    def place(self, point: Point) -> Place:
        module = self.module()
        if module is None:
            return Place(None, None, None)
        declaration = next((d for d in module.declarations if _within_lines(d.span, point)), None)
        if not isinstance(declaration, ast.Action | ast.Flow):
            return Place(declaration, None, None)
        node: ast.Action | ast.Flow | ast.AfterCall = declaration
        after_call = declaration.after_call if isinstance(declaration, ast.Flow) else None
        if after_call is not None and _within_lines(after_call.span, point):
            node = after_call
        body = self.result.model.bodies.get(node)
        steps = body.body.steps if body is not None else ()
        step = next((s for s in steps if contains(s.span, point)), None)
        if step is not None:
            return Place(declaration, body, step)
        before = [
            s for s in steps if (s.span.end_line, s.span.end_column) <= (point.line, point.column)
        ]
        return Place(declaration, body, before[-1] if before else None)

    def changed_on_disk(self) -> Iterator[str]:
        """The files this analysis read from disk that have changed (or gone) since."""
        return (path for path, mtime in self.read_at.items() if _mtime(path) != mtime)


def _within_lines(span: Span, point: Point) -> bool:
    return span.line <= point.line <= span.end_line


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None
