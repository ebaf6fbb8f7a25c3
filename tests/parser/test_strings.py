"""Strings: escapes are decoded, templates parsed, and every part keeps its place in the file."""

from __future__ import annotations

import pytest
from flowc import ast
from flowc.parser import parse
from flowc.source import SourceFile

from .support import covered, parse_text


def talk_string(source: str) -> tuple[str, ast.StringLit]:
    """The file text around a `talk` of `source`, and the string the parser made of it."""
    text = f"flow F {{\n  talk {source}\n  end\n}}\n"
    step = parse_text(text).flows[0].steps[0]
    assert isinstance(step, ast.Talk) and isinstance(step.text, ast.StringLit)
    return text, step.text


@pytest.mark.parametrize(
    ("source", "decoded"),
    [
        (r'"say \"hi\""', 'say "hi"'),
        (r'"a\\b"', "a\\b"),
        (r'"one\ntwo\tthree"', "one\ntwo\tthree"),
        (r'"smile \u{1F600}"', "smile \U0001f600"),
        (r'"\{{not a template}}"', "{{not a template}}"),
        (r'"a { brace }"', "a { brace }"),
        ('""', ""),
    ],
)
def test_escapes_are_decoded(source: str, decoded: str) -> None:
    _, string = talk_string(source)
    assert string.is_plain and string.plain_text == decoded


def test_an_empty_string_has_no_parts() -> None:
    _, string = talk_string('""')
    assert string.parts == ()


def test_template_spans_count_the_raw_text_of_escapes_before_them() -> None:
    text, string = talk_string(r'"\"\u{41}\" is {{ answer.value }}!"')
    before, template, after = string.parts
    assert isinstance(before, ast.TextPart) and before.text == '"A" is '
    assert covered(text, before.span) == r"\"\u{41}\" is "
    assert isinstance(template, ast.TemplatePart)
    assert covered(text, template.span) == "{{ answer.value }}"
    assert covered(text, template.expr.span) == "answer.value"
    assert isinstance(after, ast.TextPart) and covered(text, after.span) == "!"


def test_templates_in_a_multi_line_string_point_at_their_own_line() -> None:
    text, string = talk_string('"""Dear {{name}},\n  your pin is\n    {{ pin ?? "none" }}."""')
    templates = [p for p in string.parts if isinstance(p, ast.TemplatePart)]
    assert [covered(text, t.expr.span) for t in templates] == ["name", 'pin ?? "none"']
    assert [t.span.line for t in templates] == [2, 4]
    assert templates[1].span.column == 5
    assert string.span.line == 2 and string.span.end_line == 4
    assert string.parts[-1] == ast.TextPart(".", string.parts[-1].span)


def test_a_multi_line_string_keeps_its_text_as_written() -> None:
    _, string = talk_string('"""first line\n   second "quoted" line"""')
    assert string.plain_text == 'first line\n   second "quoted" line'


def test_a_template_may_hold_any_value_expression() -> None:
    _, string = talk_string('"{{ (a ?? b).c[2] ?? 5 }}"')
    (template,) = string.parts
    assert isinstance(template, ast.TemplatePart) and isinstance(template.expr, ast.Fallback)


def test_plain_path_templates_equal_what_the_parser_builds() -> None:
    # Plain paths take a fast path; wrapping one in `?? x` sends it through the parser.
    _, fast = talk_string('"{{ call.caller.number }}"')
    _, slow = talk_string('"{{ call.caller.number ?? x }}"')
    (fast_part,) = fast.parts
    (slow_part,) = slow.parts
    assert isinstance(fast_part, ast.TemplatePart) and isinstance(slow_part, ast.TemplatePart)
    assert isinstance(slow_part.expr, ast.Fallback)
    assert fast_part.expr == slow_part.expr.left


@pytest.mark.parametrize(
    ("source", "code", "column"),
    [
        (r'"bad \q"', "E0005", 13),
        (r'"bad \u{110000}"', "E0005", 13),
        ('"{{ }}"', "E0014", 9),
        ('"{{ a b }}"', "E0001", 14),
        ('"{{ x ?? "{{y}}" }}"', "E0014", 18),
        ('"{{ talk }}"', "E0007", 12),
    ],
)
def test_errors_inside_strings_point_inside_the_string(source: str, code: str, column: int) -> None:
    result = parse(SourceFile("t.flow", f"flow F {{\n  talk {source}\n  end\n}}\n"))
    assert result.module is None
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == (code, 2, column)


@pytest.mark.parametrize(
    ("source", "decoded"),
    [
        ('"""one\r\n  two"""', "one\n  two"),
        ('"""{{ name }}\r\ntwo"""', "\ntwo"),
        ('"""a\\u{D}\\u{A}b\r\nc"""', "a\r\nb\nc"),
    ],
)
def test_a_multi_line_string_reads_crlf_line_breaks_as_lf(source: str, decoded: str) -> None:
    text = f"flow F {{\r\n  talk {source}\r\n  end\r\n}}\r\n"
    step = parse_text(text).flows[0].steps[0]
    assert isinstance(step, ast.Talk) and isinstance(step.text, ast.StringLit)
    texts = [p.text for p in step.text.parts if isinstance(p, ast.TextPart)]
    assert "".join(texts) == decoded
