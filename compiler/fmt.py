"""`flowc fmt`: one canonical layout of .flow source, its comments kept, its meaning unchanged.

The text is parsed and printed again from its AST, so the layout depends on
nothing the author typed but the program, blank lines between members (at
most one is kept) and parentheses (those written are kept, those needed are
added). The layout is the one of the language reference: two spaces a level,
one member, step or clause a line, each clause of a step on a line of its own
below it, in the order the reference lists them; a blank line between the
sections of a body (meta, inputs, outputs, default handlers and then intents,
steps, after call) and before a labelled step. Bracketed lists (arguments, fields, entries, options)
stay on the line when it fits in LINE_LENGTH columns and hold no comment, and
are otherwise written one item a line, each with a trailing comma. Literals
(strings with their templates, numbers, durations) are written as in the
source, so no escape or template is ever re-spelt.

The parser drops comments; they are found again in the text (`_comments`),
and each is put on the printed line that holds the source it was next to: a
comment after code on its line stays at the end of that line's printed line
(with two spaces before it); a comment on a line of its own goes before the
line printed for what follows it, at that line's indentation.

Formatting never changes meaning: the result is parsed again and its AST
compared with the original's, spans aside; a difference is a bug of the
formatter (`FormatterBug`), never written out. `format_text` is the entry
point for the command line and for the language server's formatting.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import difflib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import ast
from .diagnostics import Diagnostic, render_human
from .loader import read_source
from .parser import parse
from .parsing.grammar import load_grammar
from .source import SourceFile, Span

__all__ = [
    "LINE_LENGTH",
    "FormatError",
    "FormatterBug",
    "SourceSyntaxError",
    "format_text",
    "shape",
]

LINE_LENGTH = 100
INDENT = "  "


class FormatError(Exception):
    """The text cannot be formatted; the message says why."""


class SourceSyntaxError(FormatError):
    """The text does not parse: its syntax diagnostics, as `flowc check` reports them."""

    def __init__(self, source: SourceFile, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"cannot format {source.path}: it has syntax errors")
        self.source = source
        self.diagnostics = tuple(diagnostics)


class FormatterBug(FormatError):
    """The formatter went wrong (its output would mean something else, or it met a node
    it cannot print): nothing is written, and the message asks for a report."""


def format_text(source: str, path: str = "<text>") -> str:
    """The canonical layout of `source`, the text of the .flow file `path`.

    Raises SourceSyntaxError when the text does not parse, FormatterBug when the
    result would not parse to the same program. Line endings follow the text's
    first line (CRLF or LF).
    """
    original = SourceFile(path, source)
    result = parse(original)
    if result.module is None:
        raise SourceSyntaxError(original, result.diagnostics)
    formatted = _Printer(original, result.module).print()
    _check_same_program(result.module, formatted, path)
    if source.split("\n", 1)[0].endswith("\r"):
        formatted = formatted.replace("\n", "\r\n")
    return formatted


def _check_same_program(before: ast.Module, text: str, path: str) -> None:
    after = parse(SourceFile(path, text)).module
    if after is None:
        raise FormatterBug(f"formatting {path} gave text that does not parse")
    if shape(after) != shape(before):
        raise FormatterBug(f"formatting {path} would change the program it holds")


def shape(node: object) -> object:
    """A node as nested tuples without its spans: what two texts of one program share."""
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    if isinstance(node, Span):
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        values = (shape(getattr(node, f.name)) for f in dataclasses.fields(node))
        return (type(node).__name__, *values)
    return node


# --------------------------------------------------------------------------
# Comments, found in the text


@dataclass(frozen=True, slots=True)
class Comment:
    start: int  # offset of the `#`
    text: str  # from the `#` to the end of its line, trailing blanks dropped
    own_line: bool  # nothing but blanks before it on its line
    blank_before: bool  # an empty line between it and what comes before it


@functools.cache
def _string_pattern() -> re.Pattern[str]:
    """The STRING terminal of the grammar: a `#` inside a string is no comment."""
    (string,) = (t for t in load_grammar().lark.terminals if t.name == "STRING")
    return re.compile(string.pattern.to_regexp())


_STRING_OR_COMMENT = re.compile(r'["#]')


def _comments(text: str) -> list[Comment]:
    """Every comment of a text that parses: outside strings, a `#` opens a comment, and
    outside comments a `"` opens a string."""
    found: list[Comment] = []
    strings = _string_pattern()
    position = 0
    while (hit := _STRING_OR_COMMENT.search(text, position)) is not None:
        start = hit.start()
        if text[start] == '"':
            string = strings.match(text, start)
            position = string.end() if string is not None else start + 1
            continue
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line_start = text.rfind("\n", 0, start) + 1
        own_line = not text[line_start:start].strip()
        found.append(Comment(start, text[start:end].rstrip(), own_line, _blank_before(text, start)))
        position = end
    return found


def _blank_before(text: str, offset: int) -> bool:
    """Whether an empty line separates offset from the last thing written before it."""
    i = offset
    while i > 0 and text[i - 1] in " \t\r\n\f":
        i -= 1
    return i > 0 and text.count("\n", i, offset) >= 2


# --------------------------------------------------------------------------
# Documents: what one line of output holds before it is laid out


@dataclass(frozen=True, slots=True)
class Text:
    """Text printed as it is; `span` is where it came from (None for keywords and
    punctuation), which decides where comments go."""

    text: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """Items between brackets, separated by commas: on one line when they fit and hold
    no comment, otherwise one item a line with a trailing comma, the closing bracket
    on a line of its own (an empty `close`: no closing line)."""

    open: str
    items: tuple[Doc, ...]
    close: str
    # Blanks inside the brackets on one line: `{ a: text }`, but `(a = 1)` and `[a]`.
    padded: bool = False
    # A list of items takes a comma after the last one when broken; an index does not.
    listed: bool = True
    # The source offsets the items lie within, to the closing bracket (its offset is
    # the last): a comment there breaks the group.
    region: tuple[int, int] | None = None


Piece = Text | Group
Doc = tuple[Piece, ...]


def _flat(doc: Doc) -> str:
    return "".join(_flat_piece(piece) for piece in doc)


def _flat_piece(piece: Piece) -> str:
    if isinstance(piece, Text):
        return piece.text
    inside = ", ".join(_flat(item) for item in piece.items)
    if piece.padded and inside:
        inside = f" {inside} "
    return f"{piece.open}{inside}{piece.close}"


@dataclass
class Line:
    """One printed line, with what decides its comments and the blank lines around it."""

    indent: int
    text: str = ""
    # Source offsets of the first and last character it prints from the source.
    start: int | None = None
    end: int | None = None
    # A blank line before it: always (`blank_before`), or when the source has one (`keep_blank`).
    blank_before: bool = False
    keep_blank: bool = False
    opens: bool = False  # it opens a block: no blank line after it
    closes: bool = False  # the `}` of a block: comments before it are inside the block
    leading: list[Comment] = field(default_factory=list)
    trailing: Comment | None = None

    @property
    def column(self) -> int:
        """Where the next character would go (after the last line break of a `\"\"\"` string)."""
        newline = self.text.rfind("\n")
        if newline == -1:
            return len(INDENT) * self.indent + len(self.text)
        return len(self.text) - newline - 1


# A member of a body prints its own lines at the indentation it is given; the flag
# says whether it begins a section after another (a blank line before it).
Member = Callable[[int, bool], None]

# Binding strength of each expression form (higher binds tighter), as in grammar/flow.lark.
_OR, _AND, _NOT, _COMPARE, _FALLBACK, _ADD, _MUL, _UNARY, _POSTFIX, _ATOM = range(1, 11)

Printed = tuple[Doc, int]
"""An expression's document and its binding strength."""


