"""`flowc-worker DIR --flow MODULE:FLOW --temporal HOST:PORT`: run the calls of modules
built by `flowc build` on Temporal, without the compiler. `flowc worker FILE...` (the
compiler's) compiles first, then runs the same worker with the same options.

Exit status: 0 after a clean stop (Ctrl-C, SIGTERM: the calls' running tasks finish
first), 2 for a set-up error (no such folder or flow, FLOWC_PAYLOAD_KEY missing or
malformed, the Temporal server unreachable), said in one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..serve.options import (
    STATE_FOLDER,
    add_built_modules_arguments,
    add_temporal_options,
    built_modules_problem,
)

if TYPE_CHECKING:
    from .worker import WorkerConfig

EXIT_OK = 0
EXIT_USAGE = 2


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    """The options `flowc worker` and `flowc-worker` share."""
    add_temporal_options(parser, required=True)
    parser.add_argument("--log", metavar="FILE", help="append the calls' event log here")
    parser.add_argument(
        "--builds",
        metavar="DIR",
        help=f"archive of the builds run (default: {STATE_FOLDER}/builds beside the flow)",
    )


def worker_config(
    args: argparse.Namespace, build_dir: Path, flow: str, beside: Path, python_path: Sequence[str]
) -> WorkerConfig:
    """The worker's config from the shared options (the worker module, and temporalio with
    it, is imported only to run one, so that `flowc` lists its commands without them)."""
    from .worker import WorkerConfig

    archive = Path(args.builds) if args.builds else beside / STATE_FOLDER / "builds"
    return WorkerConfig(
        build_dir=build_dir,
        flow=flow,
        temporal=args.temporal,
        namespace=args.namespace,
        task_queue=args.task_queue,
        archive=archive,
        log_path=args.log,
        python_path=tuple(python_path),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc-worker",
        description="Run the calls of flow modules built by `flowc build` on Temporal.",
    )
    add_built_modules_arguments(parser)
    add_worker_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    build_dir = Path(args.dir)
    if (problem := built_modules_problem(build_dir, args.flow)) is not None:
        return _usage(problem)
    return start(worker_config(args, build_dir, args.flow, build_dir, args.python_path))


def start(config: WorkerConfig, program: str = "flowc-worker") -> int:
    """Runs the worker of `config`; a set-up error is one line, exit 2."""
    try:
        from .worker import WorkerError, run_worker
    except ImportError as exc:
        return _usage(
            f"a worker needs the temporal extra (pip install 'flowc-runtime[temporal]'): {exc}",
            program,
        )
    try:
        return run_worker(config)
    except WorkerError as exc:
        return _usage(str(exc), program)
    except KeyboardInterrupt:
        return EXIT_OK


def _usage(message: str, program: str = "flowc-worker") -> int:
    print(f"{program}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
