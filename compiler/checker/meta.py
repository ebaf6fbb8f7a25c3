"""The `meta { ... }` block of an action or flow: known keys, each once, with valid values."""

from __future__ import annotations

import re

from .. import ast, codes
from ..diagnostics import Diagnostic, Note, did_you_mean, error, rename_fix

TEXT_KEYS = ("title", "integration", "description", "icon", "version")
PUBLISH_VALUES = tuple(p.value for p in ast.Publish)
# The icons the Add Action menu draws (docs/libraries.md); the marketplace review
# accepts only these, an organization's own actions may name any.
ICONS = (
    "alert", "bell", "calendar", "card", "cart", "chat", "check", "clock", "document",
    "globe", "headset", "home", "key", "lock", "mail", "map-pin", "message", "phone",
    "search", "shield", "star", "truck", "user", "wallet",
)  # fmt: skip
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


def meta_value(meta: ast.Meta | None, key: str) -> str | None:
    """The plain text given for `key` (the word, for `publish`), or None when absent."""
    for entry in meta.entries if meta else ():
        if entry.key.name == key:
            value = entry.value
            return value.name if isinstance(value, ast.Ident) else value.plain_text
    return None


def publish_level(meta: ast.Meta | None) -> ast.Publish:
    """How far an action is published; `draft` when meta does not say (or says wrongly,
    which `check_meta` reports)."""
    word = meta_value(meta, "publish")
    return ast.Publish(word) if word in PUBLISH_VALUES else ast.Publish.DRAFT
