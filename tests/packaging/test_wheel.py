"""`pip install .` ships everything: every compiler and runtime module, the grammar, the templates.

The wheel is built the way pip builds it for an install, then its file list is
compared with the source folders, so a new subpackage or data file that the
packaging configuration forgets fails here rather than on a user's machine.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--no-build-isolation", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("flowc-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def expected(folder: str, package: str, patterns: tuple[str, ...]) -> set[str]:
    base = ROOT / folder
    return {
        f"{package}/{path.relative_to(base).as_posix()}"
        for pattern in patterns
        for path in base.rglob(pattern)
        if "__pycache__" not in path.parts
    }


def test_every_compiler_module_template_and_marker_is_in_the_wheel(wheel_files: set[str]) -> None:
    wanted = expected("compiler", "flowc", ("*.py", "*.jinja", "py.typed"))
    assert wanted - wheel_files == set()


def test_the_grammar_ships_inside_the_compiler_package(wheel_files: set[str]) -> None:
    assert {"flowc/grammar/flow.lark", "flowc/grammar/__init__.py"} <= wheel_files


def test_every_runtime_module_and_py_typed_is_in_the_wheel(wheel_files: set[str]) -> None:
    wanted = expected("runtime", "flowc_runtime", ("*.py", "py.typed"))
    assert "flowc_runtime/py.typed" in wanted
    assert wanted - wheel_files == set()


def test_the_flowc_console_script_is_declared(wheel: Path, wheel_files: set[str]) -> None:
    (entry_points,) = (name for name in wheel_files if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "flowc = flowc.cli:main" in text
