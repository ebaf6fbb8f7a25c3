"""Strings: escapes decoded and `{{ templates }}` parsed, each part with its span in the file.

A STRING token is decoded as soon as it is read (it is a terminal with a
builder method). Most strings hold neither escapes nor templates and are
taken as they are. A template that is a plain path (`{{book.meeting_link}}`)
is built here without running the parser; any other is parsed as an
expression by the parse's own `TemplateParser`, in place, so that its nodes
have spans in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lark import Token

from .. import ast
from ..source import Span
from . import messages
from .context import Excerpt, ParseContext
from .nesting import MAX_NESTING

TemplateParser = Callable[[Excerpt, int], ast.Expr | None]
"""Parses the inside of one template: its excerpt of the file, and the offset of it there."""

_SIMPLE_PATH = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}")


class StringReader:
    """Decodes the strings of one file.

    A reader without a template parser decodes the strings inside templates,
    which cannot hold templates of their own.
    """

    def __init__(
        self,
        context: ParseContext,
        reserved: frozenset[str],
        parse_template: TemplateParser | None,
    ) -> None:
        self.context = context
        self.reserved = reserved
        self.parse_template = parse_template

    def read(self, token: Token) -> ast.StringLit:
        raw: str = token.value
        quote = 3 if raw.startswith('"""') else 1
        span = self.context.token_span(token)
        if "\\" not in raw and "{{" not in raw:
            return _as_written(raw, quote, span)
        excerpt = Excerpt(span.file, raw, span.line, span.column)
        return _Decoding(self, excerpt, quote, token.start_pos).decode(span)


def _as_written(raw: str, quote: int, span: Span) -> ast.StringLit:
    """A string without escapes or templates: its text between the quotes."""
    content = _newlines(raw[quote:-quote])
    if not content:
        return ast.StringLit((), span)
    # The quotes are on the string's first and last lines.
    inside = Span(span.file, span.line, span.column + quote, span.end_line, span.end_column - quote)
    return ast.StringLit((ast.TextPart(content, inside),), span)


class _Decoding:
    """One string with escapes or templates, split into its parts as they are found."""

    def __init__(self, reader: StringReader, excerpt: Excerpt, quote: int, at: int | None) -> None:
        self.reader = reader
        self.excerpt = excerpt
        self.raw = excerpt.text
        self.quote = quote
        # Offset of the opening quote in the file (for a string of the file itself:
        # the only kind whose templates are parsed).
        self.at = at
        self.parts: list[ast.StringPart] = []
        self.text: list[str] = []
        self.text_start = quote

    def decode(self, span: Span) -> ast.StringLit:
        raw, end = self.raw, len(self.raw) - self.quote
        i = self.quote
        while i < end:
            if raw[i] == "\\":
                i = self._escape(i)
            elif raw.startswith("{{", i):
                i = self._template(i)
            elif raw[i] == "\r" and raw.startswith("\r\n", i):
                self.text.append("\n")  # see _newlines
                i += 2
            else:
                self.text.append(raw[i])
                i += 1
        self._flush(end)
        return ast.StringLit(tuple(self.parts), span)

    def _flush(self, upto: int) -> None:
        if self.text:
            span = self.excerpt.span(self.text_start, upto)
            self.parts.append(ast.TextPart("".join(self.text), span))
            self.text = []

    def _escape(self, i: int) -> int:
        """Decode the escape at raw[i] (a backslash); returns the index after it."""
        raw = self.raw
        char = raw[i + 1]
        if char in _ESCAPES:
            self.text.append(_ESCAPES[char])
            return i + 2
        unicode = _UNICODE_ESCAPE.match(raw, i + 1)
        if unicode is not None:
            code = int(unicode.group(1), 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                self.text.append(chr(code))
                return unicode.end()
        report = self.reader.context.report
        if char in "\r\n":
            report(messages.backslash_at_line_end(self.excerpt.span(i, i + 1)))
            return i + 1
        width = unicode.end() - i if unicode else 2
        span, written = self.excerpt.span(i, i + width), raw[i : i + width]
        if unicode:
            report(messages.not_a_character(span, written))
        else:
            report(messages.unknown_escape(span, written))
        return i + width

    def _template(self, i: int) -> int:
        """Parse the template opening at raw[i]; returns the index after its `}}`."""
        self._flush(i)
        close = _template_end(self.raw, i + 2)
        span = self.excerpt.span(i, close + 2)
        expr = self._expression(i + 2, close, span)
        if expr is not None:
            self.parts.append(ast.TemplatePart(expr, span))
        self.text_start = close + 2
        return close + 2

    def _expression(self, start: int, end: int, span: Span) -> ast.Expr | None:
        """The expression in raw[start:end], the inside of a template whose braces are at `span`."""
        inner = self.excerpt.part(start, end)
        report = self.reader.context.report
        if not inner.text.strip():
            report(messages.empty_template(span))
            return None
        parse_template = self.reader.parse_template
        if parse_template is None:
            report(messages.nested_template(span))
            return None
        path = self._simple_path(inner)
        if path is not None:
            return path
        assert self.at is not None, "a string of the file has its offset"
        return parse_template(inner, self.at + start)

    def _simple_path(self, inner: Excerpt) -> ast.Name | ast.FieldAccess | None:
        """The AST of a template that is a plain path (`name.field`), built without
        running the parser: most templates are, and it makes them several times faster.
        Anything else, keywords included, is left to the parser and its messages."""
        match = _SIMPLE_PATH.fullmatch(inner.text)
        if match is None:
            return None
        names = match.group(1).split(".")
        if len(names) > MAX_NESTING or (names[0] in self.reader.reserved and names[0] != "call"):
            return None
        position = match.start(1)
        expr: ast.Name | ast.FieldAccess | None = None
        for name in names:
            span = inner.span(position, position + len(name))
            ident = ast.Ident(name, span)
            if expr is None:
                expr = ast.Name(ident, span)
            else:
                start = expr.span
                whole = Span(start.file, start.line, start.column, span.end_line, span.end_column)
                expr = ast.FieldAccess(expr, ident, whole)
            position += len(name) + 1
        return expr


def _newlines(text: str) -> str:
    """Text as written in the file, with CRLF line breaks read as LF (as Python reads
    its own source): a multi-line string says the same words in a file saved on Windows."""
    return text.replace("\r\n", "\n") if "\r" in text else text


def _template_end(raw: str, i: int) -> int:
    """Index of the `}}` that closes a template whose inside starts at raw[i].

    The lexer only accepts strings whose templates are closed, so one is found;
    strings inside the template are skipped whole.
    """
    while not raw.startswith("}}", i):
        if raw[i] == '"':
            i += 1
            while raw[i] != '"':
                i += 2 if raw[i] == "\\" else 1
        i += 1
    return i
