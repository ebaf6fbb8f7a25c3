"""`flowc upgrade --check`: which use sites a release of a library would break, before installing.

The release's wheel is downloaded with pip (no install) and unpacked into a
temporary folder. The project's flows are checked twice: against what is
installed, and with the unpacked release first on the import path, which is
where `from package import A` looks (compiler/loader.py). What only the second
check reports is what the upgrade breaks, each at its use site.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from ..diagnostics import Diagnostic
from ..pipeline import CheckResult, check_files
from ..run import on_sys_path
from .errors import LibraryError
from .index import download_wheel
from .manifest import MANIFEST_NAME, LibraryInterface, read_wheel_interface
from .operands import parse_requirement
from .semver import Change, interface_changes

# Folders never searched for a project's .flow files.
SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".flowc-cache", "build"}


@dataclass(frozen=True)
class UpgradeCheck:
    installed: LibraryInterface | None
    candidate: LibraryInterface
    changes: list[Change]
    files: list[str]
    broken: list[Diagnostic]
    check: CheckResult  # against the candidate: its sources render `broken`


def check_upgrade(requirement_text: str, project: Path, index_url: str | None) -> UpgradeCheck:
    requirement = parse_requirement(requirement_text)
    files = project_flow_files(project)
    if not files:
        raise LibraryError(f"there is no .flow file under '{project}' to check")
    with tempfile.TemporaryDirectory(prefix="flowc-upgrade-") as folder:
        wheel = download_wheel(str(requirement), Path(folder), index_url, "upgrade")
        candidate = read_wheel_interface(wheel)
        # Named after the release: diagnostics' notes show where its declarations are.
        unpacked = Path(folder) / f"{candidate.name}-{candidate.version}"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
        installed = installed_interface(requirement.name)
        before = check_files(files)
        with on_sys_path(str(unpacked)):
            importlib.invalidate_caches()
            after = check_files(files)
    known = {_key(d) for d in before.diagnostics}
    broken = [d for d in after.diagnostics if d.is_error and _key(d) not in known]
    changes = interface_changes(installed, candidate) if installed is not None else []
    return UpgradeCheck(installed, candidate, changes, files, broken, after)


def _key(d: Diagnostic) -> tuple[str, str, int, int, str]:
    return (d.code, d.span.file, d.span.line, d.span.column, d.message)


def installed_interface(name: str) -> LibraryInterface | None:
    """The manifest of the installed distribution `name`, or None when none is installed."""
    return next((manifest for manifest, _ in installed_manifests(name)), None)


def installed_manifests(name: str | None = None) -> Iterator[tuple[LibraryInterface, Path]]:
    """The manifests of the installed action libraries (of `name` alone, when given), each
    with its path; the first of each name on the import path, as imports find them."""
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        dist_name = canonicalize_name(dist.metadata["Name"] or "")
        if dist_name in seen or (name is not None and dist_name != canonicalize_name(name)):
            continue
        seen.add(dist_name)
        for file in dist.files or ():
            if file.name == MANIFEST_NAME and len(file.parts) == 2:
                path = Path(str(file.locate()))
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise LibraryError(f"cannot read {path}: {exc.strerror or exc}") from exc
                yield LibraryInterface.from_manifest(text, str(path)), path


def project_flow_files(project: Path) -> list[str]:
    found: list[str] = []
    for root, folders, files in os.walk(project):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        found += [
            os.path.normpath(os.path.join(root, name))
            for name in sorted(files)
            if name.endswith(".flow")
        ]
    return found
