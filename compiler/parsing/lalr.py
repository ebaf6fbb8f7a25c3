"""One LALR parse in progress: Lark's interactive parser, and the little recovery needs beyond it.

Tokens are lexed, fed, and the terminals the parser would take next are
listed through Lark's public `InteractiveParser` (`Lark.parse_interactive`,
`lexer_thread.lex`, `feed_token`, `accepts`). What Lark has no API for is
done here and nowhere else, on the parser's `ParserState` (module
lark.parsers.lalr_parser_state, in this form since lark 1.2.2) and on the
lexer's `LineCounter`:

- a parse calls its own builder: the state's `ParseConf` is replaced by a copy
  holding this parse's callbacks (`InteractiveParser.accepts` copies it the
  same way to run with none);
- panic-mode recovery reads the value stack and cuts both stacks back to a
  state that takes the token it resumes at; whether a state at some depth would
  take a terminal is answered from the LALR tables, without copying the parser
  for each question as `accepts` does (recovery asks at every depth);
- the lexer steps over characters it cannot read, and a template's lexer
  counts lines and columns from the template's place in the file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from lark import Token
from lark.parsers.lalr_analysis import Shift

from .grammar import Grammar
from .reductions import Callbacks


class Automaton:
    """The parser of one text (a file, or the inside of one template)."""

    def __init__(self, grammar: Grammar, text: str, start: str, callbacks: Callbacks) -> None:
        self._interactive = grammar.lark.parse_interactive(text, start=start)
        self._state = self._interactive.parser_state
        conf = copy.copy(self._state.parse_conf)
        conf.callbacks = callbacks
        self._state.parse_conf = conf

    def start_at(self, line: int, column: int) -> None:
        """Count the positions of tokens from this line and column of the file, not 1:1."""
        counter = self._lexer_state().line_ctr
        counter.line, counter.column = line, column
        counter.line_start_pos = 1 - column  # so that column = char_pos - line_start_pos + 1

    def tokens(self) -> Iterator[Token]:
        """The tokens of the text, each lexed (not fed) in the state the parser is in
        when it is asked for: the contextual lexer looks only for what fits there."""
        tokens: Iterator[Token] = self._interactive.lexer_thread.lex(self._state)  # type: ignore[no-untyped-call]  # unannotated in Lark
        return tokens

    def feed(self, token: Token) -> Any:
        """Shift the token, after the reductions it calls for; what $END completes is returned.

        Raises lark's UnexpectedToken, leaving the stacks as they were after those reductions.
        """
        return self._interactive.feed_token(token)

    def expected(self) -> set[str]:
        """The terminals the parser would take next."""
        accepted: set[str] = self._interactive.accepts()  # type: ignore[no-untyped-call]  # unannotated in Lark
        return accepted

    def skip_to(self, text: str, offset: int, end: int) -> None:
        """Step the lexer over text[offset:end], characters it could not read at `offset`."""
        self._lexer_state().line_ctr.feed(text[offset:end])

    # ---- the stacks, for recovery

    @property
    def depth(self) -> int:
        """The number of states on the stack (one more than the values)."""
        return len(self._state.state_stack)

    @property
    def values(self) -> Sequence[Any]:
        """What the parser has read and not yet reduced: tokens and built nodes."""
        return self._state.value_stack

    def cut(self, depth: int) -> None:
        """Drop every state above the first `depth`, with their values."""
        del self._state.state_stack[depth:]
        del self._state.value_stack[depth - 1 :]

    def state_has(self, terminal: str, depth: int) -> bool:
        """Whether the state at `depth` has an action for `terminal` in its table row."""
        return terminal in self._state.parse_conf.states[self._state.state_stack[depth - 1]]

    def expected_at(self, depth: int) -> set[str]:
        """The terminals the parser would take next with its stack cut to `depth`."""
        row = self._state.parse_conf.states[self._state.state_stack[depth - 1]]
        return {t for t in row if (t.isupper() or t == "$END") and self.accepts(t, depth)}

    def accepts(self, terminal: str, depth: int | None = None) -> bool:
        """Whether the parser, with its stack cut to `depth`, would shift `terminal`
        (or accept, for $END). Only the tables are read: no rule's callback runs."""
        conf, stack = self._state.parse_conf, self._state.state_stack
        below = len(stack) if depth is None else depth  # states of the real stack still there
        pushed: list[int] = []  # states the reductions put above them
        while True:
            top = pushed[-1] if pushed else stack[below - 1]
            action = conf.states[top].get(terminal)
            if action is None:
                return False
            kind, rule = action
            if kind is Shift:
                return True
            size = len(rule.expansion)
            from_pushed = min(size, len(pushed))
            del pushed[len(pushed) - from_pushed :]
            below -= size - from_pushed
            top = pushed[-1] if pushed else stack[below - 1]
            pushed.append(conf.states[top][rule.origin.name][1])
            if terminal == "$END" and pushed[-1] == conf.end_state:
                return True

    def _lexer_state(self) -> Any:
        return self._interactive.lexer_thread.state
