"""Diagnostics as data, and the one renderer that shows them.

Every pass reports problems as `Diagnostic` values; none prints. The renderer
turns them into the human format of LANGUAGE.md section 7 (a `file:line:col:`
headline, the source line with a caret under the span, notes and help) or into
JSON with the same fields. An editor integration maps the same data onto LSP.

Codes are stable and declared once, in the registry (codes.py);
docs/diagnostics.md is the catalogue. Besides its notes and help, a
diagnostic may carry labels (more spans, each with a message of its own) and
fixes: text edits an editor or `flowc check --fix` can apply. The human format
shows neither fixes nor, for the diagnostics reported today, labels; JSON and
the editor carry both.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .codes import Severity
from .source import SourceFile, Span

__all__ = [
    "Applicability",
    "Diagnostic",
    "Edit",
    "Fix",
    "Label",
    "Note",
    "Severity",
    "did_you_mean",
    "error",
    "rename_fix",
    "render_human",
    "render_json",
    "warning",
]


@dataclass(frozen=True, slots=True)
class Note:
    """Extra context: with a span it is shown with its own snippet ("declared here")."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A secondary span with its own message: "first declared here", "this has type text"."""

    span: Span
    message: str


class Applicability(StrEnum):
    """How far a fix can be trusted: applied unseen (`flowc check --fix`), or offered only."""

    MACHINE_APPLICABLE = "machine-applicable"
    SUGGESTION = "suggestion"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text of `span` by `new_text`; a zero-width span inserts."""

    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """One way to resolve a diagnostic: edits applied together, or not at all."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # a codes.Code wherever the compiler reports it
    severity: Severity
    span: Span
    message: str
    notes: tuple[Note, ...] = field(default_factory=tuple)
    help: str | None = None
    labels: tuple[Label, ...] = field(default_factory=tuple)
    fixes: tuple[Fix, ...] = field(default_factory=tuple)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)


def error(
    code: str,
    span: Span,
    message: str,
    *,
    notes: Sequence[Note] = (),
    help: str | None = None,
    labels: Sequence[Label] = (),
    fixes: Sequence[Fix] = (),
) -> Diagnostic:
    return Diagnostic(
        code, Severity.ERROR, span, message, tuple(notes), help, tuple(labels), tuple(fixes)
    )


def warning(
    code: str,
    span: Span,
    message: str,
    *,
    notes: Sequence[Note] = (),
    help: str | None = None,
    labels: Sequence[Label] = (),
    fixes: Sequence[Fix] = (),
) -> Diagnostic:
    return Diagnostic(
        code, Severity.WARNING, span, message, tuple(notes), help, tuple(labels), tuple(fixes)
    )


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def rename_fix(
    span: Span, written: str, suggestion: str | None, candidates: Iterable[str]
) -> tuple[Fix, ...]:
    """The fix for a did-you-mean: write `suggestion` over the misspelt name at `span`.

    It is applied unseen only when it is surely the name meant: one typing slip away
    (a letter added, dropped, changed, or two swapped) and no other candidate is.
    Anything further is a guess, offered as a suggestion.
    """
    if suggestion is None:
        return ()
    slips = [c for c in set(candidates) if _one_slip(written, c)]
    certain = slips == [suggestion]
    applicability = Applicability.MACHINE_APPLICABLE if certain else Applicability.SUGGESTION
    edit = Edit(span, suggestion)
    return (Fix(f"replace '{written}' with '{suggestion}'", (edit,), applicability),)


def _one_slip(written: str, meant: str) -> bool:
    """Whether one letter added, dropped or changed, two neighbours swapped, or only the case
    of letters changed, make `meant` of `written`."""
    if written.lower() == meant.lower():
        return written != meant
    if len(written) != len(meant):
        shorter, longer = sorted((written, meant), key=len)
        return len(longer) == len(shorter) + 1 and any(
            longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer))
        )
    differ = [i for i, (a, b) in enumerate(zip(written, meant, strict=True)) if a != b]
    if len(differ) == 1:
        return True
    if len(differ) != 2 or differ[1] != differ[0] + 1:
        return False
    i, j = differ
    return written[i] == meant[j] and written[j] == meant[i]


