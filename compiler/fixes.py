"""`flowc check --fix`: the machine-applicable fixes of a check, written into the files.

Only fixes marked MACHINE_APPLICABLE are taken (a suggestion needs a person's
choice), only for the files named on the command line (an import is not
rewritten behind its author's back), and only whole: a fix whose edits would
overlap those of a fix already taken waits for the next round, after the
re-check, when its diagnostic may be gone or its spans moved.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Applicability, Diagnostic, Edit, Fix
from .pipeline import CheckResult
from .source import Span

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Applied:
    """A fix that was written, with the diagnostic it resolves."""

    diagnostic: Diagnostic
    fix: Fix


def apply_fixes(result: CheckResult, paths: Iterable[str]) -> list[Applied]:
    """Write the machine-applicable fixes of `result` into the files `paths`; what was written."""
    files = {os.path.normpath(p) for p in paths}
    chosen = choose_fixes(result.diagnostics, files)
    by_file: dict[str, list[Edit]] = {}
    for applied in chosen:
        for edit in applied.fix.edits:
            by_file.setdefault(edit.span.file, []).append(edit)
    written = {path for path, edits in by_file.items() if _rewrite(result, path, edits)}
    return [a for a in chosen if all(e.span.file in written for e in a.fix.edits)]


def choose_fixes(diagnostics: Sequence[Diagnostic], files: Collection[str]) -> list[Applied]:
    """The first machine-applicable fix of each diagnostic that overlaps none chosen before."""
    taken: list[Edit] = []
    chosen: list[Applied] = []
    for diagnostic in diagnostics:
        for fix in diagnostic.fixes:
            if fix.applicability is not Applicability.MACHINE_APPLICABLE:
                continue
            if any(e.span.file not in files or _clashes(e, taken) for e in fix.edits):
                continue
            chosen.append(Applied(diagnostic, fix))
            taken.extend(fix.edits)
            break
    return chosen


def _clashes(edit: Edit, taken: Sequence[Edit]) -> bool:
    """Whether `edit` overlaps one taken; two insertions at one place clash too (which first?)."""
    return any(_overlap(edit.span, other.span) for other in taken)


def _overlap(a: Span, b: Span) -> bool:
    if a.file != b.file:
        return False
    a_start, a_end = (a.line, a.column), (a.end_line, a.end_column)
    b_start, b_end = (b.line, b.column), (b.end_line, b.end_column)
    return a_start == b_start or (a_start < b_end and b_start < a_end)


def _rewrite(result: CheckResult, path: str, edits: Sequence[Edit]) -> bool:
    """Apply the edits to the file, unless it changed since it was checked."""
    source = result.sources.get(path)
    try:
        on_disk = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if source is None or on_disk.removeprefix(_BOM) != source.text:
        return False
    bom = _BOM if on_disk.startswith(_BOM) else ""
    Path(path).write_bytes((bom + apply_edits(source.text, edits)).encode("utf-8"))
    return True


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with non-overlapping edits applied; spans count code points, lines end at "\\n"."""
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    # From the end backwards, so that each edit leaves the offsets before it alone.
    ordered = sorted(edits, key=lambda e: (e.span.line, e.span.column), reverse=True)
    for edit in ordered:
        span = edit.span
        start, end = offset(span.line, span.column), offset(span.end_line, span.end_column)
        text = text[:start] + edit.new_text + text[end:]
    return text
