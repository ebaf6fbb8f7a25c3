"""The grammar of .flow files, loaded and analysed once per process.

grammar/flow.lark ships inside the package. Lark turns it into LALR(1) tables
and a contextual lexer, and keeps that analysis on disk (`_cache_path`, checked
against the grammar's hash on load), so a new process reads it instead of
recomputing it. Nothing here changes after loading: every parse, nested or in
another thread, shares one `Grammar`.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Token
from lark.lexer import PatternStr

from .reductions import Reductions

STEP_KEYWORDS = (
    "talk", "collect", "request", "run", "code", "set", "if", "send", "transfer", "end", "exit",
)  # fmt: skip
DECLARATION_KEYWORDS = ("action", "flow", "from", "python")
MEMBER_KEYWORDS = ("meta", "input", "output")
"""Keywords that begin a member of an action or flow (its `after call` block aside)."""

NOT_RESERVED = frozenset(["email", "intent"])
"""Keywords that may still name things: `email` is also a type name (`collect email: email`);
`intent` is a keyword only right after `on`, and flows written before intents existed
name variables and labels `intent` (`collect intent: text in [...]`)."""


@dataclass(frozen=True, eq=False)
class Grammar:
    """The analysed grammar and the facts about its terminals that the parser uses."""

    lark: Lark
    reductions: Reductions
    # Each keyword's terminal ("talk" -> "TALK"): `flow` read where only a name fits
    # is still a FLOW to recovery.
    keyword_terminals: Mapping[str, str]
    # Each terminal written as a literal, with its text ("LPAR" -> "(", "__ANON_0" -> "??").
    literals: Mapping[str, str]
    keywords: frozenset[str]
    # The keywords that cannot name a variable, label, action, flow, input or output.
    reserved: frozenset[str]

    def as_keyword(self, token: Token) -> Token:
        """The token as its keyword's terminal, when the contextual lexer, which looks
        only for what fits here, read a keyword where it does not fit as a NAME."""
        if token.type == "NAME" and token.value in self.keyword_terminals:
            return Token.new_borrow_pos(self.keyword_terminals[token.value], token.value, token)
        return token


@functools.cache
def load_grammar() -> Grammar:
    text = (importlib.resources.files("flowc.grammar") / "flow.lark").read_text("utf-8")
    lark = Lark(
        text,
        parser="lalr",
        lexer="contextual",
        start=["module", "template"],
        maybe_placeholders=False,
        cache=_cache_path(),
    )
    literals = {
        t.name: t.pattern.value for t in lark.terminals if isinstance(t.pattern, PatternStr)
    }
    keyword_terminals = {
        literal: name for name, literal in literals.items() if literal.isidentifier()
    }
    keywords = frozenset(keyword_terminals)
    reductions = Reductions(lark.rules, [t.name for t in lark.terminals])
    return Grammar(lark, reductions, keyword_terminals, literals, keywords, keywords - NOT_RESERVED)


def _cache_path() -> str | bool:
    """Where Lark keeps the analysed grammar (it checks the grammar's hash on load)."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        folder = Path(base) / "flowc"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home folder, or no right to write there
        return False
    return str(folder / "grammar.lark-cache")
