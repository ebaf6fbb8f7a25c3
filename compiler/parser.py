"""The parser: the text of one .flow file in, its AST (compiler/ast.py) and syntax diagnostics out.

The grammar (grammar/flow.lark) is LALR(1) with Lark's contextual lexer. The AST is
built during the parse: `_Builder` holds one method per grammar rule, which Lark
calls at each reduction, so no parse tree is ever made. Strings are decoded and
their `{{ templates }}` parsed (with the same grammar, start symbol `template`)
as their tokens are read, so every template expression carries its own span in
the file.

Syntax errors are reported in words and the parse carries on: after an error the
parser skips input up to the next step or declaration keyword and pops its stack
to a state that accepts that keyword (panic mode). A file with errors yields no
module, only diagnostics. Nothing from Lark leaves this module.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import importlib.resources
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import LexerThread, PatternStr
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_parser_state import ParseConf, ParserState

from . import ast
from .diagnostics import Diagnostic, Note, did_you_mean, error
from .source import SourceFile, Span

# Codes of syntax diagnostics (docs/diagnostics.md, "Syntax"). E0002 (not UTF-8) is the loader's.
E_UNEXPECTED = "E0001"
E_BAD_CHARACTER = "E0003"
E_UNTERMINATED_STRING = "E0004"
E_BAD_ESCAPE = "E0005"
E_UNKNOWN_KEYWORD = "E0006"
E_KEYWORD_AS_NAME = "E0007"
E_UNKNOWN_TYPE = "E0008"
E_BAD_NUMBER = "E0009"
E_TOO_DEEP = "E0010"
E_MISSING_CLAUSE = "E0011"
E_DUPLICATE_CLAUSE = "E0012"
E_WRONG_HANDLER = "E0013"
E_BAD_TEMPLATE = "E0014"
E_NOT_PLAIN = "E0015"
E_BAD_DOTTED_NAME = "E0016"

MAX_ERRORS = 20
"""Syntax errors reported per file; past this many the rest of the file is not read."""

MAX_NESTING = 64
"""Deepest expression or type accepted: later passes walk the AST recursively."""

STEP_KEYWORDS = (
    "talk", "collect", "request", "run", "code", "set", "if", "send", "transfer", "end", "exit",
)  # fmt: skip
DECLARATION_KEYWORDS = ("action", "flow", "from", "python")

# Tokens the parser resynchronises on after an error: each begins a step, a member
# of an action or flow, or a declaration.
_SYNC_TOKENS = frozenset(
    [k.upper() for k in STEP_KEYWORDS + DECLARATION_KEYWORDS] + ["INPUT", "OUTPUT", "META", "AFTER"]
)


@dataclass(frozen=True)
class ParseResult:
    module: ast.Module | None
    diagnostics: tuple[Diagnostic, ...]


def parse(source: SourceFile) -> ParseResult:
    """Parse one file. `module` is None when the file has syntax errors."""
    machinery = _machinery()
    with machinery.lock:
        context = _Context(source)
        machinery.builder.context = context
        try:
            module = _Driver(machinery, context).parse_module()
        except _TooManyErrors:
            module = None
        finally:
            machinery.builder.context = None
    diagnostics = tuple(context.diagnostics)
    if any(d.is_error for d in diagnostics):
        return ParseResult(None, diagnostics)
    return ParseResult(module, diagnostics)


# --------------------------------------------------------------------------
# The grammar, loaded once per process


@dataclass(frozen=True)
class _Machinery:
    lark: Lark
    builder: _Builder
    keywords: frozenset[str]
    # Each keyword's terminal: `flow` read where only a name fits is still a FLOW to recovery.
    keyword_terminals: dict[str, str]
    words: _ExpectedWords
    # The builder keeps the state of the parse in progress: one parse at a time.
    lock: threading.Lock


@functools.cache
def _machinery() -> _Machinery:
    grammar = (importlib.resources.files("flowc.grammar") / "flow.lark").read_text("utf-8")
    builder = _Builder()
    lark = Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        start=["module", "template"],
        transformer=builder,
        maybe_placeholders=False,
        cache=_cache_path(),
    )
    keyword_terminals = {
        t.pattern.value: t.name
        for t in lark.terminals
        if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
    }
    keywords = frozenset(keyword_terminals)
    builder.keywords = keywords - {"email"}  # `email` is also a type name
    words = _ExpectedWords(lark, keywords)
    return _Machinery(lark, builder, keywords, keyword_terminals, words, threading.Lock())


def _cache_path() -> str | bool:
    """Where Lark keeps the analysed grammar (it checks the grammar's hash on load)."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        folder = Path(base) / "flowc"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home folder, or no right to write there
        return False
    return str(folder / "grammar.lark-cache")


# --------------------------------------------------------------------------
# Positions and diagnostics of one parse


class _Context:
    """The file being parsed, its line table, and the diagnostics found so far."""

    def __init__(self, source: SourceFile) -> None:
        self.file = source.path
        self.text = source.text
        self.line_starts = _line_starts(source.text)
        self.diagnostics: list[Diagnostic] = []
        # Offset in the file of the text Lark is reading: 0 for the file, the start
        # of a template's inside while a template is parsed.
        self.base = 0
        self.too_deep_reported = False

    def span(self, start: int, end: int) -> Span:
        """The span of file offsets [start, end)."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.file, line, column, end_line, end_column)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def token_span(self, token: Token) -> Span:
        if self.base == 0 and token.end_line is not None:
            # Lark's own count, when it counted in the file itself (the common, fast case).
            line, column = token.line or 1, token.column or 1
            return Span(self.file, line, column, token.end_line, token.end_column or column)
        return self.span(self.base + _start(token), self.base + _end(token))

    def report(self, diagnostic: Diagnostic) -> None:
        """Record a diagnostic; the last one allowed ends the parse (`_TooManyErrors`)."""
        if len(self.diagnostics) + 1 < MAX_ERRORS:
            self.diagnostics.append(diagnostic)
            return
        note = Note(f"stopped reading this file after {MAX_ERRORS} syntax errors")
        self.diagnostics.append(dataclasses.replace(diagnostic, notes=(*diagnostic.notes, note)))
        raise _TooManyErrors


class _TooManyErrors(Exception):
    """Raised on the MAX_ERRORS-th diagnostic of a file: the rest is not worth reading."""


def _line_starts(text: str) -> list[int]:
    starts = [0]
    newline = text.find("\n")
    while newline != -1:
        starts.append(newline + 1)
        newline = text.find("\n", newline + 1)
    return starts


def _start(token: Token) -> int:
    return token.start_pos if token.start_pos is not None else 0


def _end(token: Token) -> int:
    return token.end_pos if token.end_pos is not None else _start(token)


# --------------------------------------------------------------------------
# Driving the LALR parser, with error recovery


class _Driver:
    def __init__(self, machinery: _Machinery, context: _Context) -> None:
        self.lark = machinery.lark
        self.keywords = machinery.keywords
        self.keyword_terminals = machinery.keyword_terminals
        self.reserved = machinery.builder.keywords
        self.context = context
        self.words = machinery.words
        # Blocks opened by a `{` that recovery skipped: their `}` is skipped too.
        self.skipped_blocks = 0

    def parse_module(self) -> ast.Module | None:
        text = self.context.text
        interactive = self.lark.parse_interactive(text, start="module")
        state = interactive.parser_state
        lexer = interactive.lexer_thread
        recovering = False
        diagnostics = self.context.diagnostics
        # How many diagnostics there were before the last two tokens were fed.
        earlier = before = 0
        while True:  # once per lexer restart: it stops at the characters it cannot read
            try:
                for token in _tokens(lexer, state):
                    if recovering:
                        recovering = not self._resynchronise(state, token)
                        continue
                    earlier, before = before, len(diagnostics)
                    # A Token is a str: one set look-up keeps the common case fast.
                    if token in self.reserved and self._begins_construct(token):
                        keyword = self._as_keyword(token)
                        recovering = self._error_at(state, keyword, since=earlier)
                        continue
                    try:
                        state.feed_token(token)
                    except UnexpectedToken:
                        recovering = self._error_at(state, token, since=earlier)
                break
            except UnexpectedToken as exc:
                # The contextual lexer found a token that is valid elsewhere, not here.
                if recovering:
                    recovering = not self._resynchronise(state, exc.token)
                else:
                    recovering = self._error_at(state, exc.token, since=before)
            except UnexpectedCharacters as exc:
                offset = _offset(exc)
                if not recovering:
                    self._report_bad_characters(offset)
                # Step over the bad characters, as Lark's own on_error loop does.
                assert lexer.state is not None
                lexer.state.line_ctr.feed(text[offset : self._skip_to(offset)])
                recovering = True
        result = self._feed_end(state, len(text), report=not recovering, in_template=False)
        return result if isinstance(result, ast.Module) else None

    def parse_template(self, inner: str) -> ast.Expr | None:
        """The expression of one template (no recovery: the first error is reported)."""
        interactive = self.lark.parse_interactive(inner, start="template")
        state = interactive.parser_state
        try:
            for token in _tokens(interactive.lexer_thread, state):
                state.feed_token(token)
        except UnexpectedToken as exc:
            self._report_unexpected(state, exc.token, in_template=True)
            return None
        except UnexpectedCharacters as exc:
            self._report_bad_characters(self.context.base + _offset(exc))
            return None
        result = self._feed_end(state, len(inner), report=True, in_template=True)
        return result if isinstance(result, _EXPR_TYPES) else None

    def _feed_end(
        self, state: ParserState[Any], length: int, report: bool, in_template: bool
    ) -> Any:
        end = Token("$END", "", start_pos=length, end_pos=length)
        try:
            return state.feed_token(end, True)
        except UnexpectedToken:
            if report:
                self._report_unexpected(state, end, in_template=in_template)
            return None

    # ---- recovery

    def _error_at(self, state: ParserState[Any], token: Token, since: int) -> bool:
        """Report the error at `token` and recover; True while input is being skipped.

        `since` counts the diagnostics from before the last two tokens were read:
        theirs may be the same mistake seen earlier (see the two methods below).
        """
        self._withdraw_missing_clauses(since)
        if not self._misread_keyword(since):
            self._report_unexpected(state, token, in_template=False)
        return not self._recover(state, token)

    def _withdraw_missing_clauses(self, since: int) -> None:
        """Drop "needs a 'prompt' clause" errors of the last two tokens.

        A step is complete, for the parser, when a token that cannot continue it
        arrives; when that token is itself the error (a misspelt `promt`, which
        reads as a label), the missing clause is the same mistake seen twice.
        """
        diagnostics = self.context.diagnostics
        diagnostics[since:] = [d for d in diagnostics[since:] if d.code != E_MISSING_CLAUSE]

    def _recover(self, state: ParserState[Any], token: Token) -> bool:
        """After reporting the error at `token`: False means skip input until a resync point."""
        return self._respell(state, token) or self._resynchronise(state, token)

    def _respell(self, state: ParserState[Any], token: Token) -> bool:
        """Go on as if a misspelt keyword were the one the error suggested.

        The rest of its step is then read and checked as usual, so one run reports
        `reqest` on one line and `promt` on the next, and a misspelt `promt` is not
        also a missing prompt.
        """
        conf, stack, values = state.parse_conf, state.state_stack, state.value_stack
        label = self._dangling_label(state, _acceptable(conf, stack))
        if label is not None:
            # Only a step keyword can take the label's place: a clause keyword (`promt`)
            # belonged to the step before, which the parser has already closed.
            near = _keyword_for_label(label.name)
            if near is None or near != self._suggestion(label.name, conf, stack[:-1]):
                return False
            del stack[-1], values[-1]
            state.feed_token(self._keyword_at(near, label.span))
            token = self._as_keyword(token)
            if not _accepts(conf, stack, token.type):
                return self._resynchronise(state, token)
            state.feed_token(token)
            return True
        if token.type != "NAME":
            return False
        near = self._suggestion(str(token.value), conf, stack)
        if near is None:
            return False
        state.feed_token(Token.new_borrow_pos(self.keyword_terminals[near], near, token))
        return True

    def _suggestion(self, name: str, conf: ParseConf[Any], stack: list[Any]) -> str | None:
        """The keyword that `name` is probably a misspelling of, among those that fit here."""
        return _near_keyword(name, self.words.keywords_in(_acceptable(conf, stack)))

    def _keyword_at(self, keyword: str, span: Span) -> Token:
        return Token(
            self.keyword_terminals[keyword],
            keyword,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
        )

    def _begins_construct(self, token: Token) -> bool:
        """Whether a keyword that the lexer read as a NAME, because only a name fits
        here, begins the next step, declaration or clause instead: the construct
        before it is unfinished (`set total =` and then `end` on the next line,
        `collect name:` and then `prompt`).

        The keyword must begin its line and be no field or argument name: those may
        be keywords (`expect { from: text }`, `Book(end = x)`, `reply.` `body`).
        """
        if token.type != "NAME":
            return False
        text, start = self.context.text, _start(token)
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip() or _NAMES_A_FIELD.match(text, _end(token)):
            return False
        before = line_start - 1  # the last character before the line that is not blank
        while before >= 0 and text[before] in " \t\r\n":
            before -= 1
        return before < 0 or text[before] != "."

    def _as_keyword(self, token: Token) -> Token:
        """The token as its keyword's terminal, when the contextual lexer, which looks
        only for what fits here, read a keyword where it does not fit as a NAME."""
        if token.type == "NAME" and token.value in self.keyword_terminals:
            return Token.new_borrow_pos(self.keyword_terminals[token.value], token.value, token)
        return token

    def _misread_keyword(self, since: int) -> bool:
        """Whether one of the last two tokens was a keyword taken as a name or a type.

        Its error (`'on' is a keyword and cannot be used as a name` in `f(x = on Ok ...`)
        already points at the mistake; the token after it failing is the same mistake.
        """
        return any(
            d.code in (E_KEYWORD_AS_NAME, E_UNKNOWN_TYPE) for d in self.context.diagnostics[since:]
        )

    def _resynchronise(self, state: ParserState[Any], token: Token) -> bool:
        """Resume at `token` if it begins a step or declaration; False means skip it.

        The parser resumes in the innermost construct that can take the token,
        popping unfinished ones off its stack, but never reopens a block whose
        `}` it has read. A `}` resumes only where it fits without popping.
        """
        token = self._as_keyword(token)
        stack, values = state.state_stack, state.value_stack
        if token.type == "LBRACE":
            self.skipped_blocks += 1
            return False
        if token.type == "RBRACE" and self.skipped_blocks:
            self.skipped_blocks -= 1
            return False
        if token.type == "RBRACE" and _accepts(state.parse_conf, stack, "RBRACE"):
            self._resume_with(state, token)
            return True
        if token.type not in _SYNC_TOKENS:
            return False
        if token.type in _MEMBERS and any(
            _accepts(state.parse_conf, stack, t) for t in _MEMBER_ENDS
        ):
            # What comes before it is complete: the member is out of order, and resuming
            # at it would throw away members already read, each then missed in turn.
            return False
        for depth in range(len(stack), 0, -1):
            if _accepts(state.parse_conf, stack[:depth], token.type):
                del stack[depth:]
                del values[depth - 1 :]
                self._resume_with(state, token)
                return True
            closing = values[depth - 2] if depth >= 2 else None
            if isinstance(closing, Token) and closing.type == "RBRACE":
                return False
        return False

    def _resume_with(self, state: ParserState[Any], token: Token) -> None:
        """Feed the token that recovery resumes at. The steps it completes were cut
        short by the error, so their missing clauses are that error, not new ones."""
        since = len(self.context.diagnostics)
        self.skipped_blocks = 0
        state.feed_token(token)
        self._withdraw_missing_clauses(since)

    def _skip_to(self, offset: int) -> int:
        """Where reading resumes after the bad characters at `offset`."""
        text = self.context.text
        if text.startswith('"', offset):
            end = len(text) if text.startswith('"""', offset) else text.find("\n", offset)
            return len(text) if end == -1 else end
        # A malformed number goes as a whole; other junk up to the next blank or bracket,
        # so that a long run of it (a binary file, say) costs one error, not one per byte.
        junk = (_WORD if text[offset].isdigit() else _JUNK).match(text, offset)
        return junk.end() if junk else offset + 1

    # ---- reporting

    def _report_unexpected(self, state: ParserState[Any], token: Token, in_template: bool) -> None:
        context = self.context
        expected = _acceptable(state.parse_conf, state.state_stack)
        if in_template and "$END" in expected:
            # A template's text ends where its `}}` is.
            expected = (expected - {"$END"}) | {_TEMPLATE_END}
        label = self._dangling_label(state, expected)
        if label is not None:
            self._report_dangling_label(
                label, _acceptable(state.parse_conf, state.state_stack[:-1])
            )
            return
        token = self._as_keyword(token)
        span = context.token_span(token)
        found = _describe(token, in_template)
        if token.type == "NAME":
            near = _near_keyword(str(token.value), self.words.keywords_in(expected))
            if near is not None:
                context.report(
                    error(
                        E_UNKNOWN_KEYWORD,
                        span,
                        f"unknown keyword '{token.value}'; did you mean '{near}'?",
                        help=f"expected {self.words.phrase(expected)}",
                    )
                )
                return
        message = f"expected {self.words.phrase(expected)} but found {found}"
        hint = _hint(expected, token, state.value_stack, in_template)
        notes = self._unclosed_brace(state, token)
        context.report(error(E_UNEXPECTED, span, message, notes=notes, help=hint))

    def _unclosed_brace(self, state: ParserState[Any], token: Token) -> tuple[Note, ...]:
        """Where the block that the end of the file leaves open began."""
        if token.type != "$END":
            return ()
        opening = next(
            (v for v in reversed(state.value_stack) if isinstance(v, Token) and v.type == "LBRACE"),
            None,
        )
        if opening is None:
            return ()
        return (Note("the block opened here is never closed", self.context.token_span(opening)),)

    def _dangling_label(self, state: ParserState[Any], expected: set[str]) -> ast.Ident | None:
        """The name just read, when it was read as a label but no ':' follows it.

        A misspelt step keyword (`colect name: text`) reads as the label `colect`,
        and the error only shows at the next token; it belongs to the name.
        """
        if expected != {"COLON"} or not state.value_stack:
            return None
        name = state.value_stack[-1]
        states = state.parse_conf.states
        if isinstance(name, ast.Ident) and "TALK" in states[state.state_stack[-2]]:
            return name
        return None

    def _report_dangling_label(self, name: ast.Ident, expected: set[str]) -> None:
        """Report a name read as a label; `expected` is what could stand in its place."""
        near = _keyword_for_label(name.name)
        if near is not None:
            message = f"unknown keyword '{name.name}'; did you mean '{near}'?"
            self.context.report(error(E_UNKNOWN_KEYWORD, name.span, message))
            return
        self.context.report(
            error(
                E_UNEXPECTED,
                name.span,
                f"expected {self.words.phrase(expected)} but found the name '{name.name}'",
                help=_label_help(name.name),
            )
        )

    def _report_bad_characters(self, offset: int) -> None:
        text = self.context.text
        char = text[offset]
        if char == '"':
            self._report_unterminated_string(offset)
            return
        if char.isdigit():
            end = self._skip_to(offset)
            self.context.report(
                error(
                    E_BAD_NUMBER,
                    self.context.span(offset, end),
                    f"malformed number '{text[offset:end]}'",
                    help="numbers are written 42, 3.5 or -1; durations 500ms, 5s or 2m",
                )
            )
            return
        if not char.isprintable() or char.isspace():
            shown = f"U+{ord(char):04X}"
        else:
            shown = f'"{char}"' if char == "'" else f"'{char}'"
        self.context.report(
            error(
                E_BAD_CHARACTER,
                self.context.span(offset, offset + 1),
                f"unexpected character {shown}",
                help=_CHARACTER_HINTS.get(char) or _non_ascii_hint(char),
            )
        )

    def _report_unterminated_string(self, offset: int) -> None:
        text = self.context.text
        if text.startswith('"""', offset):
            message, hint = "unterminated multi-line string", 'close it with """'
            closing = text.find('"""', offset + 3)
            body = text[offset : len(text) if closing == -1 else closing]
        else:
            message = "unterminated string"
            hint = 'close it with " on the same line; use """...""" for text over several lines'
            line_end = text.find("\n", offset)
            body = text[offset : len(text) if line_end == -1 else line_end]
        if "{{" in body and "}}" not in body[body.rindex("{{") :]:
            hint = "a template '{{' needs its '}}' (write '\\{{' for literal braces)"
        self.context.report(
            error(E_UNTERMINATED_STRING, self.context.span(offset, offset + 1), message, help=hint)
        )


_STEP_STARTS = frozenset(k.upper() for k in STEP_KEYWORDS) | {"ARROW", "ON"}
_MEMBERS = frozenset(["META", "INPUT", "OUTPUT"])
# Tokens that can follow a complete member or step.
_MEMBER_ENDS = ("RBRACE", "INPUT", "OUTPUT", "TALK")
# Operators that a template, which holds a value, cannot use.
_NOT_IN_TEMPLATES = frozenset(["CMP_OP", "IN", "AND", "OR", "NOT"])
_COMPARISONS = frozenset(["CMP_OP", "IN"])


# What a character that starts no token was probably meant to be.
_CHARACTER_HINTS = {
    "'": 'strings are written in double quotes: "..."',
    "\u201c": 'strings are written in straight double quotes: "..."',
    "\u201d": 'strings are written in straight double quotes: "..."',
    "&": "write 'and'",
    "|": "write 'or'",
    "!": "write 'not', or '!=' to compare",
    "+": 'there is no arithmetic; build text with a template: "{{a}} {{b}}"',
    "*": "there is no arithmetic",
    "/": "there is no arithmetic; comments begin with '#'",
    "-": "there is no arithmetic; '-' only begins a negative number: -1",
}


# Keywords that can begin a line: a step, a member of an action or flow, a
# declaration, or a clause of the step before. A name read as a label where none
# belongs is compared with these only: `Fail(...)` is no misspelt `email`.
_LINE_KEYWORDS = tuple(
    [k.lower() for k in _SYNC_TOKENS]
    + ["on", "configurable", "prompt", "reprompt", "attempts", "timeout", "headers", "query"]
    + ["body", "expect", "retries", "subject", "say"]
)


def _keyword_for_label(name: str) -> str | None:
    """The keyword a name read as a label probably misspells; a type name misspells none."""
    if name in ast.SCALAR_TYPE_NAMES:
        return None
    return did_you_mean(name, _LINE_KEYWORDS)


def _label_help(name: str) -> str:
    if name in ast.SCALAR_TYPE_NAMES:  # `answer: text` with its `collect` left out
        return f"'{name}' is a type; to ask the caller, write 'collect NAME: {name} prompt ...'"
    return f"a step begins with a keyword; a label is written '{name}:'"


def _near_keyword(name: str, keywords: list[str]) -> str | None:
    """The keyword `name` is probably a misspelling of; a wrong case (`get`, `Talk`) first."""
    same_letters = [k for k in keywords if k.lower() == name.lower()]
    return same_letters[0] if same_letters else did_you_mean(name, keywords)


def _non_ascii_hint(char: str) -> str | None:
    if char.isalpha():
        return "names are written in ASCII letters, digits and '_'; other text goes in strings"
    return None


def _hint(expected: set[str], token: Token, values: list[Any], in_template: bool) -> str | None:
    """Advice for mistakes the expected words alone do not explain."""
    if token.value == "=" and "CMP_OP" in expected:
        return "to compare, write '=='"
    if in_template and token.type in _NOT_IN_TEMPLATES:
        return "a template holds a value (a path, a literal or '??'); compute it with 'set' first"
    if token.type in _COMPARISONS and _ends_with_comparison(values):
        return "comparisons do not chain; join them with 'and': a < b and b < c"
    if token.type in _MEMBERS:
        return "an action has its meta, then its inputs, then its outputs; a flow has only meta"
    if token.type == "AFTER":
        return "a flow has one 'after call' block, after its steps; an action has none"
    if token.type == "ON" and "TALK" in expected and "ON" not in expected:
        return (
            "a default handler comes before the first step; a step's own handler follows it"
            " (collect, request, run, code, send, transfer)"
        )
    if token.type not in _STEP_STARTS:
        return None
    if "OUTPUT" in expected and "TALK" not in expected:
        return "an action declares its outputs (at least one) before its handlers and steps"
    if expected == {"RBRACE"}:
        return "'after call { ... }' comes last in a flow, after every step"
    return None


def _ends_with_comparison(values: list[Any]) -> bool:
    """Whether the parser has just read `a < b`: reduced to a Compare, or not yet (a, `<`, b)."""
    if values and isinstance(values[-1], ast.Compare):
        return True
    operator = values[-2] if len(values) >= 2 else None
    return isinstance(operator, Token) and operator.type in _COMPARISONS


def _accepts(conf: ParseConf[Any], stack: list[Any], terminal: str) -> bool:
    """Whether the LALR automaton with this stack would shift `terminal` (or accept, for $END).

    Only the tables are consulted, so no rule's action runs.
    """
    states = conf.states
    stack = list(stack)
    while True:
        action = states[stack[-1]].get(terminal)
        if action is None:
            return False
        kind, argument = action
        if kind is Shift:
            return True
        size = len(argument.expansion)
        if size:
            del stack[-size:]
        stack.append(states[stack[-1]][argument.origin.name][1])
        if terminal == "$END" and stack[-1] == conf.end_state:
            return True


def _acceptable(conf: ParseConf[Any], stack: list[Any]) -> set[str]:
    """The terminals the parser could shift next with this stack.

    An LALR state shares its look-aheads with every context it serves, so its
    table lists more than fits here; trying each on the real stack keeps the
    message to what this place in this file can take.
    """
    candidates = [t for t in conf.states[stack[-1]] if t.isupper() or t == "$END"]
    return {t for t in candidates if _accepts(conf, stack, t)}


def _tokens(lexer: LexerThread, state: ParserState[Any]) -> Iterator[Token]:
    tokens: Iterator[Token] = lexer.lex(state)  # type: ignore[no-untyped-call]  # unannotated in Lark
    return tokens


def _offset(exc: UnexpectedCharacters) -> int:
    return exc.pos_in_stream if exc.pos_in_stream is not None else 0


# What follows a field's or an argument's name: ':' or '=' (not '==').
_NAMES_A_FIELD = re.compile(r"[ \t\r\n]*(?::|=(?!=))")
_WORD = re.compile(r"[-0-9A-Za-z_.]+")
_JUNK = re.compile(r'[^\s"#(){}\[\],:]+')
_STEP_LIST = "talk, collect, request, ..."
_TEMPLATE_END = "TEMPLATE_END"  # stands for $END in what a template expects


def _describe(token: Token, in_template: bool) -> str:
    kind = token.type
    if kind == "$END":
        return "'}}'" if in_template else "the end of the file"
    if kind == "NAME":
        return f"the name '{token.value}'"
    if kind == "STRING":
        return "a string"
    if kind == "NUMBER":
        return f"the number {token.value}"
    if kind == "DURATION":
        return f"the duration {token.value}"
    return f"'{token.value}'"


class _ExpectedWords:
    """Turns a set of terminals the parser would accept into words for a person."""

    _EXPRESSION_STARTS = frozenset(
        ["STRING", "NUMBER", "DURATION", "NAME", "TRUE", "FALSE", "CALL", "ENV", "NOT", "LPAR"]
    )
    _EXPRESSION_MARKS = frozenset(["STRING", "NUMBER", "NAME", "LPAR"])
    # What may continue an expression: left out of a message when anything else fits.
    _CONTINUATION_LITERALS = frozenset([".", "[", "??", "and", "or", "in"])
    _NAMED: ClassVar[dict[str, str]] = {
        "NAME": "a name",
        "STRING": "a string",
        "NUMBER": "a number",
        "DURATION": "a duration (500ms, 5s, 2m)",
        "CMP_OP": "a comparison (==, !=, <, <=, >, >=)",
        "$END": "the end of the file",
        _TEMPLATE_END: "'}}'",
    }
    _METHODS = frozenset(["GET", "POST", "PUT", "PATCH", "DELETE"])

    def __init__(self, lark: Lark, keywords: frozenset[str]) -> None:
        self._literals = {
            t.name: t.pattern.value for t in lark.terminals if isinstance(t.pattern, PatternStr)
        }
        self._keywords = keywords
        self._continuations = {"CMP_OP"} | {
            name
            for name, literal in self._literals.items()
            if literal in self._CONTINUATION_LITERALS
        }

    def keywords_in(self, expected: set[str]) -> list[str]:
        return [self._literals[t] for t in expected if self._literals.get(t) in self._keywords]

    def phrase(self, expected: set[str]) -> str:
        words = self._words(expected)
        if len(words) == 1:
            return words[0]
        return ", ".join(words[:-1]) + " or " + words[-1]

    def _words(self, expected: set[str]) -> list[str]:
        remaining = set(expected)
        groups: list[str] = []
        if "TALK" in remaining:
            groups.append(f"a step ({_STEP_LIST})")
            remaining -= {k.upper() for k in STEP_KEYWORDS} | {"ARROW", "NAME"}
        if "ACTION" in remaining:
            groups.append("a declaration (action, flow, from, python)")
            remaining -= {k.upper() for k in DECLARATION_KEYWORDS}
        if remaining >= self._EXPRESSION_MARKS:
            groups.append("an expression")
            remaining -= self._EXPRESSION_STARTS
        if remaining >= {"NAME", "LBRACE"} and "STRING" not in remaining:
            groups.append("a type (text, number, ..., list[T], {field: type})")
            remaining -= {"NAME", "LBRACE"}
        if remaining >= self._METHODS:
            groups.append("an HTTP method (GET, POST, PUT, PATCH, DELETE)")
            remaining -= self._METHODS
        continuations = remaining & self._continuations
        if groups or remaining - continuations:
            remaining -= continuations
        singles = sorted(self._single(t) for t in remaining if not t.startswith("__ANON"))
        anonymous = sorted(self._single(t) for t in remaining if t.startswith("__ANON"))
        return groups + singles + anonymous or ["something else"]

    def _single(self, terminal: str) -> str:
        if terminal in self._NAMED:
            return self._NAMED[terminal]
        return f"'{self._literals.get(terminal, terminal.lower())}'"


# --------------------------------------------------------------------------
# Building the AST, one method per grammar rule

_EXPR_TYPES = (
    ast.StringLit, ast.NumberLit, ast.BoolLit, ast.DurationLit, ast.ListLit, ast.Name,
    ast.FieldAccess, ast.IndexAccess, ast.Compare, ast.Logic, ast.Not, ast.Fallback, ast.EnvRef,
)  # fmt: skip
_STEP_TYPES = (
    ast.Talk, ast.Collect, ast.Request, ast.Run, ast.Code, ast.Set, ast.If, ast.Jump,
    ast.SendSms, ast.SendEmail, ast.Transfer, ast.End, ast.Exit,
)  # fmt: skip

_Children = list[Any]


@dataclass(frozen=True, slots=True)
class _Map:
    """The `{ "key": expr, ... }` of a request clause (only inside the parser)."""

    entries: tuple[ast.Entry, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class _Dotted:
    """A dotted name `a.b.c` (only inside the parser)."""

    parts: tuple[ast.Ident, ...]
    span: Span


class _Clauses:
    """The optional clauses of a step, by keyword, and its `on ... ->` handlers."""

    def __init__(self, builder: _Builder, step: str, children: Sequence[Any]) -> None:
        self.values: dict[str, Any] = {}
        self.handlers: list[ast.Handler] = []
        items = iter(children)
        for item in items:
            if isinstance(item, ast.Handler):
                self.handlers.append(item)
                continue
            keyword = str(item.value)
            value = next(items)
            if keyword in self.values:
                builder.report(
                    E_DUPLICATE_CLAUSE,
                    builder.span_of(item),
                    f"'{step}' has more than one '{keyword}' clause",
                    help=f"keep one '{keyword}'",
                )
            self.values[keyword] = value

    def get(self, keyword: str) -> Any:
        return self.values.get(keyword)


class _Builder:
    """Lark calls these methods at each reduction (rule name = method name) and for
    the terminals NAME, STRING, NUMBER and DURATION as they are read."""

    def __init__(self) -> None:
        self.context: _Context | None = None
        self.keywords: frozenset[str] = frozenset()

    @property
    def ctx(self) -> _Context:
        assert self.context is not None, "the builder is used only during parse()"
        return self.context

    # ---- helpers

    def report(self, code: str, span: Span, message: str, help: str | None = None) -> None:
        self.ctx.report(error(code, span, message, help=help))

    def span_of(self, item: Any) -> Span:
        if isinstance(item, Token):
            return self.ctx.token_span(item)
        span: Span = item.span
        return span

    def cover(self, first: Any, last: Any) -> Span:
        start, end = self.span_of(first), self.span_of(last)
        return Span(start.file, start.line, start.column, end.end_line, end.end_column)

    def check_nesting(self, node: ast.Expr | ast.TypeExpr) -> None:
        span = node.span
        # Each level of nesting takes at least one character, so a node shorter
        # than the limit, on one line, cannot be too deep: no need to walk it.
        if span.line == span.end_line and span.end_column - span.column <= MAX_NESTING:
            return
        if not self.ctx.too_deep_reported:
            deep = _too_deep(node)
            if deep is not None:
                self.ctx.too_deep_reported = True
                self.report(
                    E_TOO_DEEP,
                    deep,
                    f"this nests more than {MAX_NESTING} levels deep",
                    help="split it into several steps with `set`",
                )

    def _placeholder(self, at: Any) -> ast.StringLit:
        """Stands in for a missing required part; its error makes parse() drop the module."""
        return ast.StringLit((), self.span_of(at))

    def _handler(self, handlers: list[ast.Handler], event: str, step: str) -> ast.Handler | None:
        """The step's `on EVENT -> ...`; another event, or a second handler, is an error."""
        chosen: ast.Handler | None = None
        for handler in handlers:
            if handler.event.name != event:
                self.report(
                    E_WRONG_HANDLER,
                    handler.event.span,
                    f"'{step}' can only handle '{event}', not '{handler.event.name}'",
                    help=f"write 'on {event} -> TARGET'",
                )
            elif chosen is not None:
                message = f"'{step}' has more than one 'on {event}' handler"
                first = Note("the first is here", chosen.span)
                self.ctx.report(error(E_DUPLICATE_CLAUSE, handler.span, message, notes=[first]))
            else:
                chosen = handler
        return chosen

    def _required(self, clauses: _Clauses, keyword: str, step: Token, what: str) -> Any:
        value = clauses.get(keyword)
        if value is None:
            self.report(
                E_MISSING_CLAUSE,
                self.span_of(step),
                f"'{what}' needs a '{keyword}' clause",
            )
            return self._placeholder(step)
        return value

    def _plain(self, literal: ast.StringLit, what: str) -> str:
        if not literal.is_plain:
            self.report(E_NOT_PLAIN, literal.span, f"{what} cannot hold a template")
        return literal.plain_text

    # ---- terminals

    def NAME(self, token: Token) -> ast.Ident:
        return ast.Ident(str(token.value), self.ctx.token_span(token))

    def _name(self, ident: ast.Ident) -> ast.Ident:
        """A name that declares or refers to a variable, label, action, flow, input or output.

        Keywords are reserved for these. A field (`response.body`, `{ from: text }`) and
        an argument name may be any word, as JSON fields and Python parameters may be.
        """
        if ident.name in self.keywords:
            self.report(
                E_KEYWORD_AS_NAME,
                ident.span,
                f"'{ident.name}' is a keyword and cannot be used as a name",
                help=f"choose another name, such as '{ident.name}_value'",
            )
        return ident

    def NUMBER(self, token: Token) -> ast.NumberLit:
        text = str(token.value)
        value: int | float = float(text) if "." in text else int(text)
        return ast.NumberLit(value, self.ctx.token_span(token))

    def DURATION(self, token: Token) -> ast.DurationLit:
        text = str(token.value)
        digits = text.rstrip("ms")
        unit = text[len(digits) :]
        milliseconds = int(digits) * {"ms": 1, "s": 1000, "m": 60_000}[unit]
        return ast.DurationLit(milliseconds, self.ctx.token_span(token))

    def STRING(self, token: Token) -> ast.StringLit:
        return _StringDecoder(self, token).decode()

    # ---- declarations

    def module(self, c: _Children) -> ast.Module:
        context = self.ctx
        return ast.Module(context.file, tuple(c), context.span(0, len(context.text)))

    def dotted(self, c: _Children) -> _Dotted:
        return _Dotted(tuple(c), self.cover(c[0], c[-1]))

    def file_import(self, c: _Children) -> ast.FileImport:
        self._plain(c[1], "an import path")
        names = tuple(self._name(n) for n in c[3:])
        return ast.FileImport(c[1], names, self.cover(c[0], c[-1]))

    def package_import(self, c: _Children) -> ast.PackageImport:
        package = ".".join(part.name for part in c[1].parts)
        names = tuple(self._name(n) for n in c[3:])
        return ast.PackageImport(package, names, self.cover(c[0], c[-1]))

    def python_decl(self, c: _Children) -> ast.PythonDecl:
        module, function = self._module_function(c[1], "python")
        params = tuple(x for x in c if isinstance(x, ast.Param))
        return ast.PythonDecl(module, function, params, c[-1], self.cover(c[0], c[-1]))

    def _module_function(self, dotted: _Dotted, keyword: str) -> tuple[str, ast.Ident]:
        if len(dotted.parts) < 2:
            self.report(
                E_BAD_DOTTED_NAME,
                dotted.span,
                f"'{keyword}' needs module.function, not just '{dotted.parts[0].name}'",
                help="name the Python module too, e.g. `scoring.score_lead`",
            )
        module = ".".join(part.name for part in dotted.parts[:-1])
        return module, dotted.parts[-1]

    def param(self, c: _Children) -> ast.Param:
        return ast.Param(self._name(c[0]), c[1], self.cover(c[0], c[1]))

    def action(self, c: _Children) -> ast.Action:
        return ast.Action(
            name=self._name(c[1]),
            meta=next((x for x in c if isinstance(x, ast.Meta)), None),
            inputs=tuple(x for x in c if isinstance(x, ast.Input)),
            outputs=tuple(x for x in c if isinstance(x, ast.Output)),
            handlers=tuple(x for x in c if isinstance(x, ast.Handler)),
            steps=tuple(x for x in c if isinstance(x, _STEP_TYPES)),
            span=self.cover(c[0], c[-1]),
        )

    def flow(self, c: _Children) -> ast.Flow:
        return ast.Flow(
            name=self._name(c[1]),
            meta=next((x for x in c if isinstance(x, ast.Meta)), None),
            handlers=tuple(x for x in c if isinstance(x, ast.Handler)),
            steps=tuple(x for x in c if isinstance(x, _STEP_TYPES)),
            after_call=next((x for x in c if isinstance(x, ast.AfterCall)), None),
            span=self.cover(c[0], c[-1]),
        )

    def meta(self, c: _Children) -> ast.Meta:
        return ast.Meta(tuple(c[2:-1]), self.cover(c[0], c[-1]))

    def meta_entry(self, c: _Children) -> ast.MetaEntry:
        return ast.MetaEntry(c[0], c[1], self.cover(c[0], c[1]))

    def input(self, c: _Children) -> ast.Input:
        rest = c[3:]
        default = rest.pop(0) if rest and not isinstance(rest[0], Token) else None
        configurable = bool(rest)
        label = rest[1] if len(rest) > 1 else None
        if label is not None:
            # The label is shown to people who configure the action: there is no call to fill it.
            self._plain(label, "the label of a configurable input")
        name = self._name(c[1])
        return ast.Input(name, c[2], default, configurable, label, self.cover(c[0], c[-1]))

    def output(self, c: _Children) -> ast.Output:
        fields = tuple(x for x in c if isinstance(x, ast.FieldType))
        return ast.Output(self._name(c[1]), fields, self.cover(c[0], c[-1]))

    def handler(self, c: _Children) -> ast.Handler:
        return ast.Handler(self._name(c[1]), c[3], self.cover(c[0], c[3]))

    def target(self, c: _Children) -> ast.Target:
        args = tuple(x for x in c if isinstance(x, ast.Arg)) if len(c) > 1 else None
        return ast.Target(self._name(c[0]), args, self.cover(c[0], c[-1]))

    def arg(self, c: _Children) -> ast.Arg:
        return ast.Arg(c[0], c[1], self.cover(c[0], c[1]))

    def after_call(self, c: _Children) -> ast.AfterCall:
        return ast.AfterCall(tuple(c[3:-1]), self.cover(c[0], c[-1]))

    # ---- steps

    def step(self, c: _Children) -> ast.Step:
        step: ast.Step = c[-1]
        if len(c) == 1:
            return step
        return dataclasses.replace(step, labels=tuple(c[:-1]))

    def label(self, c: _Children) -> ast.Ident:
        label: ast.Ident = c[0]
        return label

    def talk(self, c: _Children) -> ast.Talk:
        return ast.Talk((), c[1], self.cover(c[0], c[1]))

    def collect(self, c: _Children) -> ast.Collect:
        has_options = len(c) > 3 and isinstance(c[3], Token) and c[3].type == "IN"
        options = c[4] if has_options else None
        clauses = _Clauses(self, "collect", c[5:] if has_options else c[3:])
        return ast.Collect(
            labels=(),
            var=self._name(c[1]),
            type=c[2],
            options=options,
            prompt=self._required(clauses, "prompt", c[0], "collect"),
            reprompt=clauses.get("reprompt"),
            attempts=clauses.get("attempts"),
            timeout=clauses.get("timeout"),
            on_no_answer=self._handler(clauses.handlers, "no_answer", "collect"),
            span=self.cover(c[0], c[-1]),
        )

    def request(self, c: _Children) -> ast.Request:
        clauses = _Clauses(self, "request", c[4:])
        headers: _Map | None = clauses.get("headers")
        query: _Map | None = clauses.get("query")
        body: _Map | None = clauses.get("body")
        return ast.Request(
            labels=(),
            var=self._name(c[1]),
            method=ast.HttpMethod(str(c[2].value)),
            url=c[3],
            headers=headers.entries if headers else (),
            query=query.entries if query else (),
            body=body.entries if body else None,
            expect=clauses.get("expect"),
            timeout=clauses.get("timeout"),
            retries=clauses.get("retries"),
            on_error=self._handler(clauses.handlers, "error", "request"),
            span=self.cover(c[0], c[-1]),
        )

    def map(self, c: _Children) -> _Map:
        return _Map(tuple(c[1:-1]), self.cover(c[0], c[-1]))

    def entry(self, c: _Children) -> ast.Entry:
        return ast.Entry(c[0], c[1], self.cover(c[0], c[1]))

    def run(self, c: _Children) -> ast.Run:
        args = tuple(x for x in c if isinstance(x, ast.Arg))
        handlers = tuple(x for x in c if isinstance(x, ast.Handler))
        var, action = self._name(c[1]), self._name(c[2])
        return ast.Run((), var, action, args, handlers, self.cover(c[0], c[-1]))

    def code(self, c: _Children) -> ast.Code:
        module, function = self._module_function(c[2], "code")
        args = tuple(x for x in c if isinstance(x, ast.Arg))
        handlers = [x for x in c if isinstance(x, ast.Handler)]
        on_error = self._handler(handlers, "error", "code")
        span = self.cover(c[0], c[-1])
        return ast.Code((), self._name(c[1]), module, function, args, on_error, span)

    def set(self, c: _Children) -> ast.Set:
        return ast.Set((), self._name(c[1]), c[2], self.cover(c[0], c[2]))

    def if_step(self, c: _Children) -> ast.If:
        return ast.If((), c[1], c[3], self.cover(c[0], c[3]))

    def jump(self, c: _Children) -> ast.Jump:
        return ast.Jump((), c[1], self.cover(c[0], c[1]))

    def send_sms(self, c: _Children) -> ast.SendSms:
        on_error = self._handler(c[5:], "error", "send sms")
        return ast.SendSms((), c[3], c[4], on_error, self.cover(c[0], c[-1]))

    def send_email(self, c: _Children) -> ast.SendEmail:
        clauses = _Clauses(self, "send email", c[4:])
        return ast.SendEmail(
            labels=(),
            to=c[3],
            subject=self._required(clauses, "subject", c[0], "send email"),
            body=self._required(clauses, "body", c[0], "send email"),
            on_error=self._handler(clauses.handlers, "error", "send email"),
            span=self.cover(c[0], c[-1]),
        )

    def transfer(self, c: _Children) -> ast.Transfer:
        clauses = _Clauses(self, "transfer", c[3:])
        on_error = self._handler(clauses.handlers, "error", "transfer")
        return ast.Transfer((), c[2], clauses.get("say"), on_error, self.cover(c[0], c[-1]))

    def end(self, c: _Children) -> ast.End:
        text = c[1] if len(c) > 1 else None
        return ast.End((), text, self.cover(c[0], c[-1]))

    def exit(self, c: _Children) -> ast.Exit:
        args = tuple(x for x in c if isinstance(x, ast.Arg))
        return ast.Exit((), self._name(c[1]), args, self.cover(c[0], c[-1]))

    # ---- types

    def type(self, c: _Children) -> ast.TypeExpr:
        node: ast.TypeExpr = c[0]
        self.check_nesting(node)
        return node

    def named_type(self, c: _Children) -> ast.NamedType:
        name: ast.Ident = c[0]
        if name.name not in ast.SCALAR_TYPE_NAMES:
            known = (*ast.SCALAR_TYPE_NAMES, "list")
            near = did_you_mean(name.name, known)
            if name.name == "list":
                message, hint = (
                    "'list' needs an element type",
                    "write list[text], list[number], ...",
                )
            else:
                message = f"unknown type '{name.name}'"
                hint = f"did you mean '{near}'?" if near else "types are " + ", ".join(known)
            self.report(E_UNKNOWN_TYPE, name.span, message, help=hint)
        return ast.NamedType(name.name, name.span)

    def list_type(self, c: _Children) -> ast.ListType:
        name: ast.Ident = c[0]
        if name.name != "list":
            self.report(
                E_UNKNOWN_TYPE,
                name.span,
                f"'{name.name}[...]' is not a type; only 'list' takes an element type",
                help="write list[T]",
            )
        return ast.ListType(c[2], self.cover(c[0], c[-1]))

    def record_type(self, c: _Children) -> ast.RecordType:
        return ast.RecordType(tuple(c[1:-1]), self.cover(c[0], c[-1]))

    def field_type(self, c: _Children) -> ast.FieldType:
        return ast.FieldType(c[0], c[1], self.cover(c[0], c[1]))

    # ---- expressions

    def expr(self, c: _Children) -> ast.Expr:
        node: ast.Expr = c[0]
        self.check_nesting(node)
        return node

    def template(self, c: _Children) -> ast.Expr:
        node: ast.Expr = c[0]
        self.check_nesting(node)
        return node

    def logic(self, c: _Children) -> ast.Logic:
        return ast.Logic(ast.LogicOp(str(c[1].value)), c[0], c[2], self.cover(c[0], c[2]))

    def negation(self, c: _Children) -> ast.Not:
        return ast.Not(c[1], self.cover(c[0], c[1]))

    def compare(self, c: _Children) -> ast.Compare:
        return ast.Compare(ast.CompareOp(str(c[1].value)), c[0], c[2], self.cover(c[0], c[2]))

    def fallback(self, c: _Children) -> ast.Fallback:
        return ast.Fallback(c[0], c[1], self.cover(c[0], c[1]))

    def field(self, c: _Children) -> ast.FieldAccess:
        return ast.FieldAccess(c[0], c[1], self.cover(c[0], c[1]))

    def index(self, c: _Children) -> ast.IndexAccess:
        number: ast.NumberLit = c[2]
        if not isinstance(number.value, int) or number.value < 0:
            self.report(
                E_BAD_NUMBER,
                number.span,
                f"an index must be a whole number 0 or more, not {number.value}",
            )
        return ast.IndexAccess(c[0], int(number.value), self.cover(c[0], c[-1]))

    def true(self, c: _Children) -> ast.BoolLit:
        return ast.BoolLit(True, self.span_of(c[0]))

    def false(self, c: _Children) -> ast.BoolLit:
        return ast.BoolLit(False, self.span_of(c[0]))

    def name_ref(self, c: _Children) -> ast.Name:
        ident = self._name(c[0])
        return ast.Name(ident, ident.span)

    def call_ref(self, c: _Children) -> ast.Name:
        span = self.span_of(c[0])
        return ast.Name(ast.Ident("call", span), span)

    def env(self, c: _Children) -> ast.EnvRef:
        variable = self._plain(c[2], "the name of an environment variable")
        as_type = self.named_type([c[5]]) if len(c) > 4 else None
        return ast.EnvRef(variable, as_type, self.cover(c[0], c[-1]))

    def paren(self, c: _Children) -> ast.Expr:
        # The parentheses belong to the expression's span, so a caret shows them.
        inner: ast.Expr = c[1]
        return dataclasses.replace(inner, span=self.cover(c[0], c[2]))

    def list_lit(self, c: _Children) -> ast.ListLit:
        return ast.ListLit(tuple(c[1:-1]), self.cover(c[0], c[-1]))


# --------------------------------------------------------------------------
# Strings: escapes and templates

_SIMPLE_PATH = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{"}
_UNICODE_ESCAPE = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}")


class _StringDecoder:
    """Decodes one STRING token into text parts and parsed templates, with spans."""

    def __init__(self, builder: _Builder, token: Token) -> None:
        self.builder = builder
        self.context = builder.ctx
        self.raw = str(token.value)
        self.origin = self.context.base + _start(token)  # file offset of the opening quote
        self.quote = 3 if self.raw.startswith('"""') else 1
        self.parts: list[ast.StringPart] = []
        self.text: list[str] = []
        self.text_start = self.quote

    def decode(self) -> ast.StringLit:
        raw, end = self.raw, len(self.raw) - self.quote
        span = self.context.span(self.origin, self.origin + len(raw))
        if "\\" not in raw and "{{" not in raw:
            content = _newlines(raw[self.quote : end])
            parts = (
                ast.TextPart(
                    content, self.context.span(self.origin + self.quote, self.origin + end)
                ),
            )
            return ast.StringLit(parts if content else (), span)
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
            span = self.context.span(self.origin + self.text_start, self.origin + upto)
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
        if char in "\r\n":
            self.builder.report(
                E_BAD_ESCAPE,
                self.context.span(self.origin + i, self.origin + i + 1),
                "a backslash cannot end a line",
                help='a """ string keeps its line breaks as written; write \\\\ for a backslash',
            )
            return i + 1
        width = unicode.end() - i if unicode else 2
        shown = raw[i : i + width]
        self.builder.report(
            E_BAD_ESCAPE,
            self.context.span(self.origin + i, self.origin + i + width),
            f"unknown escape '{shown}'" if not unicode else f"'{shown}' is not a Unicode character",
            help='escapes are \\" \\\\ \\n \\t \\u{HEX} and \\{; write \\\\ for a backslash',
        )
        return i + width

    def _template(self, i: int) -> int:
        """Parse the template opening at raw[i]; returns the index after its `}}`."""
        self._flush(i)
        close = _template_end(self.raw, i + 2)
        inner = self.raw[i + 2 : close]
        span = self.context.span(self.origin + i, self.origin + close + 2)
        expr = self._parse_inner(inner, self.origin + i + 2, span)
        if expr is not None:
            self.parts.append(ast.TemplatePart(expr, span))
        self.text_start = close + 2
        return close + 2

    def _parse_inner(self, inner: str, offset: int, span: Span) -> ast.Expr | None:
        context = self.context
        if not inner.strip():
            self.builder.report(
                E_BAD_TEMPLATE, span, "empty template", help="write a value inside: {{name}}"
            )
            return None
        if self.context.base != 0:
            self.builder.report(
                E_BAD_TEMPLATE,
                span,
                "a template cannot hold a string with another template",
                help="write '\\{{' for literal braces",
            )
            return None
        path = self._simple_path(inner, offset)
        if path is not None:
            return path
        outer_base = context.base
        context.base = offset
        try:
            return _Driver(_machinery(), context).parse_template(inner)
        finally:
            context.base = outer_base

    def _simple_path(self, inner: str, offset: int) -> ast.Name | ast.FieldAccess | None:
        """The AST of a template that is a plain path (`name.field`), built without
        running the parser: most templates are, and it makes them several times faster.
        Anything else, keywords included, is left to the parser and its messages."""
        match = _SIMPLE_PATH.fullmatch(inner)
        if match is None:
            return None
        names = match.group(1).split(".")
        if len(names) > MAX_NESTING or (names[0] in self.builder.keywords and names[0] != "call"):
            return None
        position = offset + match.start(1)
        expr: ast.Name | ast.FieldAccess | None = None
        for name in names:
            span = self.context.span(position, position + len(name))
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


# --------------------------------------------------------------------------
# Nesting depth, checked without recursion


def _too_deep(root: object) -> Span | None:
    """The span of a node nested deeper than MAX_NESTING under `root`, if any."""
    pending: list[tuple[object, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            span: Span = getattr(node, "span")  # noqa: B009 - every node has one
            return span
        pending.extend((child, depth + 1) for child in _children(node))
    return None


def _children(node: object) -> Iterator[object]:
    match node:
        case ast.Compare() | ast.Logic() | ast.Fallback():
            yield node.left
            yield node.right
        case ast.Not():
            yield node.operand
        case ast.FieldAccess() | ast.IndexAccess():
            yield node.target
        case ast.ListLit():
            yield from node.items
        case ast.StringLit():
            yield from (p.expr for p in node.parts if isinstance(p, ast.TemplatePart))
        case ast.ListType():
            yield node.element
        case ast.RecordType():
            yield from (f.type for f in node.fields)
        case _:
            return
