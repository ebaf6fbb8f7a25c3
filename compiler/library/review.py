"""`flowc review`: what an action needs before the marketplace takes it.

Only actions with `publish: marketplace` are reviewed (`flowc publish` runs the
review for them). Each must have complete meta, an icon from the menu's set
(flowc.checker.meta.ICONS), a description a re-user can choose by, a label on
every configurable input, no secret and no service address written where a
re-user cannot set it, and `.flowtest` tests (compiler/testing) that pass. Every
finding is a diagnostic at the line it is about.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import ast, codes
from ..checker.meta import ICONS, TEXT_KEYS, meta_value, publish_level
from ..diagnostics import Diagnostic, Note, did_you_mean, error
from ..loader import read_source
from ..source import SourceFile, Span
from ..testing.model import FlowTest, SubjectKind
from ..testing.parse import parse_flowtest
from ..testing.runner import Runner, TestResult, describe_failure, find_tests
from .manifest import CheckedLibrary

# Shorter than this says what the action is called, not what it does.
MIN_DESCRIPTION = 40
_CREDENTIAL_WORDS = ("authorization", "api-key", "apikey", "api_key", "token", "secret", "password")


@dataclass
class Review:
    reviewed: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The texts the diagnostics point into: the library's .flow files and its tests.
    sources: dict[str, SourceFile] = field(default_factory=dict)
    tests: list[TestResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.diagnostics


def review_library(library: CheckedLibrary) -> Review:
    marketplace = {
        name: declared
        for name, declared in library.declared.items()
        if publish_level(declared[0].meta) is ast.Publish.MARKETPLACE
    }
    review = Review(sorted(marketplace), sources=dict(library.check.program.sources))
    if not marketplace:
        return review
    for action, _ in marketplace.values():
        review.diagnostics += _check_action(action)
    _run_tests(library, marketplace, review)
    review.diagnostics.sort(key=Diagnostic.sort_key)
    return review


def _check_action(action: ast.Action) -> Iterator[Diagnostic]:
    yield from _check_meta(action)
    for declared in action.inputs:
        yield from _check_input(action, declared)
    for step in action.steps:
        if isinstance(step, ast.Request):
            yield from _check_request(action, step)


def _check_meta(action: ast.Action) -> Iterator[Diagnostic]:
    name = action.name.name
    missing = [key for key in TEXT_KEYS if not (meta_value(action.meta, key) or "").strip()]
    if missing:
        yield error(
            codes.META_INCOMPLETE,
            action.meta.span if action.meta else action.name.span,
            f"marketplace action '{name}' gives no {', '.join(missing)} in its meta",
            notes=[Note("the Add Action menu shows each of: " + ", ".join(TEXT_KEYS))],
            help="add " + ", ".join(f'`{key}: "..."`' for key in missing) + " to its meta",
        )
    entries = {entry.key.name: entry for entry in action.meta.entries} if action.meta else {}
    icon, description = entries.get("icon"), entries.get("description")
    if icon is not None and (word := meta_value(action.meta, "icon")) not in ICONS:
        suggestion = did_you_mean(word or "", ICONS)
        yield error(
            codes.ICON_NOT_IN_SET,
            icon.value.span,
            f"'{word}' is not an icon of the Add Action menu",
            notes=[Note(f"icons: {', '.join(ICONS)}")],
            help=f'write `icon: "{suggestion}"`' if suggestion else "choose one of the icons",
        )
    text = (meta_value(action.meta, "description") or "").strip()
    if description is not None and 0 < len(text) < MIN_DESCRIPTION:
        yield error(
            codes.DESCRIPTION_TOO_SHORT,
            description.value.span,
            f"the description of '{name}' is {len(text)} characters: a re-user choosing "
            f"from the menu needs at least {MIN_DESCRIPTION}",
            help="say what the action asks the caller, what it calls and what its outputs mean",
        )


def _check_input(action: ast.Action, declared: ast.Input) -> Iterator[Diagnostic]:
    name = declared.name.name
    if declared.configurable and declared.label is None:
        yield error(
            codes.FIELD_WITHOUT_LABEL,
            declared.span,
            f"configurable input '{name}' of '{action.name.name}' has no label",
            notes=[Note("the label is the name of the field a re-user fills in")],
            help=f'write `configurable "{name.replace("_", " ").capitalize()}"`',
        )
    default = declared.default
    is_secret = isinstance(declared.type, ast.NamedType) and declared.type.name == "secret"
    if is_secret and isinstance(default, ast.StringLit):
        yield _secret_written(default.span, f"the default of secret input '{name}'", name)
    if not declared.configurable and isinstance(default, ast.StringLit) and _is_url(default):
        yield error(
            codes.URL_HARD_CODED,
            declared.span,
            f"input '{name}' of '{action.name.name}' fixes the address {default.plain_text}",
            notes=[Note("a re-user calls their own service, at their own address")],
            help=f'make it a field: add `configurable "{name.replace("_", " ").capitalize()}"`',
        )


def _check_request(action: ast.Action, request: ast.Request) -> Iterator[Diagnostic]:
    url = request.url
    if isinstance(url, ast.StringLit) and _is_url(url):
        yield error(
            codes.URL_HARD_CODED,
            url.span,
            f"request '{request.var.name}' of '{action.name.name}' calls an address written "
            "in the action",
            notes=[Note("a re-user calls their own service, at their own address")],
            help='add `input api_url: text = "https://..." configurable "API base URL"` '
            'and write the URL as "{{api_url}}/..."',
        )
    for entry in (*request.headers, *request.query, *(request.body or ())):
        key = entry.key.plain_text.lower()
        if isinstance(entry.value, ast.StringLit) and any(w in key for w in _CREDENTIAL_WORDS):
            yield _secret_written(entry.value.span, f"'{entry.key.plain_text}'", "api_key")


def _secret_written(span: Span, what: str, input_name: str) -> Diagnostic:
    return error(
        codes.SECRET_HARD_CODED,
        span,
        f"{what} is written in the action: every re-user would send the author's secret",
        help=f'read it from an input: `input {input_name}: secret = env("{input_name.upper()}") '
        f'configurable "{input_name.replace("_", " ").capitalize()}"`',
    )


def _is_url(text: ast.StringLit) -> bool:
    first = text.parts[0] if text.parts else None
    return isinstance(first, ast.TextPart) and first.text.startswith(("http://", "https://"))


def _run_tests(
    library: CheckedLibrary, marketplace: Mapping[str, tuple[ast.Action, str]], review: Review
) -> None:
    """Run the library's tests of its marketplace actions; an action with none, or with
    one that fails, is a finding at the action. A test that does not parse may be one
    of them: it is run too (to say why it does not), and a finding at its first line."""
    by_action: dict[str, list[str]] = {name: [] for name in marketplace}
    unreadable: list[str] = []
    for path in find_tests([str(library.project.root)]):
        test = _read_test(path, review)
        if test is None:
            unreadable.append(path)
        elif test.subject.kind is SubjectKind.ACTION:
            name = test.subject.name.name
            called = os.path.join(os.path.dirname(path), test.subject.file)
            if name in by_action and _same_file(marketplace[name][1], called):
                by_action[name].append(path)
    tested = [path for paths in by_action.values() for path in paths]
    runner = Runner()
    try:
        results = {r.path: r for r in runner.run_files([*unreadable, *tested])}
    finally:
        runner.close()
    review.tests = list(results.values())
    for name, paths in by_action.items():
        action = marketplace[name][0]
        if not paths:
            review.diagnostics.append(_untested(action, library))
        failed = [results[p] for p in paths if results[p].status != "passed"]
        if failed:
            review.diagnostics.append(_failed(action.name.span, f"'{name}'", failed))
    for path in unreadable:
        if results[path].status != "passed":
            review.diagnostics.append(_unreadable(results[path]))


def _read_test(path: str, review: Review) -> FlowTest | None:
    """The test in a file, or None when it cannot be read or parsed (the runner says why)."""
    try:
        source, problem = read_source(path)
    except OSError:
        return None
    review.sources[path] = source
    return parse_flowtest(path, source.text)[0] if problem is None else None


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _untested(action: ast.Action, library: CheckedLibrary) -> Diagnostic:
    name = action.name.name
    return error(
        codes.ACTION_UNTESTED,
        action.name.span,
        f"marketplace action '{name}' has no tests",
        notes=[Note(f"no .flowtest file under {library.project.root} runs `action {name}`")],
        help=f'add tests/{name.lower()}.flowtest starting `action {name} from "..."` '
        "(docs/testing.md), one for each of its outputs",
    )


def _unreadable(result: TestResult) -> Diagnostic:
    return error(
        codes.ACTION_TEST_FAILED,
        Span(result.path, 1, 1, 1, 1),
        f"the test {os.path.basename(result.path)} does not check: whatever action it tests "
        "cannot pass the review",
        notes=[Note(describe_failure(result).rstrip())],
        help="run `flowc test` on the library and fix the test",
    )


def _failed(span: Span, what: str, results: Sequence[TestResult]) -> Diagnostic:
    noun = "test" if len(results) == 1 else "tests"
    return error(
        codes.ACTION_TEST_FAILED,
        span,
        f"{len(results)} {noun} of {what} did not pass",
        notes=[Note(f"{r.path}: {r.status}\n{describe_failure(r).rstrip()}") for r in results],
        help="run `flowc test` on the library and fix the action or the test",
    )
