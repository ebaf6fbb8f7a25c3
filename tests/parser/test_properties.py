"""Properties of the parser on any input: it never fails, and every place it names is real.

Inputs are the LANGUAGE.md examples with tokens deleted, duplicated, swapped or
inserted, and arbitrary text. Whatever comes in, the parser returns its own
diagnostics (syntax codes E00xx) and no exception; a module comes back exactly
when there is no error; and every span, of a diagnostic or of an AST node, lies
inside the file. Expressions built at random survive an unparse/parse round trip.
"""

from __future__ import annotations

import re

from flowc import ast
from flowc.parser import parse
from flowc.source import SourceFile, Span
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import EXAMPLES, NO_SPAN, all_spans, parse_text, without_spans
from .unparse import expr as unparse_expr

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Pieces of source: blanks, words, simple strings, and any other single character.
_CHUNK = re.compile(r'\s+|[A-Za-z0-9_]+|"[^"\n]*"|.', re.DOTALL)
CHUNKS = [_CHUNK.findall(path.read_text()) for path in EXAMPLES.values()]
NOISE = [
    "{", "}", "(", ")", "[", "]", ":", ",", "=", "->", "??", ".", '"', '"""', "{{", "}}",
    "\\", "\\q", "\\u{", "#", "\n", "\x00", "é", "-", "5x", "99999999999999999999", "1.5",
    "talk", "collect", "on", "in", "not", "prompt", "list[", "env(", "after call {", "exit",
]  # fmt: skip


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    chunks = list(draw(st.sampled_from(CHUNKS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(chunks) - 1))
        match draw(st.sampled_from(["delete", "duplicate", "insert", "swap"])):
            case "delete":
                del chunks[at]
            case "duplicate":
                chunks.insert(at, chunks[at])
            case "insert":
                chunks.insert(at, draw(st.sampled_from(NOISE) | st.text(max_size=3)))
            case "swap":
                other = draw(st.integers(0, len(chunks) - 1))
                chunks[at], chunks[other] = chunks[other], chunks[at]
    return "".join(chunks)


def check_invariants(text: str) -> None:
    result = parse(SourceFile("f.flow", text))
    assert all(re.fullmatch(r"E00\d\d", d.code) for d in result.diagnostics)
    has_errors = any(d.is_error for d in result.diagnostics)
    assert (result.module is None) == has_errors
    spans = [d.span for d in result.diagnostics]
    if result.module is not None:
        spans.extend(all_spans(result.module))
    lines = text.split("\n")
    for span in spans:
        assert_inside(span, lines)


def assert_inside(span: Span, lines: list[str]) -> None:
    assert span.file == "f.flow"
    assert 1 <= span.line <= span.end_line <= len(lines)
    assert 1 <= span.column <= len(lines[span.line - 1]) + 1
    assert 1 <= span.end_column <= len(lines[span.end_line - 1]) + 1
    assert (span.line, span.column) <= (span.end_line, span.end_column)


@PROPERTY_SETTINGS
@given(mutated_examples())
def test_mutated_examples_give_diagnostics_never_exceptions(text: str) -> None:
    check_invariants(text)


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_gives_diagnostics_never_exceptions(text: str) -> None:
    check_invariants(text)


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decoded_as_the_loader_would(data: bytes) -> None:
    check_invariants(data.decode("utf-8", errors="replace"))


# --------------------------------------------------------------------------
# Expressions: unparse then parse gives back the same tree


def _ident(name: str) -> ast.Ident:
    return ast.Ident(name, NO_SPAN)


NAMES = st.sampled_from(["a", "b", "answer", "call", "x_1"]).map(_ident)
LEAVES: st.SearchStrategy[ast.Expr] = st.one_of(
    NAMES.map(lambda i: ast.Name(i, NO_SPAN)),
    st.integers(-1000, 1000).map(lambda n: ast.NumberLit(n, NO_SPAN)),
    st.booleans().map(lambda b: ast.BoolLit(b, NO_SPAN)),
    st.sampled_from([500, 5000, 120_000]).map(lambda ms: ast.DurationLit(ms, NO_SPAN)),
    st.text('ab "\\{}\n', max_size=6).map(
        lambda t: ast.StringLit((ast.TextPart(t, NO_SPAN),) if t else (), NO_SPAN)
    ),
    st.sampled_from(
        [
            (ast.MomentKind.DATE, "2030-03-14"),
            (ast.MomentKind.TIME, "17:00"),
            (ast.MomentKind.TIME, "09:05:30"),
            (ast.MomentKind.DATETIME, "2030-03-14T17:00"),
        ]
    ).map(lambda moment: ast.MomentLit(*moment, NO_SPAN)),
    st.sampled_from(list(ast.ClockWord)).map(lambda word: ast.Clock(word, NO_SPAN)),
)


def _postfix(targets: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(lambda e, f: ast.FieldAccess(e, f, NO_SPAN), targets, NAMES),
        st.builds(
            lambda e, i: ast.IndexAccess(e, ast.NumberLit(i, NO_SPAN), NO_SPAN),
            targets,
            st.integers(0, 9),
        ),
        st.builds(lambda e, i: ast.IndexAccess(e, i, NO_SPAN), targets, PATHS),
    )


# Paths: names with fields and indexes (a number has no fields: `0.a` is a malformed number).
PATHS: st.SearchStrategy[ast.Expr] = st.deferred(
    lambda: st.recursive(NAMES.map(lambda i: ast.Name(i, NO_SPAN)), _postfix, max_leaves=4)
)


def _compound(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        PATHS,
        st.builds(lambda a, b: ast.Fallback(a, b, NO_SPAN), children, children),
        st.builds(
            lambda op, a, b: ast.Compare(op, a, b, NO_SPAN),
            st.sampled_from([op for op in ast.CompareOp if op is not ast.CompareOp.IN]),
            children,
            children,
        ),
        st.builds(lambda e: ast.Not(e, NO_SPAN), children),
        st.builds(
            lambda op, a, b: ast.Arithmetic(op, a, b, NO_SPAN),
            st.sampled_from(list(ast.ArithOp)),
            children,
            children,
        ),
        # A minus before a number literal is the literal's sign, not a Negative.
        st.builds(lambda e: ast.Negative(e, NO_SPAN), PATHS),
        st.builds(lambda e, f: ast.Formatted(e, f, NO_SPAN), children, NAMES),
        st.builds(lambda items: ast.ListLit(tuple(items), NO_SPAN), st.lists(children, max_size=3)),
        st.builds(
            lambda values: ast.RecordLit(
                tuple(
                    ast.RecordField(_ident(f"f{n}"), value, NO_SPAN)
                    for n, value in enumerate(values)
                ),
                NO_SPAN,
            ),
            st.lists(children, max_size=3),
        ),
        st.builds(
            lambda args: ast.FunctionCall(_ident("len"), tuple(args), NO_SPAN),
            st.lists(children, min_size=1, max_size=2),
        ),
        st.builds(
            lambda op, a, b: ast.Logic(op, a, b, NO_SPAN),
            st.sampled_from(list(ast.LogicOp)),
            children,
            children,
        ),
    )


EXPRESSIONS = st.recursive(LEAVES, _compound, max_leaves=12)


@PROPERTY_SETTINGS
@given(EXPRESSIONS)
def test_expressions_round_trip_through_text(expression: ast.Expr) -> None:
    (flow,) = parse_text(f"flow F {{ set v = {unparse_expr(expression)} end }}").flows
    step = flow.steps[0]
    assert isinstance(step, ast.Set)
    assert without_spans(step.value) == expression
