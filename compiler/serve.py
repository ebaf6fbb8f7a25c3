"""`flowc serve FILE...`: compile in memory, as `flowc run` does, and serve the flow.

The generated modules are written to a temporary folder (removed when the server
stops) and handed to the runtime's server (flowc_runtime.serve), which archives
the build by fingerprint: calls in progress keep the build they started on.
Nothing is written beside the flow unless the store or the archive is there
(the defaults, in .flowc/).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from flowc_runtime.serve.cli import ServeError, config_from_args, serve

from .build import BuildResult, write_files
from .run import choose_flow


def serve_built(build: BuildResult, args: argparse.Namespace) -> int:
    """Serves the flow of `args.files[0]` (the file's only flow, or `--flow`)."""
    file = args.files[0]
    flow = choose_flow(build, file, args.flow)
    module = build.modules[os.path.normpath(file)]
    beside = Path(os.path.dirname(os.path.abspath(file)))
    with tempfile.TemporaryDirectory(prefix="flowc-build-") as folder:
        write_files(build.files, folder)
        config = config_from_args(args, Path(folder), f"{module}:{flow}", beside, [str(beside)])
        return serve(config, args.host, args.port, args.workers)


__all__ = ["ServeError", "serve_built"]
