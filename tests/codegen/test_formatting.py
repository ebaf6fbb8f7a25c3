"""Formatting a generated module chunk by chunk, in worker processes, gives
exactly what Black gives for the whole file (formatting.py relies on it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc.codegen import formatting
from flowc.codegen.emit import render_module
from flowc.codegen.lower import lower_program
from flowc.pipeline import check_files

from tests.benchmarks.generate import generate_program

PROJECT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted(str(p) for p in (PROJECT / "examples").glob("*.flow")),
    str(PROJECT / "tests" / "codegen" / "nasty_source_names.flow"),
]


def rendered_modules(paths: list[str]) -> list[str]:
    result = check_files(paths)
    assert result.error_count == 0
    return [render_module(m) for m in lower_program(result.program, result.model, "test")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    generated = tmp_path_factory.mktemp("big") / "big.flow"
    generated.write_text(generate_program(300), encoding="utf-8")
    return rendered_modules([*SOURCES, str(generated)])


def test_chunks_formatted_apart_join_into_the_whole_file_formatting(rendered: list[str]) -> None:
    for source in rendered:
        chunks = formatting.split_top_level(source)
        assert len(chunks) > 3
        joined = formatting.join_top_level([formatting.format_source(c) for c in chunks])
        assert joined == formatting.format_source(source)


def test_parallel_formatting_gives_the_serial_result(
    rendered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = formatting.format_sources(rendered, workers=1)
    monkeypatch.setattr(formatting, "PARALLEL_FROM_LINES", 0)
    assert formatting.format_sources(rendered, workers=2) == serial
