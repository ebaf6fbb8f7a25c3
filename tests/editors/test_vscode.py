"""The VS Code extension (editors/vscode/): its grammar on the samples, its keywords, its .vsix.

npm installs the extension's tools from its package-lock.json into
editors/vscode/node_modules/, which is kept between runs and installed again
only when the lock file no longer matches it. Without node and npm these tests
skip, except under CI=true, where they fail: CI must build the extension.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from flowc import ast
from flowc.parsing.grammar import load_grammar

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
BIN = EXTENSION / "node_modules" / ".bin"
GRAMMAR = EXTENSION / "syntaxes" / "flow.tmLanguage.json"


def run(command: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=EXTENSION, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def installed() -> None:
    """node_modules as package-lock.json says, installed with `npm ci` when it is not."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not found: the VS Code extension cannot be built"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if not _installed_as_locked():
        done = run(["npm", "ci", "--no-audit", "--no-fund"], timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr


def _installed_as_locked() -> bool:
    # npm writes what it installed to node_modules/.package-lock.json.
    hidden = EXTENSION / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    locked = json.loads((EXTENSION / "package-lock.json").read_text())["packages"]
    present = json.loads(hidden.read_text())["packages"]
    # Optional packages of other platforms (the prebuilt vsce-sign of each) are not there.
    expected = {
        name: entry
        for name, entry in locked.items()
        if name and (name in present or not entry.get("optional"))
    }
    return expected == present


def test_the_grammar_gives_the_samples_their_scopes(installed: None) -> None:
    # Not *.flow: `flowc fmt` would lay out again the lines the carets point into.
    samples = "tests/*.flow-sample"
    done = run([str(BIN / "vscode-tmgrammar-test"), "-g", str(GRAMMAR), samples])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("run successfuly") == len(list(EXTENSION.glob(samples)))


def _words(node: object) -> set[str]:
    """Every word of a group of words in the grammar's patterns: `(?:talk|collect)`,
    `(sms|email)`, `(on)`."""
    if isinstance(node, dict):
        return {word for value in node.values() for word in _words(value)}
    if isinstance(node, list):
        return {word for item in node for word in _words(item)}
    if isinstance(node, str):
        groups = re.findall(r"\((?:\?:)?([A-Za-z_]+(?:\|[A-Za-z_]+)*)\)", node)
        return {word for group in groups for word in group.split("|")}
    return set()


def test_every_keyword_and_type_name_is_highlighted() -> None:
    words = _words(json.loads(GRAMMAR.read_text())["patterns"]) | _words(
        json.loads(GRAMMAR.read_text())["repository"]
    )
    assert set(load_grammar().keywords) - words == set()
    assert {*ast.SCALAR_TYPE_NAMES, "list"} - words == set()


def test_the_extension_is_packaged_with_its_client(installed: None, tmp_path: Path) -> None:
    vsix = tmp_path / "flowc.vsix"
    done = run(
        [
            str(BIN / "vsce"),
            "package",
            "--allow-missing-repository",
            "--skip-license",
            "-o",
            str(vsix),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    for packed in ["extension.js", "language-configuration.json", "syntaxes/flow.tmLanguage.json"]:
        assert f"extension/{packed}" in names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    assert not any(name.startswith("extension/tests/") for name in names)
    (language,) = manifest["contributes"]["languages"]
    assert (language["id"], language["extensions"]) == ("flow", [".flow"])
    (grammar,) = manifest["contributes"]["grammars"]
    assert f"extension/{grammar['path'].removeprefix('./')}" in names
    setting = manifest["contributes"]["configuration"]["properties"]["flowc.server.path"]
    assert setting["default"] == "flowc"


def test_the_client_code_is_valid_javascript(installed: None) -> None:
    done = run(["node", "--check", "extension.js"])
    assert done.returncode == 0, done.stderr
