"""Code generation: lower a checked program (lower.py), emit Python (emit.py), reusing
the modules a build cache already holds (cache.py)."""

from __future__ import annotations

from ..checker.model import Model
from ..loader import Program
from .cache import BuildCache, compiler_fingerprint, module_key, program_fingerprint
from .emit import EmittedFile, emit_module, with_packages
from .lower import ProgramLayout, lower_module, secret_env_names
from .names import module_file

__all__ = ["BuildCache", "EmittedFile", "generate"]


def generate(
    program: Program, model: Model, version: str, cache: BuildCache | None = None
) -> list[EmittedFile]:
    """The generated files of a checked program, paths relative to the output folder.

    With a cache, a module whose key (cache.py) is already there is read back
    instead of being lowered, rendered and formatted again.
    """
    layout = ProgramLayout.of(program)
    secret_env = secret_env_names(program)
    shared = compiler_fingerprint(version) + program_fingerprint(layout, secret_env)
    files = []
    for path in layout.generated:
        key = module_key(program, path, shared) if cache is not None else ""
        text = cache.get(key) if cache is not None else None
        if text is None:
            text = emit_module(lower_module(program, model, layout, path, version, secret_env))
            if cache is not None:
                cache.put(key, text)
        files.append(EmittedFile(module_file(layout.modules[path]), text))
    return with_packages(files)
