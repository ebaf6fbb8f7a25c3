"""The ASGI application that serves a built flow to a phone platform.

`create_app(config)` builds a Starlette app; any ASGI server can host it.
`app_from_env()` is the same for servers started by import string, with several
worker processes (`uvicorn flowc_runtime.serve.app:app_from_env --factory
--workers 4`): it reads the `ServeConfig` from FLOWC_SERVE_* variables
(`ServeConfig.to_env` writes them). Every worker opens the same call store, so
any of them can take any turn of any call.

Routes: the transport's (twilio_voice.py: `POST /twilio/voice`, the turns, the
status callback; relay.py adds the ConversationRelay socket) and `GET /healthz`
(the flow and build; 200, or 503 with the reason while the store cannot be
reached). A store that is down at start is a warning, not a failure: the app
serves, and webhooks are answered 503 until the store is back.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..config import TWILIO_VARIABLES, close_services, services_from_env
from ..events import Event, JsonLinesSink
from .builds import BuildArchive
from .settings import ServeConfig
from .store import StoreUnavailable, open_store
from .switchboard import Switchboard

if TYPE_CHECKING:
    from ..temporal.engine import TemporalEngine


class ServerLog:
    """The served calls' event log (JSON lines, `--log FILE`, appended by every worker)
    and a line on standard error for what an operator must see (a refused webhook)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._lines = None if stream is None else JsonLinesSink(stream)

    def emit(self, event: Event) -> None:
        if self._lines is not None:
            self._lines.emit(event)

    def warn(self, message: str) -> None:
        # Control characters escaped: a refused request's path is the sender's, and must
        # not forge lines or drive the operator's terminal.
        shown = _CONTROL.sub(lambda match: repr(match.group())[1:-1], message)
        print(f"flowc serve: {shown}", file=sys.stderr, flush=True)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass
class Served:
    """What the routes share: set up when the app starts, closed when it stops."""

    config: ServeConfig
    # `--engine temporal`: the engine that answers the same calls with workflows
    switchboard: Switchboard | TemporalEngine
    log: ServerLog


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app serving `config`; the build is loaded and the store opened at start."""
    holder: dict[str, Served] = {}

    def served() -> Served:
        return holder["served"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with _serving(config) as ready:
            holder["served"] = ready
            yield

    async def healthz(request: Request) -> Response:
        """200 when the store answers, else 503 saying why; both name the flow and build."""
        board = served().switchboard
        health: dict[str, object] = {"flow": config.flow, "build": board.current.fingerprint}
        try:
            if isinstance(board, Switchboard):
                await board.store.load("healthz")
            else:
                await board.check()
        except StoreUnavailable as exc:
            return JSONResponse({"ok": False, **health, "store": str(exc)}, status_code=503)
        return JSONResponse({"ok": True, **health})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        *_transport_routes(config.transport, served),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _transport_routes(transport: str, served: Callable[[], Served]) -> list[BaseRoute]:
    if transport == "relay":
        from . import relay

        return relay.routes(served)
    from . import twilio_voice

    return twilio_voice.routes(served)


def app_from_env() -> Starlette:
    """`create_app` with the config of FLOWC_SERVE_CONFIG (for `--factory` servers)."""
    return create_app(ServeConfig.from_env(os.environ))


@contextlib.asynccontextmanager
async def _serving(config: ServeConfig) -> AsyncIterator[Served]:
    sys.path[:0] = [folder for folder in config.python_path if folder not in sys.path]
    archive = BuildArchive(config.archive)
    current = archive.add(config.build_dir)
    current.body(config.module, config.flow_name)  # fails now, not at the first call
    services = services_from_env(calls_environ(os.environ))
    with _log_stream(config.log_path) as stream:
        log = ServerLog(stream)
        if config.engine == "temporal":
            from ..temporal.engine import serving_on_temporal

            try:
                async with serving_on_temporal(config, current, services, log) as engine:
                    yield Served(config, engine, log)
            finally:
                await close_services(services)
            return
        store = open_store(config.store_url)
        try:
            await store.load("healthz")
        except StoreUnavailable as exc:
            # Served anyway: the store may come back, and /healthz says why it is down.
            log.warn(f"WARNING: {exc}; webhooks are answered 503 until it answers")
        board = Switchboard(
            store,
            archive,
            current,
            config.flow,
            services,
            # No sink at all without --log: the driver then builds no events.
            [log] if stream is not None else [],
            config.timing,
            warn=log.warn,
        )
        try:
            yield Served(config, board, log)
        finally:
            await board.close()
            await store.close()
            await close_services(services)


def calls_environ(environ: Mapping[str, str]) -> Mapping[str, str]:
    """The environment the calls' services read (and `env("NAME")`): `environ`, but a
    TWILIO_AUTH_TOKEN set alone is the server's, for checking signatures, not half a
    Twilio account for SMS (which then goes to the outbox)."""
    others = [name for name in TWILIO_VARIABLES if name != "TWILIO_AUTH_TOKEN"]
    if any((environ.get(name) or "").strip() for name in others):
        return environ
    return {name: value for name, value in environ.items() if name != "TWILIO_AUTH_TOKEN"}


@contextlib.contextmanager
def _log_stream(path: str | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    with open(path, "a", encoding="utf-8") as stream:
        yield stream
