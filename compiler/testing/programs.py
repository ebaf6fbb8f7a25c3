"""The programs tests call: checked and built once per tested .flow file, imported one at a time.

Generated modules import each other by absolute names (`import lib.appointments`),
so two programs built from different folders may both have a `lib.appointments`.
Only one program is imported at a time: loading the next one removes the
previous one's modules from `sys.modules` and its folders from `sys.path`.
Tests are run grouped by the file they call, so each program loads once.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from dataclasses import dataclass, field

from flowc_runtime import Body

from .. import ast
from ..build import BuildResult, build_files, write_files
from ..checker.model import BodyModel
from ..pipeline import check_files
from ..run import RunError, load_body, on_sys_path, refuse_installed_names


@dataclass
class Program:
    """One tested .flow file, checked (and, when it has no errors, built)."""

    path: str
    build: BuildResult
    steps: StepIndex

    @property
    def ok(self) -> bool:
        return self.build.ok

    def module(self) -> ast.Module:
        return self.build.check.program.modules[self.path]


@dataclass(frozen=True)
class StepIndex:
    """The program's steps by where they are (`file`, `line`): what a `step` event names."""

    by_place: dict[tuple[str, int], list[tuple[BodyModel, int]]]

    @staticmethod
    def of(build: BuildResult) -> StepIndex:
        places: dict[tuple[str, int], list[tuple[BodyModel, int]]] = {}
        for model in build.check.model.bodies.values():
            for index, step in enumerate(model.body.steps):
                places.setdefault((step.span.file, step.span.line), []).append((model, index))
        return StepIndex(places)

    def at(self, file: str, line: int) -> list[tuple[BodyModel, int]]:
        return self.by_place.get((file, line), [])

    def step(self, file: str, line: int) -> ast.Step | None:
        found = self.at(file, line)
        return found[0][0].body.steps[found[0][1]] if found else None


@dataclass
class Programs:
    """Every program a run of tests calls, and the one imported now."""

    _built: dict[str, Program] = field(default_factory=dict)
    _loaded: _Loaded | None = None
    # False where the tests are only checked, never run (the editor, at each keystroke):
    # the programs are checked and their modules not generated.
    generate: bool = True

    def get(self, path: str) -> Program:
        """The program of the .flow file at `path` (normalised), checked and built once."""
        if path not in self._built:
            build = build_files([path]) if self.generate else _checked_only(path)
            self._built[path] = Program(path, build, StepIndex.of(build))
        return self._built[path]

    def body(self, program: Program, name: str) -> Body:
        """The generated flow or action `name` of the program, importing it first.
        Raises RunError when the program cannot be loaded."""
        if self._loaded is None or self._loaded.program is not program:
            self.unload()
            self._loaded = _Loaded.of(program)
        module_name = program.build.modules[program.path]
        return load_body(module_name, name, program.build)

    def unload(self) -> None:
        if self._loaded is not None:
            self._loaded.close()
            self._loaded = None


def _checked_only(path: str) -> BuildResult:
    return BuildResult(check_files([path]), (), {})


@dataclass
class _Loaded:
    program: Program
    stack: contextlib.ExitStack

    @staticmethod
    def of(program: Program) -> _Loaded:
        refuse_installed_names(program.build.modules, imported_only=True)
        stack = contextlib.ExitStack()
        try:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="flowc-test-"))
            write_files(program.build.files, folder)
            # The generated modules, then the tested file's folder for its `python` modules.
            stack.enter_context(on_sys_path(folder, os.path.dirname(os.path.abspath(program.path))))
        except OSError as exc:
            stack.close()
            raise RunError(f"cannot write the generated modules: {exc.strerror or exc}") from exc
        importlib.invalidate_caches()
        return _Loaded(program, stack)

    def close(self) -> None:
        for name in list(sys.modules):
            if _top(name) in self._top_names():
                del sys.modules[name]
        self.stack.close()

    def _top_names(self) -> set[str]:
        generated = {_top(name) for name in self.program.build.modules.values()}
        pythons = {
            _top(decl.module)
            for module in self.program.build.check.program.modules.values()
            for decl in module.pythons
        }
        return generated | pythons


def _top(module_name: str) -> str:
    return module_name.partition(".")[0]

