"""The file being parsed: its text, the places in it, and the syntax errors found so far."""

from __future__ import annotations

import bisect
import dataclasses
import functools
from dataclasses import dataclass

from lark import Token

from ..diagnostics import Diagnostic
from ..source import SourceFile, Span
from . import messages

MAX_ERRORS = 20
"""Syntax errors reported per file; past this many the rest of the file is not read."""


class TooManyErrors(Exception):
    """Raised on the MAX_ERRORS-th diagnostic of a file: the rest is not worth reading."""


class ParseContext:
    """One file's text and diagnostics, shared by every part of its parse."""

    def __init__(self, source: SourceFile) -> None:
        self.file = source.path
        self.text = source.text
        self.diagnostics: list[Diagnostic] = []

    def token_span(self, token: Token) -> Span:
        """Where a token is. Every token the parser sees carries its line and column in
        the file: Lark counts them, in templates too (see Automaton.start_at)."""
        return Span(self.file, token.line, token.column, token.end_line, token.end_column)  # type: ignore[arg-type]

    def span(self, start: int, end: int) -> Span:
        """The span of the file offsets [start, end)."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.file, line, column, end_line, end_column)

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column of a file offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def end(self) -> tuple[int, int]:
        """The line and column just past the last character."""
        text = self.text
        return text.count("\n") + 1, len(text) - text.rfind("\n")

    def report(self, diagnostic: Diagnostic) -> None:
        """Record a diagnostic; the last one allowed ends the parse (`TooManyErrors`)."""
        if len(self.diagnostics) + 1 < MAX_ERRORS:
            self.diagnostics.append(diagnostic)
            return
        note = messages.stopped_reading(MAX_ERRORS)
        self.diagnostics.append(dataclasses.replace(diagnostic, notes=(*diagnostic.notes, note)))
        raise TooManyErrors

    def withdraw(self, code: str, since: int) -> None:
        """Drop the diagnostics with this code among those reported since the first `since`."""
        self.diagnostics[since:] = [d for d in self.diagnostics[since:] if d.code != code]

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        # Only offsets need it (errors at characters the lexer cannot read): a clean
        # parse takes every position from its tokens and never builds it.
        starts = [0]
        newline = self.text.find("\n")
        while newline != -1:
            starts.append(newline + 1)
            newline = self.text.find("\n", newline + 1)
        return starts


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A piece of the file (a string token, the inside of a template) and where it begins.

    The places of its characters are counted from its own first line and column,
    so decoding a string needs no table of the whole file's lines.
    """

    file: str
    text: str
    line: int
    column: int

    def position(self, index: int) -> tuple[int, int]:
        """The line and column in the file of text[index]."""
        newline = self.text.rfind("\n", 0, index)
        if newline == -1:
            return self.line, self.column + index
        return self.line + self.text.count("\n", 0, newline + 1), index - newline

    def span(self, start: int, end: int) -> Span:
        """The span in the file of text[start:end]."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.file, line, column, end_line, end_column)

    def part(self, start: int, end: int) -> Excerpt:
        """The excerpt of text[start:end]."""
        line, column = self.position(start)
        return Excerpt(self.file, self.text[start:end], line, column)