class _Printer:
    """Prints one parsed file: its declarations as lines, then its comments among them."""

    def __init__(self, source: SourceFile, module: ast.Module) -> None:
        self.text = source.text
        self.module = module
        self.comments = _comments(self.text)
        self.comment_offsets = [c.start for c in self.comments]
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        self.lines: list[Line] = []
        # The indentation of the step being printed (for what fits on its line).
        self.indent = 0

    # -- places in the source ------------------------------------------------

    def start_of(self, span: Span) -> int:
        return self.line_starts[span.line - 1] + span.column - 1

    def end_of(self, span: Span) -> int:
        return self.line_starts[span.end_line - 1] + span.end_column - 1

    def source_of(self, span: Span) -> str:
        return self.text[self.start_of(span) : self.end_of(span)].replace("\r\n", "\n")

    def region(self, after: Span, items: Sequence[Span]) -> tuple[int, int] | None:
        """The offsets of a group's brackets (the second one past the closing bracket):
        `after` precedes the opening one, which the AST has no place for."""
        if not items:
            return None
        opening = _next_token(self.text, self.end_of(after))
        return (opening, _next_token(self.text, self.end_of(items[-1])) + 1)

    def bracketed(self, span: Span) -> tuple[int, int]:
        """The region of a node whose span holds its brackets (`[...]`, `{...}`)."""
        return (self.start_of(span), self.end_of(span))

    def opening_bracket(self, offset: int) -> int:
        """The offset of the bracket before a group's first item, which starts at `offset`
        (the AST has no place for it): only blanks and comments can come between."""
        while True:
            while offset > 0 and self.text[offset - 1].isspace():
                offset -= 1
            at = bisect.bisect_right(self.comment_offsets, offset) - 1
            comment = self.comments[at] if at >= 0 else None
            if comment is None or comment.start + len(comment.text) != offset:
                return offset - 1
            offset = comment.start

    def has_comment(self, region: tuple[int, int]) -> bool:
        at = bisect.bisect_right(self.comment_offsets, region[0])
        return at < len(self.comments) and self.comments[at].start < region[1]

    # -- the file ------------------------------------------------------------

    def print(self) -> str:
        previous: ast.Declaration | None = None
        for declaration in self.module.declarations:
            both_short = previous is not None and _one_line(previous) and _one_line(declaration)
            self.declaration(declaration, blank_before=previous is not None and not both_short)
            previous = declaration
        leftover = _place_comments(self.lines, self.comments)
        return self.join(leftover)

    def emit(
        self, doc: Doc, indent: int, blank_before: bool = False, keep_blank: bool = True,
        opens: bool = False, closes: bool = False,
    ) -> None:  # fmt: skip
        """Lay out one document from a new line on, at an indentation level."""
        lines = _Layout(self, indent).lay_out(doc)
        first = lines[0]
        first.blank_before, first.keep_blank, first.opens = blank_before, keep_blank, opens
        lines[-1].closes |= closes
        self.lines.extend(lines)

    def declaration(self, d: ast.Declaration, blank_before: bool) -> None:
        match d:
            case ast.FileImport():
                doc = self.import_(self.string(d.path), d.path.span, d.names)
                self.emit((_anchor(d.span), *doc), 0, blank_before)
            case ast.PackageImport():
                doc = self.import_(Text(d.package), _point(d.names[0].span), d.names)
                self.emit((_anchor(d.span), *doc), 0, blank_before)
            case ast.PythonDecl():
                self.emit((_anchor(d.span), *self.python(d)), 0, blank_before)
            case ast.Action():
                sections = [
                    self.meta_section(d.meta),
                    [self.member(self.input_(i), i.span) for i in d.inputs],
                    [self.member(self.output(o), o.span) for o in d.outputs],
                    [
                        *(self.member(self.handler(h), h.span) for h in d.handlers),
                        *(self.member(self.intent(i), i.span) for i in d.intents),
                    ],
                    [self.steps_section(d.steps)] if d.steps else [],
                ]
                self.block(
                    Text(f"action {d.name.name}", d.name.span), sections, d.span, 0, blank_before
                )
            case ast.Flow():
                after = d.after_call
                sections = [
                    self.meta_section(d.meta),
                    [
                        *(self.member(self.handler(h), h.span) for h in d.handlers),
                        *(self.member(self.intent(i), i.span) for i in d.intents),
                    ],
                    [self.steps_section(d.steps)] if d.steps else [],
                    [functools.partial(self.after_call, after)] if after is not None else [],
                ]
                self.block(
                    Text(f"flow {d.name.name}", d.name.span), sections, d.span, 0, blank_before
                )

    def import_(self, source: Text, after: Span, names: tuple[ast.Ident, ...]) -> Doc:
        items = tuple((Text(n.name, n.span),) for n in names)
        # No closing bracket: the names end with the last.
        region = (self.end_of(after), self.end_of(names[-1].span))
        return (Text("from "), source, Text(" import"), Group(" ", items, "", region=region))

    def python(self, d: ast.PythonDecl) -> Doc:
        params = tuple(
            (Text(p.name.name, p.name.span), Text(": "), *self.type_(p.type)) for p in d.params
        )
        region = self.region(d.function.span, [param.span for param in d.params])
        head = Text(f"python {d.module}.{d.function.name}", d.function.span)
        return (head, Group("(", params, ")", region=region), Text(" -> "), *self.type_(d.returns))

    # -- blocks and sections -------------------------------------------------

    def block(
        self, head: Text, sections: Iterable[list[Member]], span: Span, indent: int,
        blank_before: bool,
    ) -> None:  # fmt: skip
        """`head {`, the non-empty sections one blank line apart, `}`."""
        filled = [section for section in sections if section]
        if not filled:
            self.emit((_anchor(span), head, Text(" {}")), indent, blank_before)
            return
        self.emit((_anchor(span), head, Text(" {")), indent, blank_before, opens=True)
        for index, section in enumerate(filled):
            for position, member in enumerate(section):
                member(indent + 1, index > 0 and position == 0)
        self.emit((Text("}", _last_character(span)),), indent, closes=True)

    def member(self, doc: Doc, span: Span) -> Member:
        def print_member(indent: int, new_section: bool) -> None:
            self.emit((_anchor(span), *doc), indent, new_section)

        return print_member

    def meta_section(self, meta: ast.Meta | None) -> list[Member]:
        if meta is None:
            return []
        entries = [
            self.member(
                (Text(e.key.name, e.key.span), Text(": "), self.meta_value(e.value)), e.span
            )
            for e in meta.entries
        ]

        def print_meta(indent: int, new_section: bool) -> None:
            self.block(Text("meta"), [entries], meta.span, indent, new_section)

        return [print_meta]

    def meta_value(self, value: ast.StringLit | ast.Ident) -> Text:
        if isinstance(value, ast.StringLit):
            return self.string(value)
        return Text(value.name, value.span)

    def input_(self, i: ast.Input) -> Doc:
        doc: Doc = (Text(f"input {i.name.name}", i.name.span), Text(": "), *self.type_(i.type))
        if i.default is not None:
            doc += (Text(" = "), *self.expr(i.default))
        if i.configurable:
            doc += (Text(" configurable"),)
            if i.label is not None:
                doc += (Text(" "), self.string(i.label))
        return doc

    def output(self, o: ast.Output) -> Doc:
        name = Text(f"output {o.name.name}", o.name.span)
        if not o.fields:
            return (name,)
        fields = tuple(self.field_type(f) for f in o.fields)
        return (
            name,
            Group("(", fields, ")", region=self.region(o.name.span, [f.span for f in o.fields])),
        )

    def after_call(self, after: ast.AfterCall, indent: int, new_section: bool) -> None:
        sections = [[self.steps_section(after.steps)]] if after.steps else []
        self.block(Text("after call"), sections, after.span, indent, new_section)

    def steps_section(self, steps: tuple[ast.Step, ...]) -> Member:
        def print_steps(indent: int, new_section: bool) -> None:
            for index, step in enumerate(steps):
                # A labelled step begins a new stretch of the body.
                labelled = index > 0 and bool(step.labels)
                self.step(step, indent, (new_section and index == 0) or labelled)

        return print_steps

    # -- steps ---------------------------------------------------------------

    def step(self, step: ast.Step, indent: int, blank_before: bool) -> None:
        for label in step.labels:
            self.emit((Text(f"{label.name}:", label.span),), indent, blank_before)
            blank_before = False
        printer = _STEP_PRINTERS.get(type(step))
        if printer is None:
            raise FormatterBug(f"no layout for a {type(step).__name__} step")
        self.indent = indent
        head, clauses = printer(self, step)
        self.emit((_anchor(step.span), *head), indent, blank_before, keep_blank=not step.labels)
        for clause in clauses:
            self.emit(clause, indent + 1, keep_blank=False)

    def handler(self, h: ast.Handler) -> Doc:
        event = Text(h.event.name, h.event.span)
        return (_anchor(h.span), Text("on "), event, Text(" -> "), *self.target(h.target))

    def intent(self, i: ast.Intent) -> Doc:
        phrases = tuple(self.expr(phrase) for phrase in i.phrases)
        return (
            _anchor(i.span),
            Text("on intent "),
            Text(i.name.name, i.name.span),
            Text(" "),
            Group("[", phrases, "]", region=self.bracketed(i.brackets)),
            Text(" -> "),
            *self.target(i.target),
        )

    def on(self, handler: ast.Handler | None) -> list[Doc]:
        return [] if handler is None else [self.handler(handler)]

    def target(self, t: ast.Target) -> Doc:
        name = Text(t.name.name, t.name.span)
        if t.args is None:
            return (name,)
        return (name, self.args(t.args, t.name.span))

    def args(self, args: tuple[ast.Arg, ...], after: Span) -> Group:
        items = tuple(
            (Text(a.name.name, a.name.span), Text(" = "), *self.expr(a.value)) for a in args
        )
        return Group("(", items, ")", region=self.region(after, [a.span for a in args]))

    def entries(self, entries: tuple[ast.Entry, ...]) -> Group:
        items = tuple((self.string(e.key), Text(": "), *self.expr(e.value)) for e in entries)
        spans = [e.span for e in entries]
        region = None
        if spans:
            start = self.opening_bracket(self.start_of(spans[0]))
            region = (start, _next_token(self.text, self.end_of(spans[-1])) + 1)
        return Group("{", items, "}", padded=True, region=region)

    # -- types ---------------------------------------------------------------

    def type_(self, t: ast.TypeExpr) -> Doc:
        match t:
            case ast.NamedType():
                return (Text(t.name, t.span),)
            case ast.ListType():
                return (Text("list[", _first_character(t.span)), *self.type_(t.element), Text("]"))
            case ast.RecordType():
                fields = tuple(self.field_type(f) for f in t.fields)
                region = self.bracketed(t.span)
                return (Group("{", fields, "}", padded=True, region=region),)

    def field_type(self, f: ast.FieldType) -> Doc:
        return (Text(f.name.name, f.name.span), Text(": "), *self.type_(f.type))

    # -- expressions ---------------------------------------------------------

    def expr(self, e: ast.Expr, context: int = 0) -> Doc:
        """An expression, in parentheses when it binds looser than its place needs, or
        when its author wrote them."""
        printer = _EXPRESSION_PRINTERS.get(type(e))
        if printer is None:
            raise FormatterBug(f"no layout for a {type(e).__name__} expression")
        doc, strength = printer(self, e)
        if strength < context or self.in_parentheses(e.span):
            return (Text("(", _first_character(e.span)), *doc, Text(")", _last_character(e.span)))
        return doc

    def in_parentheses(self, span: Span) -> bool:
        """Whether the source of `span` is one parenthesised expression, `( ... )`."""
        start, end = self.start_of(span), self.end_of(span)
        return self.text[start] == "(" and _closing_parenthesis(self.text, start) == end - 1

    def string(self, s: ast.StringLit) -> Text:
        return Text(self.source_of(s.span), s.span)

    def literal(self, e: ast.NumberLit | ast.DurationLit) -> Printed:
        """A number or duration as written, its blanks made one (`- 1` is `-1`, `7  days`
        is `7 days`); a negative number binds as a minus does."""
        written = self.source_of(e.span)
        if isinstance(e, ast.NumberLit):
            # A minus read into the number may be apart from it, even by a comment.
            digits = written.rsplit(None, 1)[-1].lstrip("-")
            text = f"-{digits}" if written.startswith("-") else digits
            return (Text(text, e.span),), (_UNARY if text.startswith("-") else _ATOM)
        return (Text(re.sub(r"\s+", " ", written), e.span),), _ATOM

    # -- comments and blank lines ---------------------------------------------

    def join(self, leftover: list[Comment]) -> str:
        out: list[str] = []
        after_open = True  # the start of the file counts as one: no blank line there

        def blank(wanted: bool) -> None:
            if wanted and not after_open and out and out[-1]:
                out.append("")

        for line in self.lines:
            source_blank = line.start is not None and _blank_before(self.text, line.start)
            if line.leading:
                first = line.leading[0]
                blank(line.blank_before or (line.keep_blank and first.blank_before))
                depth = line.indent + (1 if line.closes else 0)
                for index, comment in enumerate(line.leading):
                    blank(index > 0 and comment.blank_before)
                    out.append(INDENT * depth + comment.text)
                    after_open = False
                blank(line.keep_blank and source_blank and not line.closes)
            else:
                blank(line.blank_before or (line.keep_blank and source_blank and not line.closes))
            text = INDENT * line.indent + line.text
            if line.trailing is not None:
                text += "  " + line.trailing.text
            out.append(text)
            after_open = line.opens
        for comment in leftover:
            blank(comment.blank_before)
            out.append(comment.text)
            after_open = False
        return "\n".join(out) + "\n"


