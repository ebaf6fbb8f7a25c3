"""`flowc build` and the compiling half of `flowc run`: check, then generate.

A program with check errors is never generated: the result then carries the
diagnostics and no files. The checker always runs; generating reuses the modules
the build cache (flowc.codegen.cache, `.flowc-cache/` in the working directory)
holds for unchanged inputs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .codegen import BuildCache, EmittedFile, generate
from .codegen.cache import DEFAULT_FOLDER
from .codegen.lower import ProgramLayout
from .pipeline import CheckResult, check_files


@dataclass(frozen=True)
class BuildResult:
    check: CheckResult
    files: Sequence[EmittedFile]
    # The Python module name of each source file generated (empty when nothing was);
    # an installed library's shipped modules are imported, not among them.
    modules: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.check.error_count == 0


def build_files(paths: Sequence[str], cache_dir: str | None = DEFAULT_FOLDER) -> BuildResult:
    """Check the files and their imports; when there is no error, generate their modules,
    reusing what the cache in `cache_dir` holds (None: no cache)."""
    check = check_files(paths)
    if check.error_count:
        return BuildResult(check, (), {})
    program = check.program
    cache = BuildCache(cache_dir) if cache_dir is not None else None
    files = generate(program, check.model, __version__, cache)
    return BuildResult(check, files, ProgramLayout.of(program).generated_modules)


def write_files(files: Sequence[EmittedFile], output_dir: str) -> list[str]:
    """Writes the generated files under `output_dir`; returns the paths written.

    Raises OSError when the folder or a file cannot be written.
    """
    written = []
    for file in files:
        target = Path(output_dir) / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.text, encoding="utf-8")
        written.append(os.path.join(output_dir, file.path))
    return written