# --------------------------------------------------------------------------
# Rendering


def headline(diagnostic: Diagnostic) -> str:
    """`path:line:col: severity[CODE]: message`, the first line of every format."""
    d = diagnostic
    return f"{d.span}: {d.severity}[{d.code}]: {d.message}"


def render_human(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile]
) -> str:
    """The terminal format: headline, snippet with carets, notes and help, per diagnostic."""
    blocks = [_render_one(d, sources) for d in diagnostics]
    return "\n".join(blocks)


def _render_one(d: Diagnostic, sources: Mapping[str, SourceFile]) -> str:
    lines = [headline(d)]
    lines.extend(_snippet(d.span, sources))
    for note in d.notes:
        if note.span is None:
            lines.append(f"  = note: {note.message}")
        else:
            lines.append(f"  note: {note.message} ({note.span})")
            lines.extend(_snippet(note.span, sources))
    for label in d.labels:
        lines.append(f"  label: {label.message} ({label.span})")
        lines.extend(_snippet(label.span, sources, underline="-"))
    if d.help:
        help_lines = d.help.splitlines()
        lines.append(f"  = help: {help_lines[0]}")
        lines.extend(f"          {extra}" for extra in help_lines[1:])
    return "\n".join(lines) + "\n"


def _snippet(span: Span, sources: Mapping[str, SourceFile], underline: str = "^") -> list[str]:
    source = sources.get(span.file)
    if source is None:
        return []
    # A tab becomes one space: columns count characters, so carets stay aligned.
    text = source.line_text(span.line).expandtabs(1)
    gutter = " " * len(str(span.line))
    # A span over several lines is underlined to the end of its first line.
    end_column = span.end_column if span.end_line == span.line else len(text) + 1
    start, width = span.column - 1, max(1, end_column - span.column)
    text, start, width = _window(text, start, width)
    caret = " " * start + underline * width
    return [
        f"{gutter} |",
        f"{span.line} | {text}",
        f"{gutter} | {caret}",
    ]


SNIPPET_WIDTH = 120
SNIPPET_CONTEXT = 40


def _window(text: str, start: int, width: int) -> tuple[str, int, int]:
    """A long line cut down to the part around the span, with "..." where it was cut.

    Returns the text to show, and the span's start and width within it.
    """
    if len(text) <= SNIPPET_WIDTH:
        return text, start, width
    first = max(0, min(start - SNIPPET_CONTEXT, len(text) - SNIPPET_WIDTH))
    shown = text[first : first + SNIPPET_WIDTH]
    prefix = "..." if first > 0 else ""
    suffix = "..." if first + SNIPPET_WIDTH < len(text) else ""
    start_in_shown = start - first
    width = max(1, min(width, SNIPPET_WIDTH - start_in_shown))
    return prefix + shown + suffix, len(prefix) + start_in_shown, width


def to_json_object(d: Diagnostic) -> dict[str, object]:
    """The JSON form of one diagnostic; the same fields the human format shows."""
    return {
        "file": d.span.file,
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line,
        "end_column": d.span.end_column,
        "severity": str(d.severity),
        "code": d.code,
        "message": d.message,
        "notes": [
            {"message": n.message, **({"span": _span_json(n.span)} if n.span else {})}
            for n in d.notes
        ],
        "help": d.help,
        "labels": [{"message": lb.message, "span": _span_json(lb.span)} for lb in d.labels],
        "fixes": [_fix_json(fix) for fix in d.fixes],
    }


def _fix_json(fix: Fix) -> dict[str, object]:
    edits = [{"span": _span_json(e.span), "new_text": e.new_text} for e in fix.edits]
    return {"message": fix.message, "applicability": str(fix.applicability), "edits": edits}


def _span_json(span: Span) -> dict[str, object]:
    return {
        "file": span.file,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """One JSON document: {"diagnostics": [...], "errors": N, "warnings": N}."""
    errors = sum(1 for d in diagnostics if d.is_error)
    document = {
        "diagnostics": [to_json_object(d) for d in diagnostics],
        "errors": errors,
        "warnings": len(diagnostics) - errors,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
