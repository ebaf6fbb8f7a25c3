"""The formatter on generated programs laid out at random: same program, comments kept,
idempotent (tests/fmt/programs.py makes the programs)."""

from __future__ import annotations

from flowc.fmt import format_text, shape
from flowc.parser import parse
from flowc.source import SourceFile
from hypothesis import HealthCheck, given, settings

from .programs import PATH, Scrambled, scrambled

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def parsed(text: str) -> object:
    result = parse(SourceFile(PATH, text))
    assert result.module is not None, [d.message for d in result.diagnostics]
    return shape(result.module)


@PROPERTY_SETTINGS
@given(scrambled())
def test_formatting_keeps_the_program_and_every_comment(program: Scrambled) -> None:
    assert parsed(program.text) == shape(program.module)
    formatted = format_text(program.text, PATH)
    assert parsed(formatted) == shape(program.module)
    for comment in program.comments:
        assert formatted.count(comment + "\n") == 1, comment


@PROPERTY_SETTINGS
@given(scrambled())
def test_formatting_twice_changes_nothing(program: Scrambled) -> None:
    formatted = format_text(program.text, PATH)
    assert format_text(formatted, PATH) == formatted
