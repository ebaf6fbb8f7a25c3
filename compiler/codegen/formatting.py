"""Black formatting of generated modules, in parallel when there is a lot of it.

Black formats about two thousand lines a second, so a large program spends most
of its build here. The templates separate every top-level statement of a
generated module by two blank lines, and no generated string or comment spans
lines (source text is repr()'d or made single-line), so a module splits into
top-level chunks that Black formats independently with the same result as the
whole file (tests/codegen/test_formatting.py checks that on every example).
Chunks are spread over worker processes when the output is large enough to
pay for starting them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import black

# Below this many lines in all, formatting in this process is faster than
# starting workers.
PARALLEL_FROM_LINES = 4_000
_TOP_LEVEL_BREAK = re.compile(r"\n\n\n(?=\S)")


def format_source(source: str) -> str:
    """Black's formatting of one generated module (or one chunk of it)."""
    return black.format_str(source, mode=black.Mode())


def split_top_level(source: str) -> list[str]:
    """A rendered module's top-level statements, as the templates separate them."""
    return _TOP_LEVEL_BREAK.split(source)


def join_top_level(chunks: Sequence[str]) -> str:
    """Formatted chunks put back together, two blank lines apart, as Black would."""
    return "\n\n\n".join(chunk.rstrip("\n") for chunk in chunks) + "\n"


def format_sources(sources: Sequence[str], workers: int | None = None) -> list[str]:
    """Every rendered module formatted by Black, in order."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or sum(source.count("\n") for source in sources) < PARALLEL_FROM_LINES:
        return [format_source(source) for source in sources]
    chunked = [split_top_level(source) for source in sources]
    flat = [chunk for chunks in chunked for chunk in chunks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        formatted = iter(
            pool.map(format_source, flat, chunksize=max(1, len(flat) // (workers * 4)))
        )
        return [join_top_level([next(formatted) for _ in chunks]) for chunks in chunked]
