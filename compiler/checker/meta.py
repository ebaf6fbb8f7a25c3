"""The `meta { ... }` block of an action or flow: known keys, each once, with valid values."""

from __future__ import annotations

import re

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, did_you_mean, error, rename_fix

TEXT_KEYS = ("title", "integration", "description", "icon", "version")
PUBLISH_VALUES = tuple(p.value for p in ast.Publish)
# Semantic versioning 2.0.0: MAJOR.MINOR.PATCH, optional -prerelease and +build.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)


def check_meta(meta: ast.Meta) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: dict[str, ast.MetaEntry] = {}
    for entry in meta.entries:
        key = entry.key.name
        if key in seen:
            found.append(
                error(
                    codes.META_KEY_TWICE,
                    entry.key.span,
                    f"'{key}' is given twice in meta",
                    notes=[Note("first given here", seen[key].span)],
                    help="keep one of the two",
                )
            )
            continue
        seen[key] = entry
        found += _check_entry(entry)
    return found


def _check_entry(entry: ast.MetaEntry) -> list[Diagnostic]:
    key, value = entry.key.name, entry.value
    if key == "publish":
        return _check_publish(value)
    if key not in TEXT_KEYS:
        suggestion = did_you_mean(key, (*TEXT_KEYS, "publish"))
        return [
            error(
                codes.UNKNOWN_META_KEY,
                entry.key.span,
                f"'{key}' is not a meta key",
                notes=[Note(f"meta keys: {', '.join((*TEXT_KEYS, 'publish'))}")],
                help=f"did you mean '{suggestion}'?" if suggestion else None,
                fixes=rename_fix(entry.key.span, key, suggestion, (*TEXT_KEYS, "publish")),
            )
        ]
    if not isinstance(value, ast.StringLit) or not value.is_plain:
        return [_bad_value(entry, f"'{key}' takes a plain string", f'{key}: "..."')]
    if key == "version" and not _SEMVER.match(value.plain_text):
        return [
            _bad_value(
                entry,
                f"'{value.plain_text}' is not a semantic version (MAJOR.MINOR.PATCH)",
                'version: "1.0.0"',
            )
        ]
    return []


def _check_publish(value: ast.StringLit | ast.Ident) -> list[Diagnostic]:
    word = value.name if isinstance(value, ast.Ident) else value.plain_text
    if isinstance(value, ast.Ident) and word in PUBLISH_VALUES:
        return []
    suggestion = did_you_mean(word, PUBLISH_VALUES) or "draft"
    return [
        error(
            codes.INVALID_META_VALUE,
            value.span,
            f"'publish' is one of {', '.join(PUBLISH_VALUES)}, written without quotes",
            help=f"write `publish: {suggestion}`",
        )
    ]


def _bad_value(entry: ast.MetaEntry, message: str, fix: str) -> Diagnostic:
    return error(codes.INVALID_META_VALUE, entry.value.span, message, help=f"write `{fix}`")
