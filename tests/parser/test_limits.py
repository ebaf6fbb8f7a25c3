"""Hostile input: huge, deep or binary files give diagnostics, never a crash or a hang."""

from __future__ import annotations

from flowc import ast
from flowc.parser import MAX_ERRORS, parse
from flowc.source import SourceFile

FIVE_MB = 5 * 1024 * 1024


def codes(text: str) -> list[str]:
    return [d.code for d in parse(SourceFile("big.flow", text)).diagnostics]


def test_five_megabytes_of_nul_bytes_are_one_error() -> None:
    assert codes("\x00" * FIVE_MB) == ["E0003"]


def test_five_megabytes_of_misplaced_keywords_stop_after_the_error_limit() -> None:
    result = parse(SourceFile("big.flow", "flow F { " + "talk " * (FIVE_MB // 5)))
    assert result.module is None
    assert len(result.diagnostics) == MAX_ERRORS
    assert "stopped reading" in result.diagnostics[-1].notes[0].message


def test_a_five_megabyte_string_is_just_a_string() -> None:
    result = parse(SourceFile("big.flow", 'flow F { talk "' + "a" * FIVE_MB + '" end }'))
    assert result.diagnostics == ()
    assert result.module is not None
    talk = result.module.flows[0].steps[0]
    assert isinstance(talk, ast.Talk) and isinstance(talk.text, ast.StringLit)
    assert len(talk.text.plain_text) == FIVE_MB


def test_deeply_nested_parentheses_parse_without_recursion() -> None:
    depth = 20_000
    result = parse(
        SourceFile("deep.flow", "flow F { talk " + "(" * depth + "x" + ")" * depth + " }")
    )
    assert result.diagnostics == ()


def test_unbalanced_parentheses_are_one_error() -> None:
    assert codes("flow F { talk " + "(" * 20_000 + " }") == ["E0001"]


def test_expressions_and_types_nested_too_deep_are_refused() -> None:
    assert codes("flow F { if " + "not " * 10_000 + "x -> y y: end }") == ["E0010"]
    assert codes("flow F { talk x" + ".y" * 10_000 + " }") == ["E0010"]
    assert codes("flow F { talk x" + " ?? x" * 10_000 + " }") == ["E0010"]
    assert codes("python m.f() -> " + "list[" * 2_000 + "text" + "]" * 2_000) == ["E0010"]
    assert codes('flow F { talk "{{ x' + ".y" * 1_000 + ' }}" }') == ["E0010"]
