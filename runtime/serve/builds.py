"""Builds: the compiled programs a server can run calls on, by fingerprint.

A redeploy must not break the calls in progress: a call finishes on the build
it started on, and new calls take the new one. So a server keeps every build
it has served in an archive folder, one subfolder per fingerprint (a hash of
the generated files), and a stored call records the fingerprint of its build.

Two builds usually have modules of the same names (`support`, `lib.identity`),
and Python keeps one module per name. Each build is therefore imported in
isolation: its folder goes on `sys.path` for the import only, and its modules
are taken out of `sys.modules` afterwards, kept by the `Build` instead. A
build's modules import each other while it is being imported, so each holds
the modules of its own build. The user's own Python (the modules of `code`
steps) is not part of a build: it is imported from the flow's folder as usual.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..driver import StateError
from ..program import Body

FINGERPRINT_LENGTH = 16


class BuildError(Exception):
    """A build cannot be loaded (missing module or flow, an import that fails); says why."""


@dataclass(frozen=True)
class Build:
    """One compiled program, imported: its modules by name, and the flow calls start at."""

    fingerprint: str
    folder: Path
    modules: dict[str, ModuleType]

    def body(self, module_name: str, body_name: str) -> Body:
        """The flow or action of a stored frame; StateError when this build has none."""
        module = self.modules.get(module_name)
        bodies = getattr(module, "BODIES", None)
        if not isinstance(bodies, dict) or body_name not in bodies:
            raise StateError(
                f"build {self.fingerprint} has no flow or action '{body_name}' in '{module_name}'"
            )
        body = bodies[body_name]
        if not isinstance(body, Body):
            raise StateError(f"'{module_name}.{body_name}' is not a generated flow body")
        return body


def fingerprint(folder: Path) -> str:
    """A hash of every generated module in `folder`: their paths and their text."""
    digest = hashlib.sha256()
    for path in _python_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def _python_files(folder: Path) -> list[Path]:
    """The modules of the build in `folder`; not those under a hidden folder, such as
    the .flowc/builds archive that `flowc-serve DIR` keeps inside DIR by default."""
    return sorted(
        path
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


class BuildArchive:
    """The builds a server can run, kept in `folder`/<fingerprint>/ and imported whole
    (every generated module of a build) on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, Build] = {}

    def add(self, built: Path) -> Build:
        """Copies the generated modules in `built` into the archive (once) and loads them."""
        key = fingerprint(built)
        target = self.folder / key
        if not target.is_dir():
            self._copy_in(built, target)
        return self._load(key)

    def get(self, key: str) -> Build | None:
        """The build of that fingerprint, or None when the archive does not have it."""
        if key in self._loaded:
            return self._loaded[key]
        if not key.isalnum() or not (self.folder / key).is_dir():
            return None
        return self._load(key)

    def _copy_in(self, built: Path, target: Path) -> None:
        # Copied to a temporary sibling first and renamed, so that another process
        # never sees half a build.
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.folder))
        staging.chmod(0o755)  # mkdtemp's 0o700 would hide the build from other users
        for path in _python_files(built):
            copy = staging / path.relative_to(built)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        try:
            staging.rename(target)
        except OSError:
            # Another process archived the same build first: theirs is identical.
            shutil.rmtree(staging, ignore_errors=True)

    def _load(self, key: str) -> Build:
        folder = self.folder / key
        build = Build(key, folder, _import_isolated(folder))
        self._loaded[key] = build
        return build


def _import_isolated(folder: Path) -> dict[str, ModuleType]:
    """Imports every module in `folder` and takes them back out of `sys.modules`;
    returns them by name."""
    clash = _top_level_clash(folder)
    if clash is not None:
        raise BuildError(
            f"the generated module '{clash}' has the name of a module this server already "
            "imported; rename the .flow file"
        )
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    name = ""
    try:
        for name in _module_names(folder):
            importlib.import_module(name)
    except ImportError as exc:
        raise BuildError(f"cannot load the flow module '{name}': {exc}") from exc
    # Importing runs the user's Python too, which may fail in any way.
    except (Exception, SystemExit) as exc:
        raise BuildError(f"cannot load the flow module '{name}': {exc!r}") from exc
    finally:
        sys.path.remove(str(folder))
        taken = dict(_modules_from(folder))
        for name in taken:
            del sys.modules[name]
    return taken


def _module_names(folder: Path) -> list[str]:
    """`support.py` -> support, `lib/identity.py` -> lib.identity, `lib/__init__.py` -> lib."""
    names = []
    for path in _python_files(folder):
        parts = path.relative_to(folder).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _modules_from(folder: Path) -> Iterator[tuple[str, ModuleType]]:
    root = folder.resolve()
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin is not None and Path(origin).resolve().is_relative_to(root):
            yield name, module


def _top_level_clash(folder: Path) -> str | None:
    for path in folder.iterdir():
        name = path.stem if path.suffix == ".py" else path.name
        if path.name.startswith(".") or name == "__pycache__":
            continue
        if name in sys.modules:
            return name
    return None
