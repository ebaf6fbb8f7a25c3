"""The parser: the text of one .flow file in, its AST (compiler/ast.py) and syntax diagnostics out.

The grammar (grammar/flow.lark) is LALR(1) with Lark's contextual lexer, and the
AST is built during the parse: no parse tree is ever made. Syntax errors are
reported in words and the parse carries on after each (panic mode). A file with
errors yields no module, only diagnostics. Nothing from Lark leaves the parser.
Parses share nothing but the loaded grammar: any number may run at once.

The parts are in compiler/parsing/ (its __init__ lists them); this module is
the face the rest of the compiler uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast
from .diagnostics import Diagnostic
from .parsing.context import MAX_ERRORS, ParseContext, TooManyErrors
from .parsing.driver import FileParser
from .parsing.grammar import load_grammar
from .parsing.nesting import MAX_NESTING
from .source import SourceFile

__all__ = [
    "MAX_ERRORS",
    "MAX_NESTING",
    "ParseResult",
    "parse",
]


@dataclass(frozen=True)
class ParseResult:
    module: ast.Module | None
    diagnostics: tuple[Diagnostic, ...]


def parse(source: SourceFile) -> ParseResult:
    """Parse one file. `module` is None when the file has syntax errors."""
    context = ParseContext(source)
    try:
        module = FileParser(load_grammar(), context).parse_module()
    except TooManyErrors:
        module = None
    diagnostics = tuple(context.diagnostics)
    if any(d.is_error for d in diagnostics):
        return ParseResult(None, diagnostics)
    return ParseResult(module, diagnostics)
