"""flowc diagnostics as LSP diagnostics, and their structured fixes as quick fixes.

Fixes are data on the diagnostics (compiler/diagnostics.py): a did-you-mean
replaces a misspelt name, a `run` with unconnected outputs gets the missing
`on Out -> ...` clauses, a `collect` without a way out gets `on no_answer`.
Each becomes a code action of kind quickfix, with its diagnostic beside it, as
LSP asks; those safe to apply unseen (machine-applicable) are preferred.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lsprotocol import types

from . import codes
from .diagnostics import Applicability, Diagnostic, Fix, Severity
from .lsp_positions import Ranges
from .source import Span

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
}
# Warnings about code that does nothing (an unreachable step, a label never
# jumped to): editors show such code faded.
_UNNECESSARY = frozenset({codes.UNREACHABLE_STEP, codes.LABEL_NEVER_USED})

UriOf = Callable[[str], str]
# Builds a WorkspaceEdit from text edits grouped by path (versioned where it can be).
EditBuilder = Callable[[Mapping[str, list[types.TextEdit]]], types.WorkspaceEdit]


def to_lsp_diagnostics(
    diagnostics: Sequence[Diagnostic], ranges: Ranges, uri_of: UriOf
) -> dict[str, list[types.Diagnostic]]:
    """flowc diagnostics as LSP ones, grouped by the URI of the file they are in."""
    by_uri: dict[str, list[types.Diagnostic]] = {}
    for d in diagnostics:
        by_uri.setdefault(uri_of(d.span.file), []).append(to_lsp(d, ranges, uri_of))
    return by_uri


def to_lsp(d: Diagnostic, ranges: Ranges, uri_of: UriOf) -> types.Diagnostic:
    """One diagnostic; notes with a span and labels become related information."""
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri_of(span.file), range=ranges(span)), message=message
        )
        for message, span in [
            *((note.message, note.span) for note in d.notes if note.span is not None),
            *((label.message, label.span) for label in d.labels),
        ]
    ]
    return types.Diagnostic(
        range=ranges(d.span),
        message=_message(d),
        severity=_SEVERITIES[d.severity],
        code=d.code,
        source="flowc",
        related_information=related or None,
        tags=[types.DiagnosticTag.Unnecessary] if d.code in _UNNECESSARY else None,
    )


def quick_fixes(
    diagnostics: Sequence[Diagnostic],
    wanted: types.Range,
    ranges: Ranges,
    uri_of: UriOf,
    workspace_edit: EditBuilder,
) -> list[types.CodeAction]:
    """Every fix of the diagnostics whose range meets `wanted`, as a quick fix."""
    actions = []
    for d in diagnostics:
        if not d.fixes:
            continue
        lsp_diagnostic = to_lsp(d, ranges, uri_of)
        if _meet(lsp_diagnostic.range, wanted):
            actions += [
                _code_action(fix, lsp_diagnostic, ranges, workspace_edit) for fix in d.fixes
            ]
    return actions


def _code_action(
    fix: Fix, diagnostic: types.Diagnostic, ranges: Ranges, workspace_edit: EditBuilder
) -> types.CodeAction:
    return types.CodeAction(
        title=fix.message,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=workspace_edit(text_edits([(e.span, e.new_text) for e in fix.edits], ranges)),
        is_preferred=fix.applicability is Applicability.MACHINE_APPLICABLE,
    )


def text_edits(
    replacements: Sequence[tuple[Span, str]], ranges: Ranges
) -> dict[str, list[types.TextEdit]]:
    """Replacements of spans by texts as LSP text edits, grouped by path."""
    by_path: dict[str, list[types.TextEdit]] = {}
    for span, new_text in replacements:
        edit = types.TextEdit(range=ranges(span), new_text=new_text)
        by_path.setdefault(span.file, []).append(edit)
    return by_path


def _meet(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position; touching counts (a cursor at a name's end)."""

    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _message(d: Diagnostic) -> str:
    """The message, then what the terminal shows below the snippet: spanless notes and help."""
    lines = [d.message]
    lines.extend(f"note: {note.message}" for note in d.notes if note.span is None)
    if d.help:
        lines.append(f"help: {d.help}")
    return "\n".join(lines)
