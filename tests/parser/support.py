"""Helpers for the parser tests: parsing text, comparing ASTs without spans, lexing."""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
from pathlib import Path

from flowc import ast
from flowc.parser import parse
from flowc.source import SourceFile, Span
from lark import Lark

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "appointments": ROOT / "examples" / "lib" / "appointments.flow",
    "legal_intake": ROOT / "examples" / "legal_intake.flow",
}
NO_SPAN = Span("", 0, 0, 0, 0)


def parse_text(text: str, path: str = "test.flow") -> ast.Module:
    """The module of text that must parse cleanly."""
    result = parse(SourceFile(path, text))
    assert result.diagnostics == (), [d.message for d in result.diagnostics]
    assert result.module is not None
    return result.module


def without_spans(node: object) -> object:
    """The same tree with every span blanked, so trees from different text compare equal."""
    if isinstance(node, tuple):
        return tuple(without_spans(item) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {
            f.name: NO_SPAN if f.name == "span" else without_spans(getattr(node, f.name))
            for f in dataclasses.fields(node)
        }
        return dataclasses.replace(node, **changes)
    return node


def covered(text: str, span: Span) -> str:
    """The part of `text` a span covers."""
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    first = lines[span.line - 1][span.column - 1 :]
    last = lines[span.end_line - 1][: span.end_column - 1]
    return "\n".join([first, *lines[span.line : span.end_line - 1], last])


def foreign_objects(node: object) -> list[object]:
    """Everything in a tree that is not an AST node, a span or a plain value (a Lark tree, say)."""
    if isinstance(node, tuple):
        return [x for item in node for x in foreign_objects(item)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        if type(node).__module__ not in ("flowc.ast", "flowc.source"):
            return [node]
        return [x for f in dataclasses.fields(node) for x in foreign_objects(getattr(node, f.name))]
    return [] if isinstance(node, str | int | float | bool | type(None)) else [node]


def all_spans(node: object) -> list[Span]:
    """Every span in a tree, parents before children."""
    if isinstance(node, Span):
        return [node]
    if isinstance(node, tuple):
        return [s for item in node for s in all_spans(item)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [s for f in dataclasses.fields(node) for s in all_spans(getattr(node, f.name))]
    return []


@functools.cache
def _basic_lexer() -> Lark:
    grammar = (importlib.resources.files("flowc.grammar") / "flow.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", start="module")


def tokens(text: str) -> list[tuple[str, str]]:
    """The (kind, text) of each token: what a round trip must keep."""
    return [(t.type, str(t.value)) for t in _basic_lexer().lex(text)]
