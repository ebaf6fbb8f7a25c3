"""`flowc-serve DIR --flow MODULE:FLOW`: serve modules built by `flowc build`, without
the compiler. `flowc serve FILE...` (the compiler's) compiles first, then runs the
same server with the same options, which are defined here once.

Exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 2 for a usage or set-up
error (no such folder or flow, a store URL that is not one, no auth token), said
in one line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .builds import BuildArchive, BuildError
from .options import (
    STATE_FOLDER,
    add_built_modules_arguments,
    add_serve_options,
    built_modules_problem,
)
from .settings import ServeConfig
from .switchboard import Timing

EXIT_OK = 0
EXIT_USAGE = 2
# Twilio gives up on a webhook that has not answered after this many seconds.
TWILIO_WEBHOOK_SECONDS = 15
# A lease renewed every third of it must survive a moment's pause of the event loop.
MIN_LEASE_SECONDS = 3.0


class ServeError(Exception):
    """The server cannot start as asked; the message says why and what to do."""


class _Terminated(Exception):
    """SIGTERM arrived: raised by `_on_sigterm` in the main thread."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def config_from_args(
    args: argparse.Namespace, build_dir: Path, flow: str, beside: Path, python_path: Sequence[str]
) -> ServeConfig:
    """The server's config from the shared options; `beside` is the folder of the
    served flow, where the store and the archive go unless the options say otherwise."""
    state = beside / STATE_FOLDER
    # A token pasted with a newline or spaces would fail every signature.
    token = (os.environ.get("TWILIO_AUTH_TOKEN") or "").strip() or None
    if token is None and not args.insecure_no_signature:
        raise ServeError(
            "TWILIO_AUTH_TOKEN is not set, so Twilio's request signatures cannot be checked; "
            "set it to the account's auth token (or pass --insecure-no-signature for a "
            "local experiment)"
        )
    if args.workers < 1 or not 0 < args.port < 65536:
        raise ServeError("--workers must be at least 1 and --port from 1 to 65535")
    if not 0 < args.hold_after < TWILIO_WEBHOOK_SECONDS:
        raise ServeError(
            f"--hold-after must be above 0 and below {TWILIO_WEBHOOK_SECONDS} seconds, "
            "Twilio's limit for a webhook's answer"
        )
    if args.lease < MIN_LEASE_SECONDS:
        raise ServeError(f"--lease must be at least {MIN_LEASE_SECONDS} seconds")
    if args.public_url is not None and not args.public_url.startswith(("https://", "http://")):
        raise ServeError(
            f"--public-url must be an absolute URL such as https://calls.example.com, "
            f"not {args.public_url!r}"
        )
    if args.engine == "temporal" and args.temporal is None:
        raise ServeError("--engine temporal needs --temporal HOST:PORT, the Temporal server")
    store = args.store or f"sqlite:{state / 'calls.db'}"
    if store.startswith("sqlite:") and args.engine == "store":
        folder = Path(store.removeprefix("sqlite:")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServeError(f"cannot create the folder {folder} of the store: {exc}") from exc
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
        timing=Timing(hold_after=args.hold_after, lease=args.lease),
        engine=args.engine,
        temporal=args.temporal,
        namespace=args.namespace,
        task_queue=args.task_queue,
    )


def check_config(config: ServeConfig) -> str:
    """Loads the build once before serving, so a broken one fails at start; its fingerprint."""
    from ..config import ConfigError, services_from_env
    from .app import calls_environ
    from .store import open_store

    try:
        if config.engine == "temporal":
            _check_temporal(config)
        else:
            open_store(config.store_url)
        services_from_env(calls_environ(os.environ))
    except (ValueError, ConfigError) as exc:
        raise ServeError(str(exc)) from exc
    sys.path[:0] = list(config.python_path)
    try:
        build = BuildArchive(config.archive).add(config.build_dir)
        build.body(config.module, config.flow_name)
    except (BuildError, ValueError, OSError) as exc:
        raise ServeError(str(exc)) from exc
    return build.fingerprint


def _check_temporal(config: ServeConfig) -> None:
    """`--engine temporal`: the extra is installed, FLOWC_PAYLOAD_KEY is good and the
    server answers, so that none of these is a traceback at the first call."""
    try:
        from ..temporal.codec import PayloadKeyError
        from ..temporal.connection import TemporalUnavailable, connect
    except ImportError as exc:
        raise ServeError(
            f"--engine temporal needs the temporal extra (pip install 'flowc-runtime[temporal]'): "
            f"{exc}"
        ) from exc
    assert config.temporal is not None
    try:
        asyncio.run(connect(config.temporal, config.namespace, os.environ))
    except (PayloadKeyError, TemporalUnavailable) as exc:
        raise ServeError(str(exc)) from exc


def serve(config: ServeConfig, host: str, port: int, workers: int = 1) -> int:
    """Runs uvicorn until it is stopped; with several workers, each builds the app from
    the environment (`app_from_env`).

    uvicorn stops gracefully on SIGTERM and then raises the signal again, so that the
    process would die of it; caught as `_Terminated`, the stop returns EXIT_OK and the
    callers' clean-up (`flowc serve`'s temporary build folder) still runs."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _serve(config, host, port, workers)
    except _Terminated:
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(config: ServeConfig, host: str, port: int, workers: int) -> int:
    import uvicorn

    from .app import create_app

    fingerprint = check_config(config)
    _check_address(host, port)
    if not config.check_signatures:
        print(
            "flowc serve: WARNING: --insecure-no-signature: requests are not checked "
            "against X-Twilio-Signature; anyone who can reach this server can drive calls",
            file=sys.stderr,
        )
    engine = (
        f"Temporal {config.temporal} ({config.namespace})"
        if config.engine == "temporal"
        else f"store {_shown_store(config.store_url)}"
    )
    print(
        f"flowc serve: {config.flow} (build {fingerprint}) on http://{host}:{port}, "
        f"{engine}, transport {config.transport}",
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


def _check_address(host: str, port: int) -> None:
    """Fails with a clear message when the server could not listen at host:port (a port in
    use, an address not of this machine), before anything says it is serving there."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (use --host/--port)"
        ) from exc


def _shown_store(url: str) -> str:
    """The store URL as the start-up line may show it: a Redis password taken out."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .store_redis import without_password

        return without_password(url)
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc-serve",
        description="Serve flow modules built by `flowc build` to Twilio Voice.",
    )
    add_built_modules_arguments(parser)
    add_serve_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    build_dir = Path(args.dir)
    try:
        if (problem := built_modules_problem(build_dir, args.flow)) is not None:
            raise ServeError(problem)
        config = config_from_args(args, build_dir, args.flow, build_dir, args.python_path)
        return serve(config, args.host, args.port, args.workers)
    except ServeError as exc:
        print(f"flowc-serve: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
