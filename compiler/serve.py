"""`flowc serve FILE...`: compile in memory, as `flowc run` does, and serve the flow.

The generated modules are written to a temporary folder (removed when the server
stops) and handed to the runtime's server (flowc_runtime.serve), which archives
the build by fingerprint: calls in progress keep the build they started on.
Nothing is written beside the flow unless the store or the archive is there
(the defaults, in .flowc/).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flowc_runtime.serve.cli import ServeError, config_from_args, serve

from .build import BuildResult, write_files
from .run import choose_flow


@dataclass(frozen=True)
class WrittenBuild:
    """A build written where the runtime can import it: its folder, the MODULE:FLOW that
    calls start at, and the folder of the first file (the default state folder's place
    and the Python path of its `code` steps)."""

    folder: Path
    flow: str
    beside: Path


@contextlib.contextmanager
def written_build(build: BuildResult, args: argparse.Namespace) -> Iterator[WrittenBuild]:
    """The flow of `args.files[0]` (the file's only flow, or `--flow`), its modules in a
    temporary folder removed afterwards; `flowc serve` and `flowc worker` run on it."""
    file = args.files[0]
    flow = choose_flow(build, file, args.flow)
    module = build.modules[os.path.normpath(file)]
    beside = Path(os.path.dirname(os.path.abspath(file)))
    with tempfile.TemporaryDirectory(prefix="flowc-build-") as folder:
        write_files(build.files, folder)
        yield WrittenBuild(Path(folder), f"{module}:{flow}", beside)


def serve_built(build: BuildResult, args: argparse.Namespace) -> int:
    """Serves the flow of `args.files[0]` (the file's only flow, or `--flow`)."""
    with written_build(build, args) as written:
        config = config_from_args(
            args, written.folder, written.flow, written.beside, [str(written.beside)]
        )
        return serve(config, args.host, args.port, args.workers)


__all__ = ["ServeError", "WrittenBuild", "serve_built", "written_build"]
