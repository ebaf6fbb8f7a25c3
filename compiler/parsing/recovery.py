"""Error recovery: after a syntax error, where the parse of a file goes on.

Panic mode: after reporting an error the parser skips input up to the next
token that begins a step, a member of an action or flow, or a declaration
(or a `}` that closes the construct it is in), and pops its stack to a state
that takes it. A likely misspelt keyword is read as the keyword instead,
with no skipping, so the rest of its step is still checked. Errors while
skipping are not reported: one mistake gives one message.
"""

from __future__ import annotations

import re

from lark import Token

from .. import ast, codes
from ..source import Span
from . import messages
from .context import ParseContext
from .errors import Reporter, bad_characters_end, dangling_label
from .grammar import DECLARATION_KEYWORDS, MEMBER_KEYWORDS, STEP_KEYWORDS, Grammar
from .lalr import Automaton

# Tokens the parser resynchronises on: each begins a step, a member of an action
# or flow, or a declaration.
_SYNC_TOKENS = frozenset(
    k.upper() for k in (*STEP_KEYWORDS, *DECLARATION_KEYWORDS, *MEMBER_KEYWORDS, "after")
)
_MEMBERS = frozenset(k.upper() for k in MEMBER_KEYWORDS)
# Tokens that can follow a complete member or step.
_MEMBER_ENDS = ("RBRACE", "INPUT", "OUTPUT", "TALK")
# What follows a field's or an argument's name: ':' or '=' (not '==').
_NAMES_A_FIELD = re.compile(r"[ \t\r\n]*(?::|=(?!=))")


