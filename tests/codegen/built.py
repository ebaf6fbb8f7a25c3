"""A .flow file built into a folder, and its generated module imported from there."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from flowc.build import build_files, write_files


def build_into(source: Path, folder: Path) -> Path:
    """Check and build `source` into `folder` (which it returns); it must have no error."""
    result = build_files([str(source)])
    assert result.ok, [d.message for d in result.check.diagnostics]
    write_files(result.files, str(folder))
    return folder


@contextmanager
def imported(folder: Path, name: str) -> Iterator[ModuleType]:
    """The generated module `name` of `folder`, forgotten again afterwards."""
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)
