"""A worker: runs the workflows and activities of one build's calls until it is stopped.

Start as many as needed, on any machine that reaches the Temporal server: they
share the build's task queue (connection.py), and a call whose worker is lost
goes on on another one (its workflow replays the history up to where it was).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from temporalio.worker import Worker

from ..config import ConfigError, close_services, services_from_env
from ..driver import StateError
from ..events import Event, EventSink, JsonLinesSink
from ..semantic import SemanticUnderstanding
from ..serve.app import calls_environ
from ..serve.builds import BuildArchive, BuildError
from .activities import FlowActivities
from .codec import PayloadKeyError
from .connection import TemporalUnavailable, build_queue, connect
from .programs import PROGRAMS
from .workflow import SANDBOX, FlowCall

# A worker tells the server to hand a call's next workflow task to the normal queue
# when its own (sticky) queue has not taken it for this long: how long a call waits
# for a worker that died before another one takes it (Temporal's default is 10 s,
# most of a webhook's 15 s).
STICKY_QUEUE_SECONDS = 2.0
GRACEFUL_STOP_SECONDS = 10.0


class WorkerError(Exception):
    """The worker cannot start as asked; the message says why and what to do."""


@dataclass(frozen=True)
class WorkerConfig:
    build_dir: Path
    flow: str
    temporal: str
    namespace: str
    task_queue: str
    archive: Path
    log_path: str | None = None
    python_path: tuple[str, ...] = ()


def run_worker(config: WorkerConfig) -> int:
    """Runs the worker until SIGINT or SIGTERM; WorkerError when it cannot start."""
    return asyncio.run(_run(config))


async def _run(config: WorkerConfig) -> int:
    environ = calls_environ(os.environ)
    sys.path[:0] = [folder for folder in config.python_path if folder not in sys.path]
    try:
        build = BuildArchive(config.archive).add(config.build_dir)
        PROGRAMS.add(build).flow(config.flow)
        services = services_from_env(environ)
    except (BuildError, StateError, ConfigError, OSError) as exc:
        raise WorkerError(str(exc)) from exc
    if isinstance(services.understanding, SemanticUnderstanding):
        raise WorkerError(
            "FLOWC_UNDERSTANDING=semantic is not available on Temporal yet (the sentence "
            "model is not part of a replayable workflow); use the rules"
        )
    try:
        client = await connect(config.temporal, config.namespace, os.environ)
    except (PayloadKeyError, TemporalUnavailable) as exc:
        raise WorkerError(str(exc)) from exc
    queue = build_queue(config.task_queue, build.fingerprint)
    with _log_sink(config.log_path):
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[FlowCall],
            workflow_runner=SANDBOX,
            activities=FlowActivities(services, environ).all(),
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=STICKY_QUEUE_SECONDS),
            graceful_shutdown_timeout=timedelta(seconds=GRACEFUL_STOP_SECONDS),
        )
        print(
            f"flowc worker: {config.flow} (build {build.fingerprint}) on {config.temporal}, "
            f"namespace {config.namespace}, task queue {queue}",
            file=sys.stderr,
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            async with worker:
                await stop.wait()
        except RuntimeError as exc:
            # The worker's own check at its start (its namespace, its task queue), or a
            # fatal error of its polling later: temporalio raises a bare RuntimeError.
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else "no reason given"
            raise WorkerError(f"the worker on {config.temporal} stopped: {message}") from None
        finally:
            await close_services(services)
    return 0


class OneAtATime:
    """A sink emitting one event at a time: the worker runs workflow tasks in threads
    (temporalio's workflow task executor), and a text stream is not thread-safe."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self._sink.emit(event)


@contextmanager
def _log_sink(path: str | None) -> Iterator[IO[str] | None]:
    """The calls' event log (`--log FILE`, appended), written by the workflows."""
    if path is None:
        yield None
        return
    with open(path, "a", encoding="utf-8") as stream:
        sink = OneAtATime(JsonLinesSink(stream))
        PROGRAMS.sinks.append(sink)
        try:
            yield stream
        finally:
            PROGRAMS.sinks.remove(sink)
