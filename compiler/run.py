"""`flowc run`: compile a flow into a temporary folder, import it, and take a call.

The caller is whoever types on standard input (`ConsoleChannel`). At a
terminal the person sees a `caller: ` prompt; with a non-terminal input every
line is one caller turn (an empty line is silence, the end of input is the
caller hanging up). The transcript goes to standard output in the format of
LANGUAGE.md section 10; `--log FILE` writes the JSON-lines event log.

Services come from the environment (`flowc_runtime.config.services_from_env`):
with nothing configured, messages go to the local outbox and the transcript
shows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from flowc_runtime import (
    Body,
    CallResult,
    ConsoleChannel,
    JsonLinesSink,
    TranscriptPrinter,
    run_call,
)
from flowc_runtime.events import Event, EventSink
from flowc_runtime.services import Channel

from .build import BuildResult, write_files

if TYPE_CHECKING:
    from .testing.record import Recorder


class RunError(Exception):
    """The flow cannot be started (no such flow, log file not writable); a usage error."""


@dataclass(frozen=True)
class RunOptions:
    file: str
    flow: str | None
    caller: str
    callee: str
    log: str | None
    # `--record FILE`: write the call as a .flowtest test there (flowc.testing.record).
    record: str | None = None


def choose_flow(build: BuildResult, file: str, wanted: str | None) -> str:
    """The name of the flow to run: `wanted`, or the file's only flow."""
    module = build.check.program.modules[os.path.normpath(file)]
    flows = [flow.name.name for flow in module.flows]
    if wanted is not None:
        if wanted not in flows:
            known = ", ".join(flows) or "none"
            actions = {action.name.name for action in module.actions}
            what = "an action, and only a flow can be run" if wanted in actions else "no flow"
            raise RunError(f"'{file}': '{wanted}' is {what} (its flows: {known})")
        return wanted
    if not flows:
        raise RunError(
            f"'{file}' has no flow to run (a call starts at a flow; actions run inside one)"
        )
    if len(flows) > 1:
        raise RunError(f"say which flow to run with --flow NAME ({', '.join(flows)})")
    return flows[0]


def run_built(
    build: BuildResult, options: RunOptions, stdin: IO[str], stdout: IO[str]
) -> CallResult:
    """Writes the generated modules to a temporary folder and runs one call of the flow."""
    flow_name = choose_flow(build, options.file, options.flow)
    module_name = build.modules[os.path.normpath(options.file)]
    refuse_installed_names(build.modules)
    with tempfile.TemporaryDirectory(prefix="flowc-run-") as folder, _log_sink(options.log) as log:
        write_files(build.files, folder)
        # The generated modules, then the flow's own folder for the Python modules
        # its `code` steps call.
        with on_sys_path(folder, os.path.dirname(os.path.abspath(options.file))):
            body = load_body(module_name, flow_name, build)
            at_terminal = stdin.isatty()
            sinks: list[EventSink] = [TranscriptPrinter(stdout, show_caller=not at_terminal)]
            if log is not None:
                sinks.append(log)
            channel: Channel = ConsoleChannel(stdin, prompt="caller: " if at_terminal else "")
            recorder = _recorder(build, options, body)
            if recorder is not None:
                sinks += recorder.sinks()
                channel = recorder.channel(channel)
            try:
                result = asyncio.run(_take_call(body, options, channel, sinks, recorder))
            except BrokenPipeError as exc:
                # Whoever read the transcript went away (`flowc run ... | head -1`).
                discard_further_output(stdout)
                raise RunError("the transcript's reader closed the pipe") from exc
    if recorder is not None and options.record is not None:
        _write_record(recorder, options.record)
    return result


def _recorder(build: BuildResult, options: RunOptions, body: Body) -> Recorder | None:
    if options.record is None:
        return None
    from .testing.programs import StepIndex
    from .testing.record import Recorder

    return Recorder(options.file, body, StepIndex.of(build), options.caller, options.callee)


def _write_record(recorder: Recorder, path: str) -> None:
    try:
        recorder.write(path)
    except OSError as exc:
        raise RunError(f"cannot write the recorded test '{path}': {exc.strerror or exc}") from exc


