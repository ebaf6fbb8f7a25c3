"""`flowc worker FILE...`: compile in memory, as `flowc serve` does, and run the flow's
calls on Temporal (flowc_runtime.temporal), with the options of `flowc-worker`.

The generated modules are written to a temporary folder (removed when the worker
stops) and archived by fingerprint, whose build's task queue the worker polls: a
worker compiled from the same files as `flowc serve --engine temporal` runs the
calls that server starts.
"""

from __future__ import annotations

import argparse

from flowc_runtime.temporal.cli import start, worker_config

from .build import BuildResult
from .serve import written_build


def run_worker_built(build: BuildResult, args: argparse.Namespace) -> int:
    """Runs the calls of the flow of `args.files[0]` (the file's only flow, or `--flow`)."""
    with written_build(build, args) as written:
        config = worker_config(
            args, written.folder, written.flow, written.beside, [str(written.beside)]
        )
        return start(config, "flowc worker")
