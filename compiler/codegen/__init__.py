"""Code generation: lower a checked program (lower.py), emit Python (emit.py)."""

from __future__ import annotations

from ..checker.model import Model
from ..loader import Program
from .emit import EmittedFile, emit_program
from .lower import lower_program

__all__ = ["EmittedFile", "generate"]


def generate(program: Program, model: Model, version: str) -> list[EmittedFile]:
    """The generated files of a checked program, paths relative to the output folder."""
    return emit_program(lower_program(program, model, version))