class _Layout:
    """Lays out one document as lines: each group on one line if it fits, else broken."""

    def __init__(self, printer: _Printer, indent: int) -> None:
        self.printer = printer
        self.lines = [Line(indent)]

    def lay_out(self, doc: Doc) -> list[Line]:
        self.pieces(doc, self.lines[0].indent, "")
        return self.lines

    def pieces(self, doc: Doc, indent: int, after: str) -> None:
        """The pieces of `doc`; `after` is what the line holds after them."""
        for index, piece in enumerate(doc):
            if isinstance(piece, Text):
                self.add(piece)
            elif self.fits(piece, _flat(doc[index + 1 :]) + after):
                self.flat(piece)
            else:
                self.broken(piece, indent)

    def fits(self, group: Group, rest: str) -> bool:
        if not group.items:
            return True
        if group.region is not None and self.printer.has_comment(group.region):
            return False
        text = _flat_piece(group)
        width = self.lines[-1].column + len(text) + len(rest.split("\n", 1)[0])
        return "\n" not in text and width <= LINE_LENGTH

    def flat(self, group: Group) -> None:
        pad = " " if group.padded and group.items else ""
        self.add(Text(group.open + pad))
        for index, item in enumerate(group.items):
            if index:
                self.add(Text(", "))
            for piece in item:
                if isinstance(piece, Text):
                    self.add(piece)
                else:
                    self.flat(piece)
        self.add(Text(pad + group.close))

    def broken(self, group: Group, indent: int) -> None:
        self.add(Text(group.open))
        if group.close and group.region is not None:
            # The bracket's place, for a comment after it on its line.
            self.mark(group.region[0], group.region[0] + 1)
        line = self.lines[-1]
        line.text = line.text.rstrip()
        comma = "," if group.listed else ""
        for item in group.items:
            self.lines.append(Line(indent + 1))
            self.pieces(item, indent + 1, comma)
            self.add(Text(comma))
        if group.close:
            # The bracket's own line: comments before it are the group's last.
            closing = Line(indent, closes=True)
            if group.region is not None:
                closing.start, closing.end = group.region[1] - 1, group.region[1]
            self.lines.append(closing)
            self.add(Text(group.close))

    def add(self, piece: Text) -> None:
        self.lines[-1].text += piece.text
        if piece.span is not None:
            self.mark(self.printer.start_of(piece.span), self.printer.end_of(piece.span))

    def mark(self, start: int, end: int) -> None:
        """The current line prints the source from `start` to `end` (among the rest)."""
        line = self.lines[-1]
        line.start = start if line.start is None else min(line.start, start)
        line.end = end if line.end is None else max(line.end, end)


