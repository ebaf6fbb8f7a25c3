"""A library project: the folder holding `pyproject.toml` and the package of `.flow` files.

The distribution's name and version come from `[project]`; the package folder is
the one `[tool.setuptools] packages` names first, else the distribution name made
into an import name (`booking-actions` -> `booking_actions`). A mistake in
pyproject.toml is a diagnostic on its line (E0802), rendered like any other.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .. import codes
from ..diagnostics import error
from ..loader import read_source
from ..source import SourceFile, Span
from .errors import LibraryError

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class LibraryProject:
    root: Path
    name: str  # the distribution name, as written
    version: Version
    package: str  # the import name, and the package folder under root
    pyproject: SourceFile

    @property
    def package_folder(self) -> Path:
        return self.root / self.package

    @property
    def flow_files(self) -> list[str]:
        """The .flow files `from package import A` reaches: the package folder's top level."""
        return sorted(str(p) for p in self.package_folder.glob("*.flow"))

    def version_span(self) -> Span:
        return line_span(self.pyproject, "version")

    def describe(self) -> str:
        return f"{self.name} {self.version}"


def read_project(folder: str | Path) -> LibraryProject:
    """The library project in `folder`; LibraryError when it is not one."""
    root = Path(folder)
    path = root / PYPROJECT
    if not root.is_dir():
        raise LibraryError(f"'{folder}' is not a folder")
    try:
        pyproject, _ = read_source(str(path))
    except OSError as exc:
        raise LibraryError(
            f"'{folder}' is not a library project: cannot read {path} ({exc.strerror or exc})"
        ) from exc
    try:
        data = tomllib.loads(pyproject.text)
    except tomllib.TOMLDecodeError as exc:
        raise LibraryError(f"{path}: not valid TOML: {exc}") from exc
    project = data.get("project")
    if not isinstance(project, dict):
        raise _problem(pyproject, "project", "pyproject.toml has no [project] table", _NAME_HELP)
    name, version_text = project.get("name"), project.get("version")
    if not isinstance(name, str) or not name:
        raise _problem(pyproject, "project", "[project] gives no 'name'", _NAME_HELP)
    if not isinstance(version_text, str):
        dynamic = "version" in project.get("dynamic", ())
        message = (
            "the version is dynamic: flowc compares versions before building, so it must be written"
            if dynamic
            else "[project] gives no 'version'"
        )
        raise _problem(pyproject, "project", message, 'write `version = "1.0.0"` under [project]')
    try:
        version = Version(version_text)
    except InvalidVersion:
        raise _problem(
            pyproject,
            "version",
            f"'{version_text}' is not a version",
            'write MAJOR.MINOR.PATCH, e.g. `version = "1.0.0"`',
        ) from None
    return LibraryProject(root, name, version, _package_name(data, name), pyproject)


_NAME_HELP = 'write `[project]` with `name = "my-actions"` and `version = "1.0.0"`'


def _package_name(data: dict[str, Any], name: str) -> str:
    packages = data.get("tool", {}).get("setuptools", {}).get("packages")
    if isinstance(packages, list) and packages and isinstance(packages[0], str):
        return packages[0].split(".")[0]
    return canonicalize_name(name).replace("-", "_")


def _problem(pyproject: SourceFile, key: str, message: str, help: str) -> LibraryError:
    diagnostic = error(codes.LIBRARY_PROJECT, line_span(pyproject, key), message, help=help)
    return LibraryError(message, [diagnostic], {pyproject.path: pyproject})


def line_span(source: SourceFile, key: str) -> Span:
    """The span of `key = ...` (or of the `[key]` table header) in a TOML file, else line 1."""
    pattern = re.compile(rf"^\s*(\[{re.escape(key)}\]|{re.escape(key)}\s*=.*?)\s*(#.*)?$")
    for number, line in enumerate(source.text.split("\n"), start=1):
        if match := pattern.match(line):
            return Span(source.path, number, match.start(1) + 1, number, match.end(1) + 1)
    return Span(source.path, 1, 1, 1, 1)