class Recovery:
    """The recovery of one file's parse from its syntax errors."""

    def __init__(
        self, grammar: Grammar, context: ParseContext, automaton: Automaton, reporter: Reporter
    ) -> None:
        self._grammar = grammar
        self._context = context
        self._automaton = automaton
        self._reporter = reporter
        self.skipping = False
        """Whether input is being skipped, after an error, up to a token to resume at."""
        # Blocks opened by a `{` that recovery skipped: their `}` is skipped too.
        self._skipped_blocks = 0

    def error_at(self, token: Token, since: int) -> None:
        """Report the error at `token` and recover, skipping input if need be.

        `since` counts the diagnostics from before the last two tokens were read:
        theirs may be the same mistake seen earlier (see the two methods below).
        """
        self._withdraw_missing_clauses(since)
        if not self._misread_keyword(since):
            self._reporter.unexpected(self._automaton, token, in_template=False)
        self.skipping = not (self._respell(token) or self._resynchronise(token))

    def skip(self, token: Token) -> None:
        """Skip a token read while skipping, unless the parse can resume at it."""
        self.skipping = not self._resynchronise(token)

    def bad_characters(self, offset: int) -> None:
        """Report the characters at `offset`, where the lexer stopped, and step over them
        (as Lark's own on_error loop does): the skipping goes on after them."""
        if not self.skipping:
            self._reporter.bad_characters(offset)
        text = self._context.text
        self._automaton.skip_to(text, offset, bad_characters_end(text, offset))
        self.skipping = True

    def begins_construct(self, token: Token) -> bool:
        """Whether a keyword that the lexer read as a NAME, because only a name fits
        here, begins the next step, declaration or clause instead: the construct
        before it is unfinished (`set total =` and then `end` on the next line,
        `collect name:` and then `prompt`).

        The keyword must begin its line and be no field or argument name: those may
        be keywords (`expect { from: text }`, `Book(end = x)`, `reply.` `body`).
        """
        if token.type != "NAME":
            return False
        text = self._context.text
        start, end = token.start_pos or 0, token.end_pos or 0  # a lexed token has both
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip() or _NAMES_A_FIELD.match(text, end):
            return False
        before = line_start - 1  # the last character before the line that is not blank
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        return before < 0 or text[before] != "."

    # ---- the same mistake, seen twice

    def _withdraw_missing_clauses(self, since: int) -> None:
        """Drop "needs a 'prompt' clause" errors of the last two tokens.

        A step is complete, for the parser, when a token that cannot continue it
        arrives; when that token is itself the error (a misspelt `promt`, which
        reads as a label), the missing clause is the same mistake seen twice.
        """
        self._context.withdraw(codes.MISSING_CLAUSE, since)

    def _misread_keyword(self, since: int) -> bool:
        """Whether one of the last two tokens was a keyword taken as a name or a type.

        Its error (`'on' is a keyword and cannot be used as a name` in `f(x = on Ok ...`)
        already points at the mistake; the token after it failing is the same mistake.
        """
        misreadings = (codes.KEYWORD_AS_NAME, codes.UNKNOWN_TYPE)
        return any(d.code in misreadings for d in self._context.diagnostics[since:])

    # ---- going on as if a misspelt keyword were spelt right

    def _respell(self, token: Token) -> bool:
        """Go on as if a misspelt keyword were the one the error suggested.

        The rest of its step is then read and checked as usual, so one run reports
        `reqest` on one line and `promt` on the next, and a misspelt `promt` is not
        also a missing prompt.
        """
        automaton = self._automaton
        label = dangling_label(automaton, automaton.expected())
        if label is not None:
            return self._respell_label(label, token)
        if token.type != "NAME":
            return False
        near = self._suggestion(token.value, automaton.depth)
        if near is None:
            return False
        automaton.feed(Token.new_borrow_pos(self._grammar.keyword_terminals[near], near, token))
        return True

    def _respell_label(self, label: ast.Ident, token: Token) -> bool:
        """Read a misspelt step keyword, taken for a label (`colect`), as the keyword,
        then `token`, the one that showed it was no label."""
        automaton = self._automaton
        # Only a step keyword can take the label's place: a clause keyword (`promt`)
        # belonged to the step before, which the parser has already closed.
        near = messages.keyword_for_label(label.name)
        if near is None or near != self._suggestion(label.name, automaton.depth - 1):
            return False
        automaton.cut(automaton.depth - 1)
        automaton.feed(self._keyword_at(near, label.span))
        token = self._grammar.as_keyword(token)
        if not automaton.accepts(token.type):
            return self._resynchronise(token)
        automaton.feed(token)
        return True

    def _suggestion(self, name: str, depth: int) -> str | None:
        """The keyword that `name` is probably a misspelling of, among those that fit
        where the stack, cut to `depth`, is."""
        expected = self._automaton.expected_at(depth)
        return messages.near_keyword(name, messages.keywords_in(self._grammar, expected))

    def _keyword_at(self, keyword: str, span: Span) -> Token:
        return Token(
            self._grammar.keyword_terminals[keyword],
            keyword,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
        )

    # ---- panic mode

    def _resynchronise(self, token: Token) -> bool:
        """Resume at `token` if it begins a step or declaration; False means skip it.

        The parser resumes in the innermost construct that can take the token,
        popping unfinished ones off its stack, but never reopens a block whose
        `}` it has read. A `}` resumes only where it fits without popping.
        """
        automaton = self._automaton
        token = self._grammar.as_keyword(token)
        if token.type == "LBRACE":
            self._skipped_blocks += 1
            return False
        if token.type == "RBRACE" and self._skipped_blocks:
            self._skipped_blocks -= 1
            return False
        if token.type == "RBRACE" and automaton.accepts("RBRACE"):
            self._resume_with(token)
            return True
        if token.type not in _SYNC_TOKENS:
            return False
        if token.type in _MEMBERS and any(automaton.accepts(t) for t in _MEMBER_ENDS):
            # What comes before it is complete: the member is out of order, and resuming
            # at it would throw away members already read, each then missed in turn.
            return False
        return self._pop_to(token)

    def _pop_to(self, token: Token) -> bool:
        """Cut the stack to the innermost state that takes `token`, and resume there."""
        automaton = self._automaton
        for depth in range(automaton.depth, 0, -1):
            if automaton.accepts(token.type, depth):
                automaton.cut(depth)
                self._resume_with(token)
                return True
            closing = automaton.values[depth - 2] if depth >= 2 else None
            if isinstance(closing, Token) and closing.type == "RBRACE":
                return False
        return False

    def _resume_with(self, token: Token) -> None:
        """Feed the token that recovery resumes at. The steps it completes were cut
        short by the error, so their missing clauses are that error, not new ones."""
        since = len(self._context.diagnostics)
        self._skipped_blocks = 0
        self._automaton.feed(token)
        self._withdraw_missing_clauses(since)