def _place_comments(lines: list[Line], comments: list[Comment]) -> list[Comment]:
    """Give each comment to a line: one after code stays at the end of the line printed
    from that code (a second one there goes before the line); one on a line of its own
    goes before the line printed from where it is, or else from what follows it.
    Returns the comments after the last line."""
    placed = sorted((line for line in lines if line.start is not None), key=_start)
    starts = [_start(line) for line in placed]
    leftover: list[Comment] = []
    for comment in comments:
        at = bisect.bisect_left(starts, comment.start)
        before = placed[at - 1] if at > 0 else None
        inside = before is not None and before.end is not None and before.end > comment.start
        if not comment.own_line and before is not None:
            if before.trailing is None:
                before.trailing = comment
            else:
                before.leading.append(comment)
        elif inside and before is not None:
            before.leading.append(comment)
        elif at < len(placed):
            placed[at].leading.append(comment)
        else:
            leftover.append(comment)
    return leftover


def _start(line: Line) -> int:
    assert line.start is not None
    return line.start


def _anchor(span: Span) -> Text:
    """Nothing printed, but the line starts where `span` does (for its comments)."""
    return Text("", _point(span))


def _closing_parenthesis(text: str, start: int) -> int:
    """The offset of the `)` that closes the `(` at text[start]; strings and comments
    inside are skipped whole (their parentheses do not count)."""
    strings, depth, i = _string_pattern(), 0, start
    while i < len(text):
        char = text[i]
        if char == '"':
            string = strings.match(text, i)
            i = string.end() if string is not None else i + 1
            continue
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline == -1 else newline
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i
        i += 1
    return -1


