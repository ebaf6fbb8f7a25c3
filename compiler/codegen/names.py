"""Python names for .flow things: modules, bodies, step functions, imports.

The scheme (documented in docs/codegen.md):

- a source file becomes a module named by its path relative to the common root
  of all the program's files: `lib/appointments.flow` -> `lib.appointments`,
  written to `lib/appointments.py` under the output folder, with an
  `__init__.py` in every package folder. Path parts that are not Python
  identifiers are made into ones (`my-flows` -> `my_flows`, `class` -> `class_`),
  and a top-level name that would shadow the standard library or the runtime
  gets `_flow` appended (`email.flow` -> `email_flow`);
- a flow `Name` is the module constant `FLOW_Name`, an action `ACTION_Name`;
- step `i` of body `Name` is the function `Name_i_kind` (`LegalIntake_03_run`),
  step `i` of its `after call` block `Name_i_after_call_kind`;
- an imported flow module is bound as `_flow_<dotted_name_with_underscores>` and
  a `python` module as `_py_<...>` (`_2`, `_3`, ... when two would meet), so no
  source name can shadow the runtime's `ops`, `Call` and friends.

Variables are never Python names: they live in a dict keyed by their .flow
name, so `class` or `self` are ordinary variables.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
from collections.abc import Collection, Iterable

_NOT_IDENTIFIER = re.compile(r"\W", re.ASCII)


def python_identifier(text: str) -> str:
    """`text` made into a Python identifier, as close to it as possible."""
    name = _NOT_IDENTIFIER.sub("_", text) or "_"
    if name[0].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def common_root(paths: Iterable[str]) -> str:
    """The deepest folder holding every one of the source files."""
    folders = [os.path.dirname(os.path.abspath(path)) for path in paths]
    return os.path.commonpath(folders) if folders else os.getcwd()


# Top-level names a generated module must not take: it would shadow the standard
# library (`email.flow`), the runtime or a library the runtime imports (`httpx.flow`)
# when the output folder is on sys.path.
RESERVED_TOP_LEVEL = frozenset(sys.stdlib_module_names) | {
    "flowc",
    "flowc_runtime",
    "httpx",
    "aiosmtplib",
    "dateutil",
}


def module_name(source_path: str, root: str, taken: Collection[str] = ()) -> str:
    """The dotted Python module name of a .flow file under `root`.

    Its top-level name is neither reserved nor one of `taken` (the Python modules
    the program's `code` steps import: `billing.flow` next to `billing.py`).
    """
    relative = os.path.relpath(os.path.abspath(source_path), root)
    stem, _ = os.path.splitext(relative)
    parts = [python_identifier(part) for part in stem.split(os.sep)]
    while parts[0] in RESERVED_TOP_LEVEL or parts[0] in taken:
        parts[0] += "_flow"
    return ".".join(parts)


def module_names(paths: Iterable[str], root: str, taken: Collection[str] = ()) -> dict[str, str]:
    """The module name of every source file, no two the same.

    Two paths can make the same name (`my-flows.flow`, `my_flows.flow`), or a
    module can take the name of another one's package (`lib.flow`, `lib/a.flow`);
    the later one gets `_2`, `_3`, ... Deeper files are named first, so a package
    keeps its folder's name.
    """
    wanted = {path: module_name(path, root, taken) for path in paths}
    names: dict[str, str] = {}
    claimed: set[str] = set()
    for path in sorted(wanted, key=lambda path: (-wanted[path].count("."), path)):
        name, count = wanted[path], 1
        while name in claimed:
            count += 1
            name = f"{wanted[path]}_{count}"
        names[path] = name
        parts = name.split(".")
        claimed.update(".".join(parts[: depth + 1]) for depth in range(len(parts)))
    return names


def module_file(name: str) -> str:
    """The file a dotted module name is written to, relative to the output folder."""
    return os.path.join(*name.split(".")) + ".py"


def body_constant(name: str, is_action: bool) -> str:
    return f"{'ACTION' if is_action else 'FLOW'}_{name}"


def step_function(body: str, index: int, kind: str, width: int, *, after_call: bool) -> str:
    # `after_call` goes after the index: `X_00_after_call_set` can be no step of a
    # body named `X_after_call`, as `X_after_call_00_set` could.
    where = "_after_call" if after_call else ""
    return f"{body}_{index:0{width}d}{where}_{kind}"


def module_aliases(modules: Iterable[str], prefix: str) -> dict[str, str]:
    """The name each dotted module is imported as: `prefix` and its parts joined by
    `_` (`lib.appointments` -> `_flow_lib_appointments`); when two modules would
    share one (`lib.x` and `lib_x`), the later in sorted order gets `_2`, `_3`, ..."""
    aliases: dict[str, str] = {}
    for module in sorted(set(modules)):
        wanted = prefix + module.replace(".", "_")
        alias, count = wanted, 1
        while alias in aliases.values():
            count += 1
            alias = f"{wanted}_{count}"
        aliases[module] = alias
    return aliases
