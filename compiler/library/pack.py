"""`flowc pack`: a library's wheel and sdist, built by its own build backend.

The project is copied to a staging folder, where flowc adds what the archives
must hold besides the author's files: the generated module of every shipped
.flow file (next to it, as `booking_actions/appointments.py`, so a served flow
imports it with the runtime alone), the manifest, and MANIFEST.in lines that
make setuptools ship the .flow files and the manifest. Files declaring only
drafts that no published action imports are left out. `build`'s API then runs
the project's build backend (no isolation: its requirements must be installed,
as with `pip wheel --no-build-isolation`), and the wheel is read back to make
sure it holds all of it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from ..build import build_files, write_files
from .errors import LibraryError, ToolMissing
from .manifest import MANIFEST_NAME, CheckedLibrary

# Never copied to the staging folder: version control, environments, caches, old output.
_JUNK = (".git", ".venv", "venv", "build", "dist", "__pycache__", "*.egg-info", ".flowc-cache")
# The entry that gives the program the project folder as its root, so that the modules
# are named as they are installed (`booking_actions.appointments`, not `appointments`).
_ENTRY = "__flowc_pack__.flow"


def pack(library: CheckedLibrary, out: Path) -> list[Path]:
    """Build the sdist and the wheel into `out`; returns their paths."""
    if importlib.util.find_spec("build") is None:
        raise ToolMissing("build", "pack")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flowc-pack-") as temporary:
        staging = Path(temporary) / library.project.root.resolve().name
        generated = _stage(library, staging)
        built = _run_backend(staging, out.resolve())
    wheel = next(path for path in built if path.suffix == ".whl")
    _verify(wheel, library, generated)
    return built


def _stage(library: CheckedLibrary, staging: Path) -> list[str]:
    """Fill the staging folder; returns the generated modules' paths inside the package."""
    project = library.project
    shutil.copytree(project.root, staging, ignore=shutil.ignore_patterns(*_JUNK))
    package = staging / project.package
    shipped = {os.path.relpath(path, project.package_folder) for path in library.shipped}
    for top_level in package.glob("*.flow"):
        if top_level.name not in shipped:
            top_level.unlink()  # only drafts, imported by nothing published
    generated = _generate(library, staging)
    (package / MANIFEST_NAME).write_text(library.interface.to_manifest(), encoding="utf-8")
    with (staging / "MANIFEST.in").open("a", encoding="utf-8") as manifest_in:
        manifest_in.write(f"\nrecursive-include {project.package} *.flow {MANIFEST_NAME}\n")
    return generated


def _generate(library: CheckedLibrary, staging: Path) -> list[str]:
    project = library.project
    lines = [
        f'from "{project.package}/{action.source}" import {action.name}'
        for action in library.interface.actions.values()
    ]
    (staging / _ENTRY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Paths relative to the staging folder: they are what generated modules name as their
    # source (`booking_actions/appointments.flow`), not a temporary folder.
    with contextlib.chdir(staging):
        result = build_files([_ENTRY], cache_dir=None)
        if not result.ok:
            raise LibraryError(
                f"{project.describe()} does not build",
                result.check.diagnostics,
                result.check.program.sources,
            )
        prefix = project.package + os.sep
        kept = [
            file
            for file in result.files
            if file.path.startswith(prefix) and not (staging / file.path).exists()
        ]
        write_files(kept, ".")
    (staging / _ENTRY).unlink()
    return [file.path for file in kept]


def _run_backend(staging: Path, out: Path) -> list[Path]:
    # Imported here: `build` is an optional dependency (the `library` extra), found above.
    import pyproject_hooks

    import build

    builder = build.ProjectBuilder(staging, runner=pyproject_hooks.quiet_subprocess_runner)
    try:
        missing = builder.check_dependencies("wheel")
        if missing:
            needed = ", ".join(sorted(chain[0] for chain in missing))
            raise LibraryError(
                f"the build backend of {staging.name} needs {needed}, which is not installed "
                f"here: pip install {' '.join(sorted(chain[0] for chain in missing))}"
            )
        return [Path(builder.build(kind, out)) for kind in ("sdist", "wheel")]
    except build.BuildBackendException as exc:
        detail = getattr(exc.exception, "output", b"") or b""
        tail = detail.decode(errors="replace").strip().splitlines()[-5:]
        raise LibraryError(f"the build backend failed: {exc}\n" + "\n".join(tail)) from exc


def _verify(wheel: Path, library: CheckedLibrary, generated: list[str]) -> None:
    project = library.project
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    wanted = [
        *(
            Path(project.package, os.path.relpath(p, project.package_folder))
            for p in library.shipped
        ),
        *(Path(path) for path in generated),
        Path(project.package, MANIFEST_NAME),
    ]
    lacking = [path.as_posix() for path in wanted if path.as_posix() not in names]
    if lacking:
        raise LibraryError(
            f"the wheel {wheel.name} lacks {', '.join(lacking)}: the build backend did not ship "
            f"them (flowc packs with setuptools, which ships what MANIFEST.in names)"
        )
