"""docs/legal_intake.svg is what `flowc graph` draws of the example flow today.

Graphviz versions lay a graph out differently, so the comparison is of what flowc
decides, which every version writes alike: the title of every node, cluster and
edge, and every text shown, in order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PICTURE = ROOT / "docs" / "legal_intake.svg"
FLOWC = Path(sys.executable).parent / "flowc"
REGENERATE = "flowc graph examples/legal_intake.flow -o docs/legal_intake.svg"


def contents(svg: str) -> list[str]:
    return re.findall(r"<(?:title|text)\b[^>]*>([^<]*)</(?:title|text)>", svg)


@pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz's dot is missing"
)
def test_the_picture_in_the_docs_is_current() -> None:
    done = subprocess.run(
        [str(FLOWC), "graph", "examples/legal_intake.flow", "--format", "svg"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    drawn = contents(done.stdout)
    assert "collect name: text" in drawn
    assert contents(PICTURE.read_text()) == drawn, f"regenerate it: {REGENERATE}"