def _next_token(text: str, offset: int) -> int:
    """The offset of the first character from `offset` on that is not a blank, a comment
    or a comma: after a group's last item, its closing bracket; after what precedes a
    group, its opening one."""
    while offset < len(text):
        char = text[offset]
        if char == "#":
            newline = text.find("\n", offset)
            offset = len(text) if newline == -1 else newline
        elif char.isspace() or char == ",":
            offset += 1
        else:
            return offset
    return offset


def _point(span: Span) -> Span:
    return Span(span.file, span.line, span.column, span.line, span.column)


def _first_character(span: Span) -> Span:
    return Span(span.file, span.line, span.column, span.line, span.column + 1)


def _last_character(span: Span) -> Span:
    return Span(span.file, span.end_line, span.end_column - 1, span.end_line, span.end_column)


def _one_line(d: ast.Declaration) -> bool:
    return isinstance(d, ast.FileImport | ast.PackageImport | ast.PythonDecl)


# --------------------------------------------------------------------------
# Expressions: one small function per kind of node. A kind missing here is a
# FormatterBug when met, and tests/fmt fails on it (every member of ast.Expr
# must have an entry).


def _string(p: _Printer, e: ast.StringLit) -> Printed:
    return (p.string(e),), _ATOM


def _number(p: _Printer, e: ast.NumberLit) -> Printed:
    return p.literal(e)


def _duration(p: _Printer, e: ast.DurationLit) -> Printed:
    return p.literal(e)


def _bool(_: _Printer, e: ast.BoolLit) -> Printed:
    return (Text("true" if e.value else "false", e.span),), _ATOM


def _moment(p: _Printer, e: ast.MomentLit) -> Printed:
    return (Text(p.source_of(e.span), e.span),), _ATOM


