"""Real parts for the library tests: a local pypiserver, the flowc command, a fresh venv.

pypiserver runs on 127.0.0.1 on a free port, serving a temporary folder, with a
password file for uploads (downloads are open, as on an organization's index) and
no fallback to pypi.org. A tool that is not installed skips the test, except under
CI (CI=true), where it fails: CI must run these tests.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.http_server import unused_port
from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_LIBRARY = ROOT / "examples" / "libraries" / "booking-actions"
PUBLISHER, PASSWORD = "publisher", "correct horse battery staple"
START_SECONDS = 20.0


def require(what: str, present: bool, install: str) -> None:
    if present:
        return
    reason = f"{what} is not installed ({install})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the library tests")
    pytest.skip(reason)


def require_modules(*names: str) -> None:
    for name in names:
        require(name, importlib.util.find_spec(name) is not None, f"pip install {name}")


@dataclass(frozen=True)
class LocalIndex:
    url: str  # where twine uploads (`--repository`)
    packages: Path  # the folder it serves

    @property
    def simple(self) -> str:
        return f"{self.url}simple/"


@contextmanager
def running_pypiserver(folder: Path) -> Iterator[LocalIndex]:
    require_modules("pypiserver", "passlib")  # passlib: pypiserver reads the password file
    packages = folder / "packages"
    packages.mkdir(parents=True)
    # Apache's {SHA} form: what `htpasswd -s` writes, from the standard library alone.
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    (folder / "htpasswd").write_text(f"{PUBLISHER}:{{SHA}}{digest}\n", encoding="utf-8")
    port = unused_port()
    log = folder / "pypiserver.log"
    command = [
        sys.executable, "-m", "pypiserver", "run", "--host", "127.0.0.1", "--port", str(port),
        "--passwords", str(folder / "htpasswd"), "--authenticate", "update",
        "--disable-fallback", "--log-file", str(log), str(packages),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    index = LocalIndex(f"http://127.0.0.1:{port}/", packages)
    try:
        _wait_until_answering(index, process, log)
        yield index
    finally:
        stop(process)


def _wait_until_answering(index: LocalIndex, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(index.simple, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    output = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"pypiserver on {index.url} did not start:\n{output}")


def flowc(
    *argv: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    python: Path | str = sys.executable,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`flowc ARGV` as a user runs it: a process of its own, in `cwd`."""
    return subprocess.run(
        [str(python), "-m", "flowc.cli", *map(str, argv)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def publisher_env() -> dict[str, str]:
    """twine's credentials, as a CI job gives them."""
    return {"TWINE_USERNAME": PUBLISHER, "TWINE_PASSWORD": PASSWORD}


def copy_library(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("dist", "build", "__pycache__", "*.egg-info", ".flowc-cache")
    return Path(shutil.copytree(EXAMPLE_LIBRARY, dest, ignore=ignore))


def set_version(library: Path, version: str) -> None:
    pyproject = library / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    start = text.index('version = "')
    end = text.index('"', start + len('version = "'))
    pyproject.write_text(f'{text[:start]}version = "{version}{text[end:]}', encoding="utf-8")


@dataclass(frozen=True)
class Venv:
    """A fresh virtual environment that sees flowc and its dependencies (this checkout's
    editable installs, through a .pth file) but none of the libraries installed here."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @staticmethod
    def create(root: Path) -> Venv:
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
        venv = Venv(root)
        site_packages = Path(
            sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)})
        )
        # addsitedir, not a plain path line: it runs the .pth files of the editable installs.
        here = sysconfig.get_path("purelib")
        (site_packages / "flowc-checkout.pth").write_text(
            f"import site; site.addsitedir({here!r})\n", encoding="utf-8"
        )
        return venv

    def pip(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), "-m", "pip", "--disable-pip-version-check", *argv],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
