"""The parser's parts (compiler/parsing/): what each promises the others.

Parses share nothing but the grammar, so they may run in several threads at
once; every rule the parser can reduce has a builder method; the tables that
recovery reads agree with Lark's public `accepts`; and an excerpt of the file
places its characters where the file's own line table does.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flowc.parser import ParseResult, parse
from flowc.parsing.builder import Builder
from flowc.parsing.context import Excerpt, ParseContext
from flowc.parsing.grammar import load_grammar
from flowc.parsing.lalr import Automaton
from flowc.source import SourceFile
from lark.exceptions import UnexpectedInput

from .support import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"


def _sources() -> list[SourceFile]:
    """Files with every kind of construct, and files with every kind of syntax error."""
    files = [*EXAMPLES.values(), *sorted(GOLDEN.glob("*.flow"))]
    # One golden file is not UTF-8 (the loader's error, E0002): its bad byte is replaced.
    return [SourceFile(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in files]


def test_parses_in_several_threads_at_once_give_what_one_at_a_time_gives() -> None:
    sources = _sources() * 4
    one_at_a_time = [parse(source) for source in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        at_once: list[ParseResult] = list(pool.map(parse, sources))
    assert at_once == one_at_a_time


def test_every_rule_of_the_grammar_reduces_with_a_method_of_the_builder() -> None:
    grammar = load_grammar()
    context = ParseContext(SourceFile("empty.flow", ""))
    builder = Builder(context, grammar.reserved, lambda inner, offset: None)
    callbacks = grammar.reductions.bind(builder)
    assert all(callable(callbacks[rule]) for rule in grammar.lark.rules)
    assert {"NAME", "STRING", "NUMBER", "DURATION"} <= set(callbacks)


def test_what_recovery_reads_in_the_tables_is_what_lark_accepts() -> None:
    # Automaton.accepts walks the LALR tables itself (recovery asks at every depth of
    # the stack); at the top of the stack it must agree with Lark's public accepts().
    grammar = load_grammar()
    text = EXAMPLES["appointments"].read_text()
    ends = sorted({token.end_pos or 0 for token in grammar.lark.lex(text)})
    for end in ends:
        automaton = Automaton(grammar, text[:end], "module", {})
        try:
            for token in automaton.tokens():
                automaton.feed(token)
        except UnexpectedInput:  # a prefix may end inside a token that is cut short
            continue
        tables = automaton.expected_at(automaton.depth)
        assert tables == automaton.expected(), text[:end]


def test_recovery_deep_in_an_expression_does_not_take_quadratic_time() -> None:
    # Resuming at `end` pops 100,000 unfinished parentheses, asking at each depth
    # whether `end` fits: each question must not copy the stack.
    text = "flow F {\n  talk " + "(" * 100_000 + "\n  end\n}\n"
    result = parse(SourceFile("deep.flow", text))
    assert [d.message for d in result.diagnostics] == ["expected an expression but found 'end'"]


def test_an_excerpt_places_its_characters_where_the_file_has_them() -> None:
    text = 'flow F {\n  talk """Dear {{name}},\n\n  your {{ pin ?? "none" }}."""\n}\n'
    context = ParseContext(SourceFile("f.flow", text))
    start = text.index('"""')
    line, column = context.position(start)
    excerpt = Excerpt("f.flow", text[start:], line, column)
    for index in range(len(text) - start + 1):
        assert excerpt.position(index) == context.position(start + index)
    inner = excerpt.part(excerpt.text.index("pin"), excerpt.text.index("}}."))
    assert inner.position(0) == context.position(text.index("pin"))
