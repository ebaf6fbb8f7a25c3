"""The example library packed once per session, and small library projects made in tmp."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.libraries.support import copy_library, flowc, require_modules


@dataclass(frozen=True)
class Packed:
    wheel: Path
    sdist: Path
    # The wheel unpacked, as an install lays it out: a folder to put on the import path.
    site: Path

    def names(self) -> set[str]:
        with zipfile.ZipFile(self.wheel) as archive:
            return set(archive.namelist())


@pytest.fixture(scope="session")
def packed_example(tmp_path_factory: pytest.TempPathFactory) -> Packed:
    require_modules("build")
    work = tmp_path_factory.mktemp("packed")
    library = copy_library(work / "booking-actions")
    result = flowc("pack", library, "-o", work / "dist", cwd=work)
    if result.returncode != 0:
        pytest.fail(f"flowc pack failed:\n{result.stdout}{result.stderr}")
    (wheel,) = (work / "dist").glob("*.whl")
    (sdist,) = (work / "dist").glob("*.tar.gz")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return Packed(wheel, sdist, site)


PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
"""

MakeLibrary = Callable[..., Path]


@pytest.fixture
def make_library(tmp_path: Path) -> MakeLibrary:
    """A library project in tmp: `make_library(files={"a.flow": "..."}, version="1.0.0")`,
    the files inside its package folder (`acme_actions/`) unless their path says otherwise."""

    def make(
        files: dict[str, str],
        version: str = "1.0.0",
        name: str = "acme-actions",
        folder: str = "lib",
        pyproject: str | None = None,
    ) -> Path:
        root = tmp_path / folder
        package = root / name.replace("-", "_")
        package.mkdir(parents=True)
        text = PYPROJECT.format(name=name, version=version) if pyproject is None else pyproject
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        for path, content in files.items():
            target = root / path if "/" in path else package / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        return root

    return make
