"""What a worker runs calls on: its builds, the calls' understandings and its event sinks.

The worker fills `PROGRAMS` at start; the workflow reads it. The workflow
sandbox imports this module passed through (workflow.py), so the workflow sees
the worker's one instance, with its builds already imported, instead of a
fresh empty copy per workflow run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import understanding_from_env
from ..events import EventSink
from ..program import Body
from ..serve.builds import Build
from ..services import Understanding

# The settings the rules read (config.py): the call's understanding is built from its
# environment snapshot, so every worker understands the call's callers alike.
UNDERSTANDING_SETTINGS = ("FLOWC_DEFAULT_COUNTRY_CODE", "FLOWC_DEFAULT_REGION", "FLOWC_LOCALE")
# The runtime's own settings, read through `env()`'s lookup (formats.py, the clock) or
# by the understanding: in every call's environment snapshot beside the flow's names.
RUNTIME_SETTINGS = ("FLOWC_CURRENCY", "FLOWC_TIMEZONE", *UNDERSTANDING_SETTINGS)
# Generated code reads the environment only as `call.env("NAME"...)` or
# `call.env_secret("NAME")`, with the name as a literal (the language has no other
# form of env()), so the names a build can read are found in its modules' text.
_ENV_READ = re.compile(r"""call\.env(?:_secret)?\(\s*["']([^"'\\]+)["']""")


class NotRunHere(Exception):
    """A workflow task this worker cannot run: a build it does not have, or a worker not
    set up (no understanding). Raised in the workflow, it fails the task, not the call:
    Temporal tries the task again, on a worker that can run it."""


@dataclass(frozen=True)
class Program:
    """One build as a worker runs it, and the environment names its calls read."""

    build: Build
    env_names: tuple[str, ...]

    def flow(self, flow: str) -> Body:
        module, _, name = flow.partition(":")
        return self.build.body(module, name)


def program_of(build: Build) -> Program:
    names: set[str] = set(RUNTIME_SETTINGS)
    for module in build.modules.values():
        origin = getattr(module, "__file__", None)
        if origin is not None:
            with open(origin, encoding="utf-8") as source:
                names.update(_ENV_READ.findall(source.read()))
    return Program(build, tuple(sorted(names)))


@dataclass
class Programs:
    by_fingerprint: dict[str, Program] = field(default_factory=dict)
    sinks: list[EventSink] = field(default_factory=list)
    # The rule-based understandings of the calls, one per set of settings.
    understandings: dict[tuple[str | None, ...], Understanding] = field(default_factory=dict)

    def add(self, build: Build) -> Program:
        program = program_of(build)
        self.by_fingerprint[build.fingerprint] = program
        return program

    def get(self, fingerprint: str) -> Program:
        program = self.by_fingerprint.get(fingerprint)
        if program is None:
            raise NotRunHere(f"this worker does not run build {fingerprint}")
        return program

    def rules(self, snapshot: Mapping[str, str]) -> Understanding:
        """The rules tuned by a call's environment snapshot. Its values passed the
        worker's check at start (services_from_env) on the worker that took it."""
        settings = tuple(snapshot.get(name) for name in UNDERSTANDING_SETTINGS)
        understanding = self.understandings.get(settings)
        if understanding is None:
            given = {
                name: value for name, value in snapshot.items() if name in UNDERSTANDING_SETTINGS
            }
            understanding = self.understandings[settings] = understanding_from_env(given)
        return understanding


PROGRAMS = Programs()