def _clock(_: _Printer, e: ast.Clock) -> Printed:
    return (Text(e.word.value, e.span),), _ATOM


def _list(p: _Printer, e: ast.ListLit) -> Printed:
    items = tuple(p.expr(item) for item in e.items)
    return (Group("[", items, "]", region=p.bracketed(e.span)),), _ATOM


def _record(p: _Printer, e: ast.RecordLit) -> Printed:
    fields = tuple((Text(f.name.name, f.name.span), Text(": "), *p.expr(f.value)) for f in e.fields)
    return (Group("{", fields, "}", padded=True, region=p.bracketed(e.span)),), _ATOM


def _name(_: _Printer, e: ast.Name) -> Printed:
    return (Text(e.ident.name, e.span),), _ATOM


def _field(p: _Printer, e: ast.FieldAccess) -> Printed:
    return (*p.expr(e.target, _POSTFIX), Text("."), Text(e.field.name, e.field.span)), _POSTFIX


def _index(p: _Printer, e: ast.IndexAccess) -> Printed:
    region = p.region(e.target.span, [e.index.span])
    index = Group("[", (p.expr(e.index),), "]", region=region, listed=False)
    return (*p.expr(e.target, _POSTFIX), index), _POSTFIX


def _function_call(p: _Printer, e: ast.FunctionCall) -> Printed:
    args = tuple(p.expr(arg) for arg in e.args)
    region = p.region(e.function.span, [arg.span for arg in e.args])
    return (Text(e.function.name, e.function.span), Group("(", args, ")", region=region)), _ATOM


_ARITHMETIC_STRENGTH = {
    ast.ArithOp.ADD: _ADD,
    ast.ArithOp.SUB: _ADD,
    ast.ArithOp.MUL: _MUL,
    ast.ArithOp.DIV: _MUL,
}


def _arithmetic(p: _Printer, e: ast.Arithmetic) -> Printed:
    strength = _ARITHMETIC_STRENGTH[e.op]
    left, right = p.expr(e.left, strength), p.expr(e.right, strength + 1)
    return (*left, Text(f" {e.op.value} "), *right), strength


def _negative(p: _Printer, e: ast.Negative) -> Printed:
    # A minus written before a number is the number's sign: `-(1)` keeps its parentheses.
    context = _ATOM + 1 if isinstance(e.operand, ast.NumberLit) else _UNARY
    return (Text("-", _first_character(e.span)), *p.expr(e.operand, context)), _UNARY


def _compare(p: _Printer, e: ast.Compare) -> Printed:
    left, right = p.expr(e.left, _FALLBACK), p.expr(e.right, _FALLBACK)
    return (*left, Text(f" {e.op.value} "), *right), _COMPARE


def _logic(p: _Printer, e: ast.Logic) -> Printed:
    strength = _OR if e.op is ast.LogicOp.OR else _AND
    left, right = p.expr(e.left, strength), p.expr(e.right, strength + 1)
    return (*left, Text(f" {e.op.value} "), *right), strength


def _not(p: _Printer, e: ast.Not) -> Printed:
    return (Text("not ", _first_character(e.span)), *p.expr(e.operand, _NOT)), _NOT


def _fallback(p: _Printer, e: ast.Fallback) -> Printed:
    left, right = p.expr(e.left, _FALLBACK), p.expr(e.right, _ADD)
    return (*left, Text(" ?? "), *right), _FALLBACK


# `VALUE as NAME` and `env("V") as TYPE` are `??` operands, not postfix ones.


def _formatted(p: _Printer, e: ast.Formatted) -> Printed:
    value = p.expr(e.value, _ADD)
    return (*value, Text(" as "), Text(e.format.name, e.format.span)), _FALLBACK


def _env(p: _Printer, e: ast.EnvRef) -> Printed:
    call = Text(f"env({_quoted(e.variable)})", e.span)
    if e.as_type is None:
        return (call,), _ATOM
    return (call, Text(" as "), *p.type_(e.as_type)), _FALLBACK


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("{{", "\\{{")
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


_EXPRESSION_PRINTERS: dict[type[Any], Callable[[_Printer, Any], Printed]] = {
    ast.StringLit: _string,
    ast.NumberLit: _number,
    ast.BoolLit: _bool,
    ast.DurationLit: _duration,
    ast.MomentLit: _moment,
    ast.Clock: _clock,
    ast.ListLit: _list,
    ast.RecordLit: _record,
    ast.Name: _name,
    ast.FieldAccess: _field,
    ast.IndexAccess: _index,
    ast.FunctionCall: _function_call,
    ast.Arithmetic: _arithmetic,
    ast.Negative: _negative,
    ast.Formatted: _formatted,
    ast.Compare: _compare,
    ast.Logic: _logic,
    ast.Not: _not,
    ast.Fallback: _fallback,
    ast.EnvRef: _env,
}

# --------------------------------------------------------------------------
# Steps: the head line and the clause lines below it, one small function per kind.

StepLayout = tuple[Doc, list[Doc]]


def _talk(p: _Printer, s: ast.Talk) -> StepLayout:
    # `uninterruptible` is no clause but part of the step: it stays on the step's line.
    flag = () if s.interruptible else (Text(" uninterruptible"),)
    return (Text("talk "), *p.expr(s.text), *flag), []


