"""Publish levels at imports: a `draft` action is its library's own business.

`from package import A` reaches into an installed library from outside it, so a
draft there is refused (E0801); the library's own files use it freely, by path
or by package import.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import ast, codes
from ..checker.meta import publish_level
from ..diagnostics import Diagnostic, Note, error


def draft_imports(
    modules: dict[str, ast.Module], import_targets: dict[ast.Import, tuple[str, ...]]
) -> list[Diagnostic]:
    """An error at each name a package import takes from a draft action of that package,
    unless the importing file is itself inside the package."""
    found: list[Diagnostic] = []
    for path, module in modules.items():
        for imp in module.imports:
            targets = import_targets.get(imp, ())
            if not isinstance(imp, ast.PackageImport) or not targets:
                continue
            package = Path(os.path.dirname(targets[0])).resolve()
            if Path(path).resolve().is_relative_to(package):
                continue
            drafts = {
                action.name.name: action
                for target in targets
                if target in modules
                for action in modules[target].actions
                if publish_level(action.meta) is ast.Publish.DRAFT
            }
            found += [
                _draft(imp, name, drafts[name.name]) for name in imp.names if name.name in drafts
            ]
    return found


def _draft(imp: ast.PackageImport, name: ast.Ident, action: ast.Action) -> Diagnostic:
    return error(
        codes.DRAFT_IMPORTED,
        name.span,
        f"'{name.name}' is a draft of the library '{imp.package}': only the library's own "
        "files may use it",
        notes=[
            Note(
                f"'{name.name}' is declared here, without `publish: organization`", action.name.span
            )
        ],
        help=f"its author publishes it with `publish: organization` (or `marketplace`) in its "
        f"meta and releases a new version of '{imp.package}'",
    )
