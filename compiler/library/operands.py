"""The two sides of `flowc diff`: a library folder, a wheel file, or a release on an index."""

from __future__ import annotations

import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .errors import LibraryError
from .index import download_wheel
from .manifest import LibraryInterface, check_library, read_wheel_interface
from .project import read_project


def load_interface(operand: str, index_url: str | None) -> LibraryInterface:
    """A folder is checked, a wheel's manifest read, and `name==version` (or `name`, the
    latest) downloaded with pip from `index_url` or pip's configured index."""
    path = Path(operand)
    if path.is_dir():
        return check_library(read_project(path)).interface
    if path.suffix == ".whl":
        if not path.is_file():
            raise LibraryError(f"there is no wheel '{operand}'")
        return read_wheel_interface(path)
    requirement = parse_requirement(operand)
    with tempfile.TemporaryDirectory(prefix="flowc-diff-") as folder:
        wheel = download_wheel(str(requirement), Path(folder), index_url, "diff")
        return read_wheel_interface(wheel)


def parse_requirement(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise LibraryError(
            f"'{text}' is neither a library folder, a wheel, nor a requirement such as "
            f"booking-actions==1.2.0 ({exc})"
        ) from exc
