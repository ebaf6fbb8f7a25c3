"""A library's published interface: checked from its folder, or read from a wheel's manifest.

The manifest (`flowc-manifest.json` in the package folder of the wheel and sdist)
records the library's name and version and the interface of every published
action; drafts are not in it. `flowc diff` and `flowc catalog` read it, so an
installed or downloaded library is never checked again to be described.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__, ast, codes
from ..diagnostics import error
from ..pipeline import CheckResult, check_files
from .errors import LibraryError
from .interface import ActionInterface, interface_of
from .project import LibraryProject, line_span

MANIFEST_NAME = "flowc-manifest.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class LibraryInterface:
    name: str
    version: str
    # Every published action (organization or marketplace), by name.
    actions: Mapping[str, ActionInterface]

    def describe(self) -> str:
        return f"{self.name} {self.version}"

    def to_manifest(self) -> str:
        data = {
            "format": MANIFEST_FORMAT,
            "library": self.name,
            "version": self.version,
            "flowc": __version__,
            "actions": [self.actions[name].to_json() for name in sorted(self.actions)],
        }
        return json.dumps(data, indent=2) + "\n"

    @staticmethod
    def from_manifest(text: str, where: str) -> LibraryInterface:
        try:
            data: Any = json.loads(text)
            name, version, actions = data["library"], data["version"], data["actions"]
        except (ValueError, KeyError, TypeError) as exc:
            raise LibraryError(f"{where}: not a flowc manifest ({exc})") from exc
        if data.get("format") != MANIFEST_FORMAT:
            raise LibraryError(
                f"{where}: manifest format {data.get('format')!r}, "
                f"where this flowc reads format {MANIFEST_FORMAT}"
            )
        read = [ActionInterface.from_json(action, where) for action in actions]
        return LibraryInterface(str(name), str(version), {a.name: a for a in read})


@dataclass(frozen=True)
class CheckedLibrary:
    project: LibraryProject
    check: CheckResult
    interface: LibraryInterface
    # Every action of the package's top-level files, drafts included, with its declaration.
    declared: Mapping[str, tuple[ast.Action, str]]
    # The .flow files a pack ships: those declaring a published action, and what they import.
    shipped: tuple[str, ...]


def check_library(project: LibraryProject) -> CheckedLibrary:
    """Check the library's .flow files; LibraryError with the diagnostics when any is an
    error, or when there is no published action."""
    files = project.flow_files
    if not files:
        raise _nothing_to_publish(project, f"'{project.package_folder}' holds no .flow files")
    check = check_files(files)
    if check.error_count:
        raise LibraryError(
            f"{project.describe()} does not check", check.diagnostics, check.program.sources
        )
    declared: dict[str, tuple[ast.Action, str]] = {}
    published: dict[str, ActionInterface] = {}
    for path in files:
        for action in check.program.modules[path].actions:
            declared[action.name.name] = (action, path)
            found = interface_of(
                action, check.program.sources[path], os.path.relpath(path, project.package_folder)
            )
            if found.publish is not ast.Publish.DRAFT:
                published[found.name] = found
    if not published:
        raise _nothing_to_publish(project, "every action of the library is a draft")
    interface = LibraryInterface(project.name, str(project.version), published)
    roots = sorted({declared[name][1] for name in published})
    return CheckedLibrary(project, check, interface, declared, _closure(project, check, roots))


def _nothing_to_publish(project: LibraryProject, reason: str) -> LibraryError:
    message = f"{project.name} has no action to publish: {reason}"
    diagnostic = error(
        codes.NOTHING_TO_PUBLISH,
        line_span(project.pyproject, "name"),
        message,
        help=f"put .flow files in {project.package_folder} and give their actions "
        "`publish: organization` (or `marketplace`) in meta",
    )
    return LibraryError(message, [diagnostic], {project.pyproject.path: project.pyproject})


def _closure(project: LibraryProject, check: CheckResult, roots: list[str]) -> tuple[str, ...]:
    """The files in `roots` and every file they import by path; each must lie in the package
    folder, or the wheel would lack it."""
    program, package = check.program, project.package_folder.resolve()
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for imp in program.modules[path].imports:
            if not isinstance(imp, ast.FileImport):
                continue  # another library: a dependency of this one, not part of it
            for target in program.import_targets.get(imp, ()):
                if not Path(target).resolve().is_relative_to(package):
                    raise LibraryError(
                        f"{imp.span}: '{target}' is outside the package folder {package}, "
                        "so the wheel would not hold it: move it into the package"
                    )
                pending.append(target)
    return tuple(sorted(seen))


def read_wheel_interface(wheel: Path) -> LibraryInterface:
    """The manifest a wheel holds; LibraryError when it is no wheel of an action library."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1]
            manifests = [n for n in names if n.endswith(f"/{MANIFEST_NAME}")]
            if len(manifests) != 1:
                raise LibraryError(
                    f"'{wheel}' is not an action library: it holds no {MANIFEST_NAME} "
                    "(libraries are packed with `flowc pack`)"
                )
            text = archive.read(manifests[0]).decode("utf-8")
    except (OSError, zipfile.BadZipFile) as exc:
        raise LibraryError(f"cannot read the wheel '{wheel}': {exc}") from exc
    return LibraryInterface.from_manifest(text, f"{wheel}!{manifests[0]}")
