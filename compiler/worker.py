"""`flowc worker FILE...`: compile in memory, as `flowc serve` does, and run the flow's
calls on Temporal (flowc_runtime.temporal), with the options of `flowc-worker`.

The generated modules are written to a temporary folder (removed when the worker
stops) and archived by fingerprint, whose build's task queue the worker polls: a
worker compiled from the same files as `flowc serve --engine temporal` runs the
calls that server starts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from flowc_runtime.temporal.cli import start, worker_config

from .build import BuildResult, write_files
from .run import choose_flow


def run_worker_built(build: BuildResult, args: argparse.Namespace) -> int:
    """Runs the calls of the flow of `args.files[0]` (the file's only flow, or `--flow`)."""
    file = args.files[0]
    flow = choose_flow(build, file, args.flow)
    module = build.modules[os.path.normpath(file)]
    beside = Path(os.path.dirname(os.path.abspath(file)))
    with tempfile.TemporaryDirectory(prefix="flowc-build-") as folder:
        write_files(build.files, folder)
        config = worker_config(args, Path(folder), f"{module}:{flow}", beside, [str(beside)])
        return start(config, "flowc worker")