def _collect(p: _Printer, s: ast.Collect) -> StepLayout:
    answer = _form_type(p, s.form, s.type) if s.form is not None else p.type_(s.type)
    head: Doc = (Text(f"collect {s.var.name}", s.var.span), Text(": "), *answer)
    if s.options is not None:
        head += (Text(" in "), *p.expr(s.options, _FALLBACK))
    clauses: list[Doc] = [(Text("prompt "), *p.expr(s.prompt))]
    if s.reprompt is not None:
        clauses.append((Text("reprompt "), *p.expr(s.reprompt)))
    if s.attempts is not None:
        clauses.append((Text("attempts "), *_number(p, s.attempts)[0]))
    if s.timeout is not None:
        clauses.append((Text("timeout "), *p.literal(s.timeout)[0]))
    if s.day_part is not None:
        clauses.append((Text("expect "), Text(s.day_part.name, s.day_part.span)))
    if s.digits is not None:
        clauses.append((Text("expect "), *_number(p, s.digits)[0], Text(" digits")))
    if s.form is not None:
        clauses += _form_clauses(p, s.form)
    return head, clauses + p.on(s.on_no_answer)


def _form_type(p: _Printer, form: ast.Form, record: ast.TypeExpr) -> Doc:
    """A form's braces: its fields, each with its options after `in`."""
    fields = tuple(
        (
            Text(f.name.name, f.name.span), Text(": "), *p.type_(f.type),
            *((Text(" in "), *p.expr(f.options)) if f.options is not None else ()),
        )
        for f in form.fields
    )  # fmt: skip
    return (Group("{", fields, "}", padded=True, region=p.bracketed(record.span)),)


def _form_clauses(p: _Printer, form: ast.Form) -> list[Doc]:
    clauses: list[Doc] = [
        (Text("ask "), Text(ask.field.name, ask.field.span), Text(" "), *p.expr(ask.prompt))
        for ask in form.asks
    ]
    if form.given is not None:
        clauses.append((Text("given "), *p.expr(form.given)))
    if form.confirm is not None:
        clauses.append((Text("confirm "), *p.expr(form.confirm)))
    return clauses


def _request(p: _Printer, s: ast.Request) -> StepLayout:
    head: Doc = (
        Text(f"request {s.var.name}", s.var.span),
        Text(f" = {s.method.value} "),
        *p.expr(s.url),
    )
    clauses: list[Doc] = []
    if s.headers:
        clauses.append((Text("headers "), p.entries(s.headers)))
    if s.query:
        clauses.append((Text("query "), p.entries(s.query)))
    if s.body is not None:
        clauses.append((Text("body "), p.entries(s.body)))
    if s.expect is not None:
        clauses.append((Text("expect "), *p.type_(s.expect)))
    if s.timeout is not None:
        clauses.append((Text("timeout "), *p.literal(s.timeout)[0]))
    if s.retries is not None:
        clauses.append((Text("retries "), *p.literal(s.retries)[0]))
    return head, clauses + p.on(s.on_error)


def _run(p: _Printer, s: ast.Run) -> StepLayout:
    head: Doc = (
        Text(f"run {s.var.name}", s.var.span),
        Text(" = "),
        Text(s.action.name, s.action.span),
    )
    return (*head, p.args(s.args, s.action.span)), [p.handler(h) for h in s.handlers]


def _code(p: _Printer, s: ast.Code) -> StepLayout:
    call = Text(f"{s.module}.{s.function.name}", s.function.span)
    head: Doc = (Text(f"code {s.var.name}", s.var.span), Text(" = "), call)
    return (*head, p.args(s.args, s.function.span)), p.on(s.on_error)


def _set(p: _Printer, s: ast.Set) -> StepLayout:
    return (Text(f"set {s.var.name}", s.var.span), Text(" = "), *p.expr(s.value)), []


def _if(p: _Printer, s: ast.If) -> StepLayout:
    return (Text("if "), *p.expr(s.condition), Text(" -> "), *p.target(s.target)), []


def _jump(p: _Printer, s: ast.Jump) -> StepLayout:
    return (Text("-> "), *p.target(s.target)), []


def _sms(p: _Printer, s: ast.SendSms) -> StepLayout:
    # The text is a string or a path (grammar/flow.lark): nothing that needs parentheses.
    head: Doc = (Text("send sms to "), *p.expr(s.to), Text(" "), *p.expr(s.text, _POSTFIX))
    return head, p.on(s.on_error)


def _email(p: _Printer, s: ast.SendEmail) -> StepLayout:
    clauses: list[Doc] = [(Text("subject "), *p.expr(s.subject)), (Text("body "), *p.expr(s.body))]
    return (Text("send email to "), *p.expr(s.to)), clauses + p.on(s.on_error)


def _transfer(p: _Printer, s: ast.Transfer) -> StepLayout:
    head: Doc = (Text("transfer to "), *p.expr(s.to))
    if s.say is None:
        return head, p.on(s.on_error)
    say: Doc = (Text("say "), *p.expr(s.say))
    # `transfer to X say Y` reads as one sentence: one line when it fits.
    one_line = _flat((*head, Text(" "), *say))
    if "\n" not in one_line and len(INDENT) * p.indent + len(one_line) <= LINE_LENGTH:
        return (*head, Text(" "), *say), p.on(s.on_error)
    return head, [say, *p.on(s.on_error)]


def _end(p: _Printer, s: ast.End) -> StepLayout:
    if s.text is None:
        return (Text("end", s.span),), []
    return (Text("end "), p.string(s.text)), []


def _exit(p: _Printer, s: ast.Exit) -> StepLayout:
    name = Text(f"exit {s.output.name}", s.output.span)
    if not s.args:
        return (name,), []
    return (name, p.args(s.args, s.output.span)), []


