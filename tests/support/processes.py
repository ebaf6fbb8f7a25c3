"""Stopping the servers tests start as subprocesses."""

from __future__ import annotations

import subprocess

GRACE_SECONDS = 5


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Ask the process to end (SIGTERM); kill it when it has not ended after the grace."""
    process.terminate()
    try:
        process.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
