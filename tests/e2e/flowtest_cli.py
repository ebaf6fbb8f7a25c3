"""`flowc` as a subprocess, for the end-to-end tests of `flowc test` and `--record`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def flowc(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`flowc ARGS` in `cwd`, with no real mail or SMS settings of this machine's."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWC_", "TWILIO_"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "flowc.cli", *args], input=stdin, capture_output=True,
        text=True, cwd=cwd, env=environment, timeout=120,
    )