async def _take_call(
    body: Body,
    options: RunOptions,
    channel: Channel,
    sinks: list[EventSink],
    recorder: Recorder | None,
) -> CallResult:
    # Imported here so that `flowc check` and `flowc build` never load the
    # runtime's service clients (httpx, aiosmtplib).
    from flowc_runtime.config import ConfigError, close_services, services_from_env

    try:
        services = services_from_env()
    except ConfigError as exc:
        raise RunError(str(exc)) from exc
    if recorder is not None:
        services = recorder.services(services)
    try:
        return await run_call(
            body, services, channel, caller=options.caller, callee=options.callee, sinks=sinks
        )
    finally:
        await close_services(services)


def refuse_installed_names(modules: Mapping[str, str], *, imported_only: bool = False) -> None:
    """Refuses to run when a generated module would meet an installed one of the same
    top-level name: Python would import one in place of the other.

    With `imported_only`, only a module already imported counts. `flowc test` asks
    so: pytest puts test folders on sys.path (a `tests/support` package becomes
    `support`), and the generated folder, first on sys.path, wins over them.
    """
    for path, name in sorted(modules.items()):
        top = name.partition(".")[0]
        if top in sys.modules or (not imported_only and _installed(top)):
            raise RunError(
                f"the module generated for '{path}' would be named '{top}', like an "
                "installed Python module; rename the file"
            )


def _installed(name: str) -> bool:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    # A folder without __init__.py (a namespace package) yields to a real module.
    return spec is not None and spec.origin is not None


def load_body(module_name: str, body_name: str, build: BuildResult) -> Body:
    """The flow or action `body_name` of the generated module, imported (`flowc run`,
    `flowc test`)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # Typically the Python module of a `python` declaration is not importable.
        where = _declaring(build, exc.name) if isinstance(exc, ModuleNotFoundError) else None
        raise RunError(f"cannot load the compiled flow: {exc}{where or ''}") from exc
    # Importing the flow imports the user's own Python modules, which may fail in
    # any way (a syntax error, an exception, sys.exit): said in one line, no traceback.
    except (Exception, SystemExit) as exc:
        raise RunError(f"cannot load the compiled flow: {_import_failure(exc)}") from exc
    body: Body = module.BODIES[body_name]
    return body


def _declaring(build: BuildResult, missing: str | None) -> str | None:
    """` (declared at FILE:LINE: python m.f)`: the first declaration of the missing module."""
    if missing is None:
        return None
    for path in sorted(build.check.program.modules):
        for decl in build.check.program.modules[path].pythons:
            if decl.module == missing or decl.module.startswith(missing + "."):
                span = decl.span
                return f" (declared at {span.file}:{span.line}: python {decl.module}." \
                    f"{decl.function.name})"
    return None


def discard_further_output(stream: IO[str]) -> None:
    """Points a closed pipe's file descriptor at /dev/null, so that flushing it at exit
    does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _import_failure(exc: BaseException) -> str:
    """`file:LINE: what went wrong` for an exception raised while importing Python code."""
    if isinstance(exc, SyntaxError):
        return f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    if isinstance(exc, SystemExit):
        what = f"it called sys.exit({exc.code!r})"
    else:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}: {what}" if frames else what


@contextlib.contextmanager
def on_sys_path(*folders: str) -> Iterator[None]:
    sys.path[:0] = folders
    try:
        yield
    finally:
        for folder in folders:
            sys.path.remove(folder)


class _EventLogFile:
    """The `--log FILE` sink. A write that fails (a full disk) stops the log, not the
    call: the call goes on, and `flowc run` reports the log's failure after it."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines = JsonLinesSink(stream)
        self.error: OSError | None = None

    def emit(self, event: Event) -> None:
        if self.error is None:
            try:
                self._lines.emit(event)
            except OSError as exc:
                self.error = exc


@contextlib.contextmanager
def _log_sink(path: str | None) -> Iterator[_EventLogFile | None]:
    if path is None:
        yield None
        return
    try:
        stream = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise RunError(f"cannot write the event log '{path}': {exc.strerror or exc}") from exc
    log = _EventLogFile(stream)
    try:
        yield log
    finally:
        try:
            stream.close()
        except OSError as exc:
            log.error = log.error or exc
    if log.error is not None:
        reason = log.error.strerror or log.error
        raise RunError(f"cannot write the event log '{path}': {reason}")