_STEP_PRINTERS: dict[type[Any], Callable[[_Printer, Any], StepLayout]] = {
    ast.Talk: _talk,
    ast.Collect: _collect,
    ast.Request: _request,
    ast.Run: _run,
    ast.Code: _code,
    ast.Set: _set,
    ast.If: _if,
    ast.Jump: _jump,
    ast.SendSms: _sms,
    ast.SendEmail: _email,
    ast.Transfer: _transfer,
    ast.End: _end,
    ast.Exit: _exit,
}


# --------------------------------------------------------------------------
# The command: `flowc fmt [--check] [--diff] FILE...`

EXIT_UNCHANGED = 0
EXIT_WOULD_CHANGE = 1  # --check or --diff: some file is not formatted
EXIT_UNFORMATTABLE = 2  # a file cannot be read or does not parse (as flowc's usage/I/O errors)
EXIT_INTERNAL = 123  # the formatter failed (as black's): a bug, nothing was written
STDIN = "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="files to format in place, folders (their .flow files), or - (stdin to stdout)",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="change nothing; print what would change as a unified diff, exit 1 if anything would",
    )


def run(args: argparse.Namespace) -> int:
    """Format the files; report on stderr (stdout carries only the --diff and `-` output).
    The exit status is the worst of the files' (EXIT_* above)."""
    dry_run = bool(args.check or args.diff)
    outcomes = [_format_one(path, dry_run, args.diff) for path in _expand(args.files)]
    if STDIN not in args.files:
        sys.stdout.flush()  # a --diff before the summary, when both go to one terminal
        print(_summary(outcomes, dry_run), file=sys.stderr)
    return max((outcome.status for outcome in outcomes), key=_SEVERITY.index, default=0)


_SEVERITY = [EXIT_UNCHANGED, EXIT_WOULD_CHANGE, EXIT_UNFORMATTABLE, EXIT_INTERNAL]


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: int
    changed: bool = False


def _expand(paths: Iterable[str]) -> list[str]:
    """The files named, and the .flow files under the folders named (see _hidden)."""
    files: list[str] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            root = Path(path)
            found = (f for f in root.rglob("*.flow") if not _hidden(f.relative_to(root)))
            files += sorted(str(f) for f in found)
        else:
            files.append(path)
    return files


def _hidden(path: Path) -> bool:
    """Hidden folders and npm's packages are no one's flow files."""
    return any(part.startswith(".") or part == "node_modules" for part in path.parts)


def _format_one(path: str, dry_run: bool, diff: bool) -> _Outcome:
    if path == STDIN:
        source, problem = SourceFile("<stdin>", sys.stdin.read()), None
    else:
        try:
            source, problem = read_source(path)
        except OSError as exc:
            print(f"flowc: error: cannot read '{path}': {exc.strerror or exc}", file=sys.stderr)
            return _Outcome(EXIT_UNFORMATTABLE)
    if problem is not None:
        sys.stderr.write(render_human([problem], {path: source}) + "\n")
        return _Outcome(EXIT_UNFORMATTABLE)
    try:
        formatted = format_text(source.text, source.path)
    except SourceSyntaxError as exc:
        sys.stderr.write(render_human(exc.diagnostics, {source.path: source}) + "\n")
        print(f"flowc: error: cannot format {source.path}: it does not parse", file=sys.stderr)
        return _Outcome(EXIT_UNFORMATTABLE)
    except FormatterBug as exc:
        print(
            f"flowc: internal error: {exc}; nothing was written, please report it", file=sys.stderr
        )
        return _Outcome(EXIT_INTERNAL)
    return _deliver(source, formatted, dry_run, diff)


def _deliver(source: SourceFile, formatted: str, dry_run: bool, diff: bool) -> _Outcome:
    """Write or show the result; `-` always writes it to stdout (unless dry run)."""
    changed = formatted != source.text
    if diff and changed:
        sys.stdout.writelines(
            difflib.unified_diff(
                source.text.splitlines(keepends=True),
                formatted.splitlines(keepends=True),
                fromfile=f"{source.path}\t(original)",
                tofile=f"{source.path}\t(formatted)",
            )
        )
    if dry_run:
        if changed and not diff:
            print(f"would reformat {source.path}", file=sys.stderr)
        return _Outcome(EXIT_WOULD_CHANGE if changed else EXIT_UNCHANGED, changed)
    if source.path == "<stdin>":
        sys.stdout.write(formatted)
        return _Outcome(EXIT_UNCHANGED, changed)
    if changed:
        try:
            with open(source.path, "w", encoding="utf-8", newline="") as file:
                file.write(formatted)
        except OSError as exc:
            reason = exc.strerror or exc
            print(f"flowc: error: cannot write '{source.path}': {reason}", file=sys.stderr)
            return _Outcome(EXIT_UNFORMATTABLE)
        print(f"reformatted {source.path}", file=sys.stderr)
    return _Outcome(EXIT_UNCHANGED, changed)


def _summary(outcomes: Sequence[_Outcome], dry_run: bool) -> str:
    def files(n: int) -> str:
        return f"{n} file{'' if n == 1 else 's'}"

    done = [o for o in outcomes if o.status in (EXIT_UNCHANGED, EXIT_WOULD_CHANGE)]
    changed = sum(1 for o in done if o.changed)
    verb = "would be reformatted" if dry_run else "reformatted"
    parts = [f"{files(changed)} {verb}", f"{files(len(done) - changed)} left unchanged"]
    failed = len(outcomes) - len(done)
    if failed:
        parts.append(f"{files(failed)} could not be formatted")
    return "flowc fmt: " + ", ".join(parts)
