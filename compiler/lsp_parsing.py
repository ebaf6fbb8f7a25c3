"""Parsing for the language server: each file's declarations parsed once, and again only
when their own text changes.

A keystroke changes one declaration of a file; parsing the whole file again
would cost time proportional to the file (about 40 ms per 1,000 lines). So a
file is cut into chunks, each beginning at a line that starts a top-level
declaration (`flow`, `action`, `from`, `python` at column 1), and each chunk is
parsed on its own, as a file that has blank lines where the chunks before it
are (blank lines are ignored by the grammar, so every span comes out where it
is in the whole file). A chunk whose text was parsed before is reused: where
it now starts on another line (lines were added above it), its tree is shifted
to its new lines, which costs a fraction of a parse.

The result is the whole file's parse whenever every chunk parses cleanly: the
grammar's module is a sequence of declarations, and each chunk holds whole
ones. A cut that is not between declarations (a line starting `flow` inside a
triple-quoted string) leaves a chunk with an unterminated string, an error;
any error makes the file be parsed whole, so its syntax errors are exactly
those `flowc check` reports (recovery may run across chunks).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import ast
from .parser import ParseResult, parse
from .source import SourceFile, Span

# A line that begins a top-level declaration.
_DECLARATION_START = re.compile(r"^(?:flow|action|from|python)\b", re.MULTILINE)


class Cancelled(Exception):
    """The text being parsed is already out of date: a newer analysis will follow."""


@dataclass(frozen=True, slots=True)
class _Chunk:
    first_line: int
    text: str


@dataclass(frozen=True, slots=True)
class _ParsedChunk:
    first_line: int
    declarations: tuple[ast.Declaration, ...]


class IncrementalParser:
    """A `parse` that remembers, per file, its last text, its result and its chunks' trees.

    Used by one thread at a time (the server's analysis worker).
    """

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, ParseResult]] = {}
        self._chunks: dict[str, dict[str, _ParsedChunk]] = {}
        # Asked before each declaration is parsed: True stops the parse (`Cancelled`).
        self.is_cancelled: Callable[[], bool] = lambda: False

    def __call__(self, source: SourceFile) -> ParseResult:
        known = self._files.get(source.path)
        if known is not None and known[0] == source.text:
            return known[1]
        result = self._parse_in_chunks(source)
        self._files[source.path] = (source.text, result)
        return result

    def _parse_in_chunks(self, source: SourceFile) -> ParseResult:
        known = self._chunks.get(source.path, {})
        parsed: dict[str, _ParsedChunk] = {}
        declarations: list[ast.Declaration] = []
        for chunk in _chunks_of(source.text):
            if self.is_cancelled():
                raise Cancelled
            done = parsed.get(chunk.text) or known.get(chunk.text)
            if done is None:
                done = _parse_chunk(source.path, chunk)
                if done is None:  # a syntax error: the whole file's parse says what it is
                    # The clean chunks stay known: once the error is fixed, only the
                    # declaration that had it is parsed again.
                    self._chunks[source.path] = known | parsed
                    return parse(source)
            elif done.first_line != chunk.first_line:
                done = _ParsedChunk(
                    chunk.first_line, shifted(done.declarations, chunk.first_line - done.first_line)
                )
            parsed[chunk.text] = done
            declarations.extend(done.declarations)
        self._chunks[source.path] = parsed
        return ParseResult(_module(source, tuple(declarations)), ())


def _chunks_of(text: str) -> list[_Chunk]:
    starts = [m.start() for m in _DECLARATION_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = [*starts[1:], len(text)]
    chunks = []
    line = 1
    for start, end in zip(starts, ends, strict=True):
        piece = text[start:end]
        chunks.append(_Chunk(line, piece))
        line += piece.count("\n")
    return chunks


def _parse_chunk(path: str, chunk: _Chunk) -> _ParsedChunk | None:
    """The chunk's declarations, or None when it does not parse cleanly on its own."""
    padded = "\n" * (chunk.first_line - 1) + chunk.text
    result = parse(SourceFile(path, padded))
    if result.module is None or result.diagnostics:
        return None
    return _ParsedChunk(chunk.first_line, result.module.declarations)


def _module(source: SourceFile, declarations: tuple[ast.Declaration, ...]) -> ast.Module:
    """The module the whole file's parse would build (its span covers the whole text)."""
    text = source.text
    end = Span(source.path, 1, 1, text.count("\n") + 1, len(text) - text.rfind("\n"))
    return ast.Module(source.path, declarations, end)


def shifted(node: Any, lines: int) -> Any:
    """A copy of a syntax tree (or any tuple or dataclass of them) `lines` lines further down.

    Generic over the AST's dataclasses, so a new kind of node needs nothing here.
    """
    kind = type(node)
    if kind is Span:
        return Span(
            node.file, node.line + lines, node.column, node.end_line + lines, node.end_column
        )
    if kind is tuple:
        return tuple([shifted(item, lines) for item in node])
    names = _field_names(kind)
    if names is None:
        return node  # str, int, float, bool, an enum member, None
    return kind(*[shifted(getattr(node, name), lines) for name in names])


def subtrees(node: Any) -> Iterator[Any]:
    """Every node inside a syntax tree (or tuple or dataclass of them), the tree first.

    Generic like `shifted`: it finds a kind of node wherever the AST holds one.
    """
    pending = [node]
    while pending:
        current = pending.pop()
        if type(current) is tuple:
            pending.extend(reversed(current))
            continue
        names = _field_names(type(current))
        if names is not None and type(current) is not Span:
            yield current
            pending.extend(reversed([getattr(current, name) for name in names]))


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass, in order; None for anything else. Looked up once per class."""
    if kind not in _FIELD_NAMES:
        is_node = dataclasses.is_dataclass(kind)
        _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind)) if is_node else None
    return _FIELD_NAMES[kind]
