"""`flowc check ... | head`: a reader that goes away early stops flowc quietly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_check_stops_quietly_when_its_reader_closes_the_pipe(tmp_path: Path) -> None:
    # Enough diagnostics to overflow the pipe buffer once the reader has gone.
    source = "".join(f'flow F{i} {{ talk "x" }}\n' for i in range(2000))
    (tmp_path / "many.flow").write_text(source, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "flowc.cli", "check", "many.flow"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    status = process.wait(timeout=60)

    assert first.startswith(b"many.flow:1:")
    assert "Traceback" not in stderr
    assert stderr == ""
    assert status == 2
