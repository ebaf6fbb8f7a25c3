"""Generated modules are in Black's style without Black: what the templates and
formatting.py's wrapping produce is exactly what Black makes of the same code,
on every example, the nasty source names and the benchmark program; and Black,
the fallback for lines formatting.py is not sure of, formats a module chunk by
chunk with the result it gives for the whole file."""

from __future__ import annotations

from pathlib import Path

import black
import pytest
from flowc.codegen import formatting
from flowc.codegen.emit import render_module
from flowc.codegen.lower import lower_program
from flowc.pipeline import check_files

from tests.benchmarks.generate import generate_program

PROJECT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted(str(p) for p in (PROJECT / "examples").rglob("*.flow")),
    str(PROJECT / "tests" / "codegen" / "nasty_source_names.flow"),
]
LONG_LINES = """\
flow Long {
  on no_answer -> bye
  on error -> bye
  collect x: text
    prompt "I'm sorry, I couldn't verify your identity. Please call back with your account details."
  set y = "I'm sorry, I couldn't verify your identity. Please call back with your account details."
  set z = x == "I'm sorry, I couldn't verify your identity. Please call back with it." and x != "b"
  if x == "I'm sorry, I couldn't verify your identity. Please call back with your details." -> bye
  if x == "I'm sorry, I couldn't verify your identity. Please call" and y == "b" -> bye
  talk "{{x}} I'm sorry, I couldn't verify your identity. Please call back with your details. {{y}}"
  send sms to "+15550100" "Thanks {{x}}, your tier is {{y ?? "basic"}}. Sorry, not verified."
  bye:
  end "I'm sorry, I couldn't verify your identity. Please call back with your account details."
}
"""


def rendered_modules(paths: list[str]) -> list[str]:
    result = check_files(paths)
    assert result.error_count == 0, [d.message for d in result.diagnostics]
    return [render_module(m) for m in lower_program(result.program, result.model, "test")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("big")
    (folder / "big.flow").write_text(generate_program(300), encoding="utf-8")
    (folder / "long.flow").write_text(LONG_LINES, encoding="utf-8")
    return rendered_modules([*SOURCES, str(folder / "big.flow"), str(folder / "long.flow")])


def test_formatting_without_black_gives_what_black_gives(rendered: list[str]) -> None:
    for source, formatted in zip(rendered, formatting.format_sources(rendered), strict=True):
        assert formatted == black.format_str(source, mode=black.Mode())


def test_the_benchmark_program_needs_no_black(
    rendered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str) -> str:
        raise AssertionError(f"Black was needed for:\n{source}")

    monkeypatch.setattr(formatting, "format_source", refuse)
    formatting.format_sources(rendered[len(SOURCES) : len(SOURCES) + 1])


def test_chunks_formatted_apart_join_into_the_whole_file_formatting(rendered: list[str]) -> None:
    for source in rendered:
        chunks = formatting.split_top_level(source)
        assert len(chunks) > 3
        joined = formatting.join_top_level([formatting.format_source(c) for c in chunks])
        assert joined == formatting.format_source(source)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ("both ' and \"", '"both \' and \\""'),
        (("ONE",), '("ONE",)'),
        (("A", "B"), '("A", "B")'),
    ],
)
def test_literals_are_quoted_as_black_quotes_them(value: object, expected: str) -> None:
    assert formatting.literal(value) == expected
    assert black.format_str(f"x = {expected}\n", mode=black.Mode()) == f"x = {expected}\n"


def test_restyle_requotes_literals_and_exponents() -> None:
    assert formatting.restyle("ops.eq(v.get('a'), 1e+20)") == 'ops.eq(v.get("a"), 1e20)'
    assert formatting.bare("(a and b)") == "a and b"
    assert formatting.bare("(a) and (b)") == "(a) and (b)"


@pytest.mark.parametrize("folder_name_length", [1, 20, 40, 60, 90])
def test_a_module_built_from_a_deep_folder_needs_no_black(
    folder_name_length: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header names the .flow path, so its lines grow with the folder: the docstring
    line stays long (Black never splits a string) and `SOURCE = ...` wraps as Black
    wraps it, whatever the length."""
    folder = tmp_path / ("d" * folder_name_length)
    folder.mkdir()
    (folder / "deep.flow").write_text('flow Deep {\n  end "Bye."\n}\n', encoding="utf-8")
    [source] = rendered_modules([str(folder / "deep.flow")])
    with_black = black.format_str(source, mode=black.Mode())
    monkeypatch.setattr(formatting, "format_source", pytest.fail)
    assert formatting.format_sources([source]) == [with_black]
