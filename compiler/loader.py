"""Read source files and gather a whole program: the entry files and every file they import.

A program is the set of modules reachable from the entry files through
`from "path.flow" import ...` (relative to the importing file) and
`from package import ...` (the `.flow` files at the top of an installed Python
package's folder: an action library, docs/libraries.md; its `draft` actions are
refused there, E0801). Each file is read and parsed once, whatever the number of
files importing it. Files that cannot be read are diagnostics at the import
that names them; entry files that cannot be read are an `InputError` (exit 2).

An editor checks text it has not saved: `overlays` maps a path to the text to
use instead of the file's contents (an overlay needs no file on disk).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import ast, codes
from .diagnostics import Diagnostic, error
from .parser import ParseResult, parse
from .source import SourceFile, Span


class InputError(Exception):
    """A file named on the command line cannot be read: a usage or I/O error."""


@dataclass
class Program:
    """Everything the later passes need: parsed modules, their text, and what went wrong."""

    entries: list[str]
    modules: dict[str, ast.Module] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The module path each import resolved to; a package import may name several files.
    import_targets: dict[ast.Import, tuple[str, ...]] = field(default_factory=dict)
    # The .flow files of installed libraries whose wheel ships their generated module
    # (`flowc pack`): path -> that module's name (`booking_actions.appointments`). They
    # are checked like any file, but imported, not generated again.
    shipped: dict[str, str] = field(default_factory=dict)


def read_source(path: str) -> tuple[SourceFile, Diagnostic | None]:
    """The decoded text of a file, and a diagnostic when its bytes are not UTF-8.

    Undecodable bytes are replaced (U+FFFD) in the text kept for snippets, so the
    diagnostic can still show the line; such a file is not parsed. Raises OSError
    when the file cannot be read at all.
    """
    data = Path(path).read_bytes()
    try:
        return SourceFile(path, data.decode("utf-8").removeprefix("\ufeff")), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        problem = error(
            codes.NOT_UTF8,
            Span(path, line, column, line, column + 1),
            f"this file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            help="save the file as UTF-8",
        )
        return SourceFile(path, data.decode("utf-8", errors="replace")), problem


# Parses one file; the language server passes one that reuses earlier parses.
ParseFile = Callable[[SourceFile], ParseResult]


def load_program(
    entry_paths: Iterable[str],
    overlays: Mapping[str, str] | None = None,
    parse_file: ParseFile = parse,
) -> Program:
    """Read and parse the entry files and, transitively, everything they import.

    A path in `overlays` is not read: its text there is used instead.
    """
    entries = [os.path.normpath(p) for p in entry_paths]
    program = Program(entries=entries)
    texts = {os.path.normpath(path): text for path, text in (overlays or {}).items()}
    for path in entries:
        try:
            _load_module(program, path, texts, parse_file)
        except OSError as exc:
            raise InputError(f"cannot read '{path}': {exc.strerror or exc}") from exc
    # Imported here: it reads publish levels through the checker, which imports this module.
    from .library.visibility import draft_imports

    program.diagnostics.extend(draft_imports(program.modules, program.import_targets))
    return program


def _load_module(
    program: Program, path: str, overlays: Mapping[str, str], parse_file: ParseFile
) -> None:
    """Parse one file (if not yet seen) and follow its imports, depth first."""
    pending = [path]
    # The imports naming each file, to put a read failure where the file is named.
    importers: dict[str, list[ast.Import]] = {}
    unreadable: set[str] = set()
    while pending:
        current = pending.pop()
        if current in program.sources or current in unreadable:
            continue
        try:
            source, problem = _overlay_or_file(current, overlays)
        except OSError as exc:
            if current == path:
                raise
            unreadable.add(current)
            reason = exc.strerror or str(exc)
            for imp in importers.get(current, ()):
                program.diagnostics.append(
                    error(
                        codes.IMPORT_UNREADABLE,
                        imp.span,
                        f"cannot read the imported file '{current}': {reason}",
                    )
                )
            continue
        program.sources[current] = source
        if problem is not None:
            program.diagnostics.append(problem)
            continue
        result = parse_file(source)
        program.diagnostics.extend(result.diagnostics)
        if result.module is None:
            continue
        program.modules[current] = result.module
        for imp in result.module.imports:
            targets = _resolve_import(program, current, imp, overlays)
            program.import_targets[imp] = targets
            for target in targets:
                importers.setdefault(target, []).append(imp)
                pending.append(target)


def _overlay_or_file(
    path: str, overlays: Mapping[str, str]
) -> tuple[SourceFile, Diagnostic | None]:
    text = overlays.get(path)
    if text is None:
        return read_source(path)
    return SourceFile(path, text.removeprefix("\ufeff")), None


def _resolve_import(
    program: Program, importer: str, imp: ast.Import, overlays: Mapping[str, str]
) -> tuple[str, ...]:
    if isinstance(imp, ast.FileImport):
        relative = imp.path.plain_text
        target = os.path.normpath(os.path.join(os.path.dirname(importer), relative))
        if target not in overlays and not os.path.isfile(target):
            program.diagnostics.append(
                error(
                    codes.IMPORT_NOT_FOUND,
                    imp.path.span,
                    f"cannot find the imported file '{relative}' (looked for '{target}')",
                    help="import paths are relative to the importing file's folder",
                )
            )
            return ()
        return (target,)
    return _package_flow_files(program, imp)


def _package_flow_files(program: Program, imp: ast.PackageImport) -> tuple[str, ...]:
    try:
        spec = importlib.util.find_spec(imp.package)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(str(p) for folder in folders for p in Path(folder).glob("*.flow"))
    for file in files:
        stem = Path(file).stem
        if stem.isidentifier() and Path(file).with_suffix(".py").is_file():
            program.shipped[os.path.normpath(file)] = f"{imp.package}.{stem}"
    if not files:
        what = "is not installed" if spec is None else "holds no .flow files"
        program.diagnostics.append(
            error(
                codes.LIBRARY_NOT_INSTALLED,
                imp.span,
                f"the action library '{imp.package}' {what}",
                help=f"install the package that provides '{imp.package}', or import by file path",
            )
        )
    return tuple(os.path.normpath(f) for f in files)
