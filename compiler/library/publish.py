"""`flowc publish`: the version check against the index, the review, the pack, the upload.

The latest release on the index (pip's view of it: `pip download NAME`) is the
baseline. The new version must be greater, by at least the bump its interface
changes need (semver.py); a library with a marketplace action must pass the
review. Only then is it packed and uploaded with twine.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from .. import ast, codes
from ..diagnostics import Note, error
from .errors import LibraryError
from .index import NotOnIndex, download_wheel, upload
from .manifest import CheckedLibrary, LibraryInterface, read_wheel_interface
from .pack import pack
from .review import review_library
from .semver import Bump, Change, bump_between, interface_changes, required_bump, smallest_version


@dataclass(frozen=True)
class VersionCheck:
    latest: LibraryInterface | None  # None: the first release on this index
    changes: list[Change]


def index_of(repository_url: str) -> str:
    """The simple index beside an upload URL, as pypiserver and devpi lay them out."""
    return repository_url.rstrip("/") + "/simple/"


def check_version(library: CheckedLibrary, index_url: str) -> VersionCheck:
    """Compare with the latest release on the index; LibraryError (E0803 at the version
    line of pyproject.toml) when the version is too small for the changes."""
    project = library.project
    with tempfile.TemporaryDirectory(prefix="flowc-publish-") as folder:
        try:
            wheel = download_wheel(project.name, Path(folder), index_url, "publish")
        except NotOnIndex:
            return VersionCheck(None, [])
        latest = read_wheel_interface(wheel)
    changes = interface_changes(latest, library.interface)
    old = Version(latest.version)
    made, needed = bump_between(old, project.version), required_bump(changes)
    if made is None:
        raise _too_small(
            library,
            f"version {project.version} is not after {old}, the latest on {index_url}",
            [],
            smallest_version(old, needed or Bump.PATCH),
        )
    if needed is not None and made < needed:
        raise _too_small(
            library,
            f"version {project.version} is a {made.word} release, but the changes since "
            f"{old} need a {needed.word} one",
            [c for c in changes if c.bump > made],
            smallest_version(old, needed),
        )
    return VersionCheck(latest, changes)


def _too_small(
    library: CheckedLibrary, message: str, changes: list[Change], next_version: Version
) -> LibraryError:
    project = library.project
    diagnostic = error(
        codes.VERSION_TOO_SMALL,
        project.version_span(),
        message,
        notes=[Note(f"{c.action}: {c.description} (needs {c.bump.word})") for c in changes],
        help=f'write `version = "{next_version}"`',
    )
    return LibraryError(message, [diagnostic], {project.pyproject.path: project.pyproject})


def publish(
    library: CheckedLibrary, repository_url: str, index_url: str, out: Path
) -> tuple[VersionCheck, list[Path]]:
    """Check the version and (for the marketplace) the review, pack into `out`, upload."""
    if "://" not in repository_url:
        raise LibraryError(
            f"'{repository_url}' is not a repository URL (such as https://pypi.example.com/)"
        )
    verdict = check_version(library, index_url)
    marketplace = [
        a for a in library.interface.actions.values() if a.publish is ast.Publish.MARKETPLACE
    ]
    if marketplace:
        review = review_library(library)
        if not review.passed:
            raise LibraryError(
                f"the marketplace review of {library.project.describe()} did not pass",
                review.diagnostics,
                review.sources,
            )
    built = pack(library, out)
    upload(built, repository_url)
    return verdict, built
