"""Places, both ways: flowc spans (1-based, code points) and LSP ranges (0-based, client units).

LSP positions count characters in the encoding agreed at initialisation (UTF-16
code units unless the client offers another); flowc spans count code points,
so columns are converted per line, with each file's lines split once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lsprotocol import types
from pygls.workspace import PositionCodec

from .source import SourceFile, Span


@dataclass(frozen=True, slots=True)
class Point:
    """A place in a file as flowc counts: 1-based line and column (code points)."""

    line: int
    column: int


def contains(span: Span, point: Point) -> bool:
    """Whether the point is inside the span or at its end (a cursor just after a name)."""
    start, end = (span.line, span.column), (span.end_line, span.end_column)
    return start <= (point.line, point.column) <= end


class Ranges:
    """Span -> LSP range and LSP position -> Point, for the files of one analysis."""

    def __init__(self, sources: Mapping[str, SourceFile], codec: PositionCodec) -> None:
        self._sources = sources
        self._codec = codec
        self._lines: dict[str, list[str]] = {}

    def __call__(self, span: Span) -> types.Range:
        lines = self.lines_of(span.file)
        return types.Range(
            start=self._position(lines, span.line, span.column),
            end=self._position(lines, span.end_line, span.end_column),
        )

    def point(self, path: str, position: types.Position) -> Point:
        """Where an LSP position is in the file, as flowc counts."""
        lines = self.lines_of(path)
        if position.line >= len(lines):
            return Point(position.line + 1, position.character + 1)
        converted = self._codec.position_from_client_units(lines, position)
        return Point(converted.line + 1, converted.character + 1)

    def lines_of(self, path: str) -> list[str]:
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
