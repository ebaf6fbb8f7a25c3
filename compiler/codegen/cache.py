"""The build cache: each generated module's text, keyed by everything it is made from.

A module's generated text depends on its own source text and path, on where every
module of the program goes (`ProgramLayout`) and the secret environment names of
the whole program (every flow masks them), on the interfaces of the modules it
imports (their actions' names, inputs and outputs: what a `run` refers to and
what types its outputs have), and on the compiler itself: its version, the
templates and the code generator's sources. The key hashes all of that, so a
rebuild regenerates exactly the modules whose key changed and reads the others
back; a stale entry can never be used, only left behind.

Entries are files named by their key in a folder (`.flowc-cache/` in the working
directory by default, as mypy, ruff and pytest keep theirs), written atomically.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

from .. import ast
from ..loader import Program
from ..source import Span
from .lower import ProgramLayout

DEFAULT_FOLDER = ".flowc-cache"
_CODEGEN = Path(__file__).resolve().parent
_TEMPLATES = _CODEGEN.parent / "templates"


@cache
def compiler_fingerprint(version: str) -> str:
    """The compiler version and the text of the templates and code generator."""
    digest = hashlib.sha256(version.encode())
    for path in sorted([*_CODEGEN.glob("*.py"), *_TEMPLATES.glob("*.jinja")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def program_fingerprint(layout: ProgramLayout, secret_env: tuple[str, ...]) -> str:
    """What every module of the program depends on: where modules go, what flows mask."""
    parts = [layout.root, *sorted(layout.modules.items()), *sorted(layout.aliases.items())]
    return _hash(repr((parts, secret_env)))


def module_key(program: Program, path: str, shared: str) -> str:
    """The cache key of one module's generated text (`shared`: the compiler's and the
    program's fingerprints)."""
    imported = sorted(
        {target for item in program.modules[path].imports for target in _targets(program, item)}
    )
    interfaces = [(target, interface(program, target)) for target in imported]
    return _hash(repr((shared, path, program.sources[path].text, interfaces)))


def interface(program: Program, path: str) -> str:
    """What importers see of a module: its actions' names and the text declaring their
    inputs and outputs (without line numbers, so edits elsewhere do not count)."""
    source = program.sources[path]
    parts = []
    for action in program.modules[path].actions:
        parts.append(action.name.name)
        parts += [_text(source.text, item.span) for item in action.inputs]
        parts += [_text(source.text, item.span) for item in action.outputs]
    return "\n".join(parts)


def _targets(program: Program, item: ast.Import) -> tuple[str, ...]:
    return program.import_targets.get(item, ())


def _text(text: str, span: Span) -> str:
    lines = text.split("\n")[span.line - 1 : span.end_line]
    return "\n".join(lines)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class BuildCache:
    """Generated module texts on disk, one file per key."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def get(self, key: str) -> str | None:
        try:
            with open(self.folder / key, encoding="utf-8", newline="") as stream:
                return stream.read()
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, text: str) -> None:
        """Stores an entry; a cache that cannot be written only makes the next build slower."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.replace(temporary, self.folder / key)
        except OSError:
            return
