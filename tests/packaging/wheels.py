"""Building and reading the two wheels, flowc and flowc-runtime (fixtures: conftest.py).

Each is built the way pip builds it for an install (`pip wheel --no-deps
--no-build-isolation`), from a copy of its source folder in a temporary
directory: an in-tree build leaves build/ and *.egg-info behind, and in runtime/
those would sit inside the package that `make typecheck` checks; a copy also
keeps a build from racing with edits in the work tree, and (for the flowc wheel)
from stale files in the root's build/lib that setuptools would put in the wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Never part of a source tree to build: VCS, virtualenvs, caches, build output.
_JUNK_ANYWHERE = ("__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache")
_JUNK_AT_TOP = {".git", ".venv", "venv", "build", "dist", ".hypothesis", "node_modules"}

# Planted in the runtime's copy before the build: the wheel must ship none of them.
# (Not in build/lib/: setuptools ships whatever an earlier build left there, which
# is why the wheels are built from copies and releases from a clean checkout.)
PLANTED = (
    "tests/test_planted.py",
    "serve/tests/test_planted.py",
    "build/planted/planted.py",
)


@dataclass(frozen=True)
class Wheel:
    path: Path
    names: frozenset[str]  # every entry in the archive
    source: Path  # the copy it was built from

    def read(self, name: str) -> str:
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(name).decode()

    def dist_info(self, filename: str) -> str:
        (name,) = (n for n in self.names if n.endswith(f".dist-info/{filename}"))
        return self.read(name)

    @property
    def metadata(self) -> Message:
        return Parser().parsestr(self.dist_info("METADATA"))

    @property
    def files(self) -> set[str]:
        """The installed files, without the .dist-info folder."""
        return {n for n in self.names if ".dist-info/" not in n}


def copy_source(source: Path, dest: Path) -> Path:
    junk = shutil.ignore_patterns(*_JUNK_ANYWHERE)

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(junk(folder, names))
        if Path(folder) == source:
            skipped |= _JUNK_AT_TOP & set(names)
        return skipped

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    return dest


def build_wheel(source: Path, out: Path) -> Wheel:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--no-build-isolation", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"building a wheel from {source} failed:\n{result.stdout}\n{result.stderr}")
    (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as archive:
        names = frozenset(archive.namelist())
    return Wheel(path=path, names=names, source=source)


def runtime_files(folder: Path) -> set[str]:
    """What the runtime wheel must hold: every .py and py.typed, as flowc_runtime/..."""
    return {
        f"flowc_runtime/{path.relative_to(folder).as_posix()}"
        for pattern in ("*.py", "py.typed")
        for path in folder.rglob(pattern)
        if "__pycache__" not in path.parts
        and "tests" not in path.relative_to(folder).parts
    }
