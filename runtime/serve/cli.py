"""`flowc-serve DIR --flow MODULE:FLOW`: serve modules built by `flowc build`, without
the compiler. `flowc serve FILE...` (the compiler's) compiles first, then runs the
same server with the same options, which are defined here once.

Exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 2 for a usage or set-up
error (no such folder or flow, a store URL that is not one, no auth token), said
in one line, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .builds import BuildArchive, BuildError
from .settings import ServeConfig
from .switchboard import Timing

EXIT_OK = 0
EXIT_USAGE = 2
STATE_FOLDER = ".flowc"  # beside the served flow: the default store and build archive


class ServeError(Exception):
    """The server cannot start as asked; the message says why and what to do."""


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The options `flowc serve` and `flowc-serve` share."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="call store: sqlite:PATH or redis://HOST:PORT/DB "
        f"(default: sqlite:{STATE_FOLDER}/calls.db beside the flow)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the base URL Twilio calls, when the server is behind a proxy or tunnel",
    )
    parser.add_argument("--log", metavar="FILE", help="append the calls' event log here")
    parser.add_argument(
        "--transport",
        choices=("gather", "relay"),
        default="gather",
        help="gather: TwiML webhooks (default); relay: Twilio ConversationRelay over WebSocket",
    )
    parser.add_argument(
        "--builds",
        metavar="DIR",
        help=f"archive of served builds (default: {STATE_FOLDER}/builds beside the flow)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the store"
    )
    parser.add_argument(
        "--hold-after",
        type=float,
        default=Timing.hold_after,
        metavar="SECONDS",
        help="answer a webhook with a hold phrase when its turn runs longer than this",
    )
    parser.add_argument(
        "--insecure-no-signature",
        action="store_true",
        help="accept requests without a valid X-Twilio-Signature (local experiments only)",
    )


def config_from_args(
    args: argparse.Namespace, build_dir: Path, flow: str, beside: Path, python_path: Sequence[str]
) -> ServeConfig:
    """The server's config from the shared options; `beside` is the folder of the
    served flow, where the store and the archive go unless the options say otherwise."""
    state = beside / STATE_FOLDER
    token = os.environ.get("TWILIO_AUTH_TOKEN") or None
    if token is None and not args.insecure_no_signature:
        raise ServeError(
            "TWILIO_AUTH_TOKEN is not set, so Twilio's request signatures cannot be checked; "
            "set it to the account's auth token (or pass --insecure-no-signature for a "
            "local experiment)"
        )
    if args.workers < 1 or not 0 < args.port < 65536:
        raise ServeError("--workers must be at least 1 and --port from 1 to 65535")
    store = args.store or f"sqlite:{state / 'calls.db'}"
    if store.startswith("sqlite:"):
        Path(store.removeprefix("sqlite:")).parent.mkdir(parents=True, exist_ok=True)
    return ServeConfig(
        build_dir=build_dir,
        flow=flow,
        store_url=store,
        archive=Path(args.builds) if args.builds else state / "builds",
        public_url=args.public_url,
        auth_token=token,
        check_signatures=not args.insecure_no_signature,
        transport=args.transport,
        log_path=args.log,
        python_path=tuple(python_path),
        timing=Timing(hold_after=args.hold_after),
    )


def check_config(config: ServeConfig) -> str:
    """Loads the build once before serving, so a broken one fails at start; its fingerprint."""
    from ..config import ConfigError, services_from_env
    from .store import open_store

    try:
        open_store(config.store_url)
        services_from_env()
    except (ValueError, ConfigError) as exc:
        raise ServeError(str(exc)) from exc
    sys.path[:0] = list(config.python_path)
    try:
        build = BuildArchive(config.archive, config.module).add(config.build_dir)
        build.body(config.module, config.flow_name)
    except (BuildError, ValueError, OSError) as exc:
        raise ServeError(str(exc)) from exc
    return build.fingerprint


def serve(config: ServeConfig, host: str, port: int, workers: int = 1) -> int:
    """Runs uvicorn until it is stopped; with several workers, each builds the app from
    the environment (`app_from_env`)."""
    import uvicorn

    from .app import create_app

    fingerprint = check_config(config)
    if not config.check_signatures:
        print(
            "flowc serve: WARNING: --insecure-no-signature: requests are not checked "
            "against X-Twilio-Signature; anyone who can reach this server can drive calls",
            file=sys.stderr,
        )
    print(
        f"flowc serve: {config.flow} (build {fingerprint}) on http://{host}:{port}, "
        f"store {config.store_url}, transport {config.transport}",
        file=sys.stderr,
        flush=True,
    )
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
    else:
        os.environ.update(config.to_env())
        uvicorn.run(
            "flowc_runtime.serve.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc-serve",
        description="Serve flow modules built by `flowc build` to Twilio Voice.",
    )
    parser.add_argument("dir", metavar="DIR", help="the folder `flowc build -o` wrote")
    parser.add_argument(
        "--flow", required=True, metavar="MODULE:FLOW", help="the flow calls start at"
    )
    parser.add_argument(
        "--python-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of the Python modules `code` steps call (repeatable)",
    )
    add_serve_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    build_dir = Path(args.dir)
    try:
        if not build_dir.is_dir():
            raise ServeError(f"'{build_dir}' is not a folder of built modules")
        if ":" not in args.flow:
            raise ServeError(
                f"--flow takes MODULE:FLOW (such as support:SupportLine), not {args.flow!r}"
            )
        config = config_from_args(args, build_dir, args.flow, build_dir, args.python_path)
        return serve(config, args.host, args.port, args.workers)
    except ServeError as exc:
        print(f"flowc-serve: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
