"""Driving the parse of one file: its tokens, then its templates', fed to the LALR parser.

`FileParser` reads a file with an `Automaton` (Lark's LALR parser and its
contextual lexer) whose reductions call a `Builder` of this parse's own, and
`Recovery` after each syntax error. The templates in the file's strings are
parsed by `parse_template`, re-entrantly: each with an automaton of its own,
and the same builder. Nothing is shared with another parse, so parses may
run at the same time in several threads.
"""

from __future__ import annotations

from typing import Any, cast

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from .. import ast
from .builder import Builder
from .context import Excerpt, ParseContext
from .errors import Reporter
from .grammar import Grammar
from .lalr import Automaton
from .recovery import Recovery
from .reductions import Callbacks


class FileParser:
    """The parse of one file."""

    def __init__(self, grammar: Grammar, context: ParseContext) -> None:
        self._grammar = grammar
        self._context = context
        self._reporter = Reporter(grammar, context)
        builder = Builder(context, grammar.reserved, self.parse_template)
        self._callbacks = grammar.reductions.bind(builder)
        # A template is built by the same rules, but its strings cannot hold templates.
        strings: Callbacks = {"STRING": builder.string_in_template}
        self._template_callbacks = grammar.reductions.bind(builder, replacing=strings)

    def parse_module(self) -> ast.Module | None:
        """The file's module; None if its end finds the parser skipping after an error."""
        text = self._context.text
        automaton = Automaton(self._grammar, text, "module", self._callbacks)
        recovery = Recovery(self._grammar, self._context, automaton, self._reporter)
        self._read(automaton, recovery)
        end = _end_token(len(text), *self._context.end())
        module = self._finish(automaton, end, report=not recovery.skipping, in_template=False)
        return module if isinstance(module, ast.Module) else None

    def parse_template(self, inner: Excerpt, offset: int) -> ast.Expr | None:
        """The expression inside one template, which begins at `offset` in the file.

        There is no recovery in a template: its first error is reported.
        """
        automaton = Automaton(self._grammar, inner.text, "template", self._template_callbacks)
        automaton.start_at(inner.line, inner.column)
        try:
            for token in automaton.tokens():
                automaton.feed(token)
        except UnexpectedToken as exc:
            self._reporter.unexpected(automaton, exc.token, in_template=True)
            return None
        except UnexpectedCharacters as exc:
            self._reporter.bad_characters(offset + _offset(exc))
            return None
        end = _end_token(len(inner.text), *inner.position(len(inner.text)))
        expr = self._finish(automaton, end, report=True, in_template=True)
        return cast(ast.Expr | None, expr)  # what the `template` rule builds

    def _read(self, automaton: Automaton, recovery: Recovery) -> None:
        """Feed every token of the file to the parser, recovering from each error."""
        reserved, diagnostics = self._grammar.reserved, self._context.diagnostics
        # How many diagnostics there were before the last two tokens were fed.
        earlier = before = 0
        while True:  # once per lexer restart: it stops at the characters it cannot read
            try:
                for token in automaton.tokens():
                    if recovery.skipping:
                        recovery.skip(token)
                        continue
                    earlier, before = before, len(diagnostics)
                    # A Token is a str: one set look-up keeps the common case fast.
                    if token in reserved and recovery.begins_construct(token):
                        recovery.error_at(self._grammar.as_keyword(token), since=earlier)
                        continue
                    try:
                        automaton.feed(token)
                    except UnexpectedToken:
                        recovery.error_at(token, since=earlier)
                return
            except UnexpectedToken as exc:
                # The contextual lexer read a token that is valid elsewhere, not here.
                if recovery.skipping:
                    recovery.skip(exc.token)
                else:
                    recovery.error_at(exc.token, since=before)
            except UnexpectedCharacters as exc:
                recovery.bad_characters(_offset(exc))

    def _finish(self, automaton: Automaton, end: Token, report: bool, in_template: bool) -> Any:
        """Feed the end of the text: what the parse built, or None after an error."""
        try:
            return automaton.feed(end)
        except UnexpectedToken:
            if report:
                self._reporter.unexpected(automaton, end, in_template)
            return None


def _end_token(offset: int, line: int, column: int) -> Token:
    return Token("$END", "", offset, line, column, line, column, offset)


def _offset(exc: UnexpectedCharacters) -> int:
    return exc.pos_in_stream if exc.pos_in_stream is not None else 0
