"""The compiler's passes, put together for the command line and the editor.

parse (parser.py) -> load imports (loader.py) -> resolve and check (checker)
-> lower and emit (codegen). Each function here runs the passes a command needs
and returns data; printing is the CLI's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .checker import analyze
from .checker.model import Model
from .diagnostics import Diagnostic
from .loader import InputError, ParseFile, Program, load_program
from .parser import parse
from .source import SourceFile

__all__ = ["CheckResult", "InputError", "check_files"]


@dataclass(frozen=True)
class CheckResult:
    program: Program
    diagnostics: Sequence[Diagnostic]
    # What the checker resolved (which action each `run` uses, ...), for codegen.
    model: Model

    @property
    def sources(self) -> Mapping[str, SourceFile]:
        return self.program.sources

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warning_count(self) -> int:
        return len(self.diagnostics) - self.error_count


def check_files(
    paths: Sequence[str],
    overlays: Mapping[str, str] | None = None,
    parse_file: ParseFile = parse,
) -> CheckResult:
    """Parse the files and their imports, check them, and report every diagnostic, by place.

    `overlays` maps paths to text used instead of the files' contents (an editor's buffers);
    `parse_file` parses one file (the editor's reuses what it parsed before).
    """
    program = load_program(paths, overlays, parse_file)
    analysis = analyze(program)
    diagnostics = sorted([*program.diagnostics, *analysis.diagnostics], key=Diagnostic.sort_key)
    return CheckResult(program, diagnostics, analysis.model)
