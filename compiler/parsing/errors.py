"""Reporting a syntax error where the parser stopped: what it expected there, and what it found."""

from __future__ import annotations

import re

from lark import Token

from .. import ast
from ..diagnostics import Note
from . import messages
from .context import ParseContext
from .grammar import Grammar
from .lalr import Automaton

_WORD = re.compile(r"[-0-9A-Za-z_.]+")
_JUNK = re.compile(r'[^\s"#(){}\[\],:]+')


class Reporter:
    """Reports the syntax errors of one file."""

    def __init__(self, grammar: Grammar, context: ParseContext) -> None:
        self._grammar = grammar
        self._context = context

    def unexpected(self, automaton: Automaton, token: Token, in_template: bool) -> None:
        """Report `token`, which the parser cannot take where it is."""
        grammar, context = self._grammar, self._context
        expected = automaton.expected()
        if in_template and "$END" in expected:
            # A template's text ends where its `}}` is.
            expected = (expected - {"$END"}) | {messages.TEMPLATE_END}
        label = dangling_label(automaton, expected)
        if label is not None:
            self.name_without_colon(label, automaton.expected_at(automaton.depth - 1))
            return
        token = grammar.as_keyword(token)
        span = context.token_span(token)
        if token.type == "NAME":
            keywords = messages.keywords_in(grammar, expected)
            near = messages.near_keyword(token.value, keywords)
            if near is not None:
                words = messages.phrase(grammar, expected)
                report = messages.unknown_keyword(span, token.value, near, keywords, words)
                context.report(report)
                return
        hint = messages.hint(expected, token, automaton.values, in_template)
        notes = self._unclosed_block(automaton, token)
        context.report(
            messages.unexpected(grammar, span, expected, token, in_template, hint, notes)
        )

    def name_without_colon(self, name: ast.Ident, expected: set[str]) -> None:
        """Report a name read as a label; `expected` is what could stand in its place."""
        near = messages.keyword_for_label(name.name)
        if near is not None:
            report = messages.unknown_keyword(
                name.span, name.name, near, messages.LINE_KEYWORDS, None
            )
            self._context.report(report)
        else:
            self._context.report(messages.name_without_colon(self._grammar, name, expected))

    def bad_characters(self, offset: int) -> None:
        """Report the characters at file offset `offset`, where no token begins."""
        text, context = self._context.text, self._context
        char = text[offset]
        if char == '"':
            context.report(
                messages.unterminated_string(context.span(offset, offset + 1), text, offset)
            )
        elif char.isdigit():
            end = bad_characters_end(text, offset)
            context.report(messages.malformed_number(context.span(offset, end), text[offset:end]))
        else:
            context.report(messages.bad_character(context.span(offset, offset + 1), char))

    def _unclosed_block(self, automaton: Automaton, token: Token) -> list[Note]:
        """Where the block that the end of the file leaves open began."""
        if token.type != "$END":
            return []
        opening = next(
            (v for v in reversed(automaton.values) if isinstance(v, Token) and v.type == "LBRACE"),
            None,
        )
        if opening is None:
            return []
        return [messages.unclosed_block(self._context.token_span(opening))]


def dangling_label(automaton: Automaton, expected: set[str]) -> ast.Ident | None:
    """The name just read, when it was read as a label but no ':' follows it.

    A misspelt step keyword (`colect name: text`) reads as the label `colect`,
    and the error only shows at the next token; it belongs to the name.
    """
    if expected != {"COLON"} or not automaton.values:
        return None
    name = automaton.values[-1]
    if isinstance(name, ast.Ident) and automaton.state_has("TALK", automaton.depth - 1):
        return name
    return None


def bad_characters_end(text: str, offset: int) -> int:
    """Where reading resumes after the characters at `offset` that begin no token."""
    if text.startswith('"', offset):
        end = len(text) if text.startswith('"""', offset) else text.find("\n", offset)
        return len(text) if end == -1 else end
    # A malformed number goes as a whole; other junk up to the next blank or bracket,
    # so that a long run of it (a binary file, say) costs one error, not one per byte.
    junk = (_WORD if text[offset].isdigit() else _JUNK).match(text, offset)
    return junk.end() if junk else offset + 1
