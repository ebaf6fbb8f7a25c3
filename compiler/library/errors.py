"""What goes wrong in a library command: a message, or diagnostics with their sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..diagnostics import Diagnostic
from ..source import SourceFile


class LibraryError(Exception):
    """A library command cannot go on. `diagnostics` (with the `sources` they point into)
    when the reason is a line of a .flow file or of pyproject.toml; else the message alone."""

    def __init__(
        self,
        message: str,
        diagnostics: Sequence[Diagnostic] = (),
        sources: Mapping[str, SourceFile] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
        self.sources: Mapping[str, SourceFile] = sources or {}


class ToolMissing(LibraryError):
    """A Python package a command runs (build, twine) is not installed."""

    def __init__(self, package: str, command: str) -> None:
        super().__init__(
            f"'flowc {command}' needs the Python package '{package}': "
            f"pip install 'flowc[library]' (or pip install {package})"
        )
