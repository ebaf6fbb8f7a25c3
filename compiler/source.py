"""Source files and spans: where every AST node and diagnostic points."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A region of one source file. Lines and columns are 1-based; the end is exclusive.

    A zero-width span (start == end) marks a point, e.g. the end of the file.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def cover(self, other: Span) -> Span:
        """The smallest span holding both (both must lie in the same file)."""
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(self.file, start[0], start[1], end[0], end[1])


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one file as the compiler read it, for spans and for rendering snippets."""

    path: str
    text: str

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its newline, or "" past the end."""
        # Spans count "\n" only, so lines are split on it alone (not on \f or \u2028
        # as str.splitlines would); a "\r" before the newline is not shown.
        lines = self.text.split("\n")
        return lines[line - 1].removesuffix("\r") if 1 <= line <= len(lines) else ""
