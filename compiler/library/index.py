"""Talking to a package index through the ordinary clients: pip to download, twine to upload.

Both run as subprocesses of this Python (`python -m pip`, `python -m twine`), so
they read their usual configuration: pip's index (`PIP_INDEX_URL`, pip.conf) and
credentials (netrc, keyring), twine's `TWINE_USERNAME`/`TWINE_PASSWORD`, keyring
or ~/.pypirc. What they print on failure is turned into one clear message.
An index named by URL is asked first whether it answers and has the project (pip
takes an index that is down for one without it), and is then the only one pip
reads (`--isolated`: not the extra indexes of its configuration).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .errors import LibraryError, ToolMissing

# What pip and twine print when the index cannot be reached at all.
_UNREACHABLE = re.compile(
    r"NewConnectionError|Connection refused|Failed to establish a new connection|"
    r"Name or service not known|Temporary failure in name resolution|"
    r"Network is unreachable|ConnectTimeoutError|Max retries exceeded"
)
_NOT_FOUND = re.compile(r"No matching distribution found|Could not find a version that satisfies")
# twine colours its messages even into a pipe.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT_SECONDS = 120


class IndexUnreachable(LibraryError):
    """Nothing answers at the index's address."""


class NotOnIndex(LibraryError):
    """The index answers but has no release of the requirement."""


def download_wheel(requirement: str, folder: Path, index_url: str | None, command: str) -> Path:
    """Download the wheel of `requirement` (`name` for the latest, `name==1.2.0`) into
    `folder` with `pip download`, from `index_url` or pip's configured index."""
    argv = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
        "--disable-pip-version-check", "--no-cache-dir", "--retries", "1", "--timeout", "15",
        "--dest", str(folder), requirement,
    ]  # fmt: skip
    if index_url is not None:
        _probe(index_url, Requirement(requirement).name)
        # That index alone: not also the extra indexes and links of pip's configuration.
        argv += ["--isolated", "--index-url", index_url]
    where = index_url or "the configured index"
    output = _run(argv, "pip", command)
    if output.returncode != 0:
        text = output.stdout + output.stderr
        if _UNREACHABLE.search(text):
            raise IndexUnreachable(f"the package index {where} cannot be reached ({_reason(text)})")
        if _NOT_FOUND.search(text):
            raise NotOnIndex(f"{where} has no release of '{requirement}'")
        raise LibraryError(f"pip could not download '{requirement}' from {where}: {_reason(text)}")
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise LibraryError(f"pip download of '{requirement}' left {len(wheels)} wheels in {folder}")
    return wheels[0]


def _probe(index_url: str, name: str) -> None:
    """Ask the index for the project's page: pip takes an index that does not answer for
    one without the project, and says so only as a warning."""
    page = f"{index_url.rstrip('/')}/{canonicalize_name(name)}/"
    try:
        with urllib.request.urlopen(page, timeout=15):
            return
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotOnIndex(f"{index_url} has no release of '{name}'") from exc
        raise LibraryError(
            f"the package index {index_url} answered {exc.code} {exc.reason}"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IndexUnreachable(
            f"the package index {index_url} cannot be reached ({reason})"
        ) from exc


def upload(files: Sequence[Path], repository_url: str) -> None:
    """Upload with twine; credentials as twine reads them (never asked for: non-interactive)."""
    argv = [
        sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", repository_url, *map(str, files),
    ]  # fmt: skip
    output = _run(argv, "twine", "publish")
    if output.returncode != 0:
        text = output.stdout + output.stderr
        if _UNREACHABLE.search(text):
            raise IndexUnreachable(
                f"the index {repository_url} cannot be reached ({_reason(text)})"
            )
        raise LibraryError(f"{repository_url} refused the upload: {_reason(text)}")


def _run(argv: list[str], tool: str, command: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        raise ToolMissing(tool, command)
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise LibraryError(f"{tool} gave no answer within {TIMEOUT_SECONDS} s") from exc


def _reason(output: str) -> str:
    """The lines of a tool's output that say what went wrong (its ERROR lines, else the last)."""
    lines = [line.strip() for line in _COLOUR.sub("", output).splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if "ERROR" in line]
    chosen = errors or lines[-1:] or ["no output"]
    return " ".join(chosen)
