"""Running `flowc run` as a real subprocess for the core end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

# Variables that would send real email or SMS; the tests use the local outbox.
SERVICE_VARIABLES = ("FLOWC_", "TWILIO_")


@dataclass(frozen=True)
class Run:
    status: int
    transcript: list[str]
    stderr: str


def write_flow(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


def flowc_run(
    flow_file: Path,
    turns: list[str],
    *,
    flow: str | None = None,
    extra_args: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
) -> Run:
    """`flowc run` with one caller turn per stdin line ("" is silence), then end of input."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARIABLES)}
    env.update(environment or {})
    command = [sys.executable, "-m", "flowc.cli", "run", flow_file.name, "--caller", "+15550001111"]
    if flow is not None:
        command += ["--flow", flow]
    result = subprocess.run(
        [*command, *extra_args],
        input="".join(turn + "\n" for turn in turns),
        capture_output=True,
        text=True,
        cwd=flow_file.parent,
        env=env,
        timeout=60,
    )
    return Run(result.returncode, result.stdout.splitlines(), result.stderr)
