"""Strings and names from the source never become code (LANGUAGE.md section 8).

nasty_source_names.flow holds quotes of every kind, `\"\"\"`, escaped `\\{{`,
backslashes, a would-be code injection, an emoji and a tab, and uses Python
keywords as the names of a flow, an action, an output, inputs and variables.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flowc.build import build_files, write_files
from flowc_runtime import Outcome, ScriptedChannel, run_call

from tests.runtime_core.helpers import local_services

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
MODULE = "nasty_source_names"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = build_files([str(HERE / f"{MODULE}.flow")])
    assert result.ok, [d.message for d in result.check.diagnostics]
    folder = tmp_path_factory.mktemp("nasty")
    write_files(result.files, str(folder))
    return folder


@pytest.fixture
def module(output: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(MODULE)
    finally:
        sys.path.remove(str(output))
        sys.modules.pop(MODULE, None)


def test_every_string_is_said_exactly_as_written(module: ModuleType) -> None:
    channel = ScriptedChannel(["None"])
    result = asyncio.run(run_call(module.BODIES["class"], local_services(), channel))
    assert result.outcome is Outcome.ENDED and result.fault is None
    assert channel.said == [
        'Triple "quoted" with "); import os; os.system("echo pwned") #, {{ braces }}, '
        "a back\\slash and 'single' quotes",
        "'''\\n 42 \U0001f600\ttab",
        'Say "anything" 42',
        "You said None\\.",
        'Bye from """ land.',
    ]


def test_the_module_with_keyword_names_passes_mypy_strict(output: Path, tmp_path: Path) -> None:
    (tmp_path / "flowc_runtime").symlink_to(PROJECT / "runtime")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
        cwd=output,
        env={"MYPYPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
