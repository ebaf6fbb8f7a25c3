"""Emitting: the lowered IR laid out as Python with the Jinja2 templates, then Black
(formatting.py).

The templates (compiler/templates/*.jinja, shipped as package data) only place
what lowering produced; the filters they use make source text safe where it
lands: `pystr` quotes a string as a Python literal, `docstring` places that
literal inside the module's docstring, `comment` keeps a comment on one
printable line.
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from .formatting import format_sources
from .ir import ModuleIR
from .names import module_file


def _comment(text: object) -> str:
    return "".join(char if char.isprintable() else " " for char in str(text))


def _in_docstring(text: object) -> str:
    """`text` as a Python literal, escaped once more to sit inside the module's
    triple-quoted docstring and read back as that literal: a source path holding
    three double quotes cannot end the docstring early."""
    return repr(str(text)).replace("\\", "\\\\").replace('"', '\\"')


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("flowc", "templates"),
        autoescape=False,  # the output is Python, not HTML; quoting is done by `pystr`
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["pystr"] = repr
    environment.filters["comment"] = _comment
    environment.filters["docstring"] = _in_docstring
    return environment


_ENVIRONMENT = _environment()


@dataclass(frozen=True, slots=True)
class EmittedFile:
    """A generated file: its path relative to the output folder, and its text."""

    path: str
    text: str


# What generated bodies may use from outside, in import order; a module imports
# only the names its bodies use.
RUNTIME_NAMES = (
    ("typing", ("Any",)),
    ("flowc_runtime", ("ops",)),
    ("flowc_runtime.call", ("Call", "Question")),
    (
        "flowc_runtime.program",
        ("ENDED", "TRANSFERRED", "Body", "Enter", "Leave", "Move", "Step", "Vars"),
    ),
    ("flowc_runtime.services", ("JSON", "HttpRequest")),
)


def render_module(module: ModuleIR) -> str:
    """The source of one generated module as the templates lay it out."""
    steps = _ENVIRONMENT.get_template("steps.jinja").module
    bodies = _ENVIRONMENT.get_template("bodies.py.jinja").render(module=module, steps=steps)
    used = _names_used(bodies)
    imports = [
        (module_name, [name for name in names if name in used])
        for module_name, names in RUNTIME_NAMES
        if any(name in used for name in names)
    ]
    head = _ENVIRONMENT.get_template("module.py.jinja")
    return head.render(module=module, imports=imports, bodies=bodies)


def _names_used(source: str) -> set[str]:
    """The Python names in `source` (names in strings and comments do not count)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}


def emit_program(modules: Sequence[ModuleIR]) -> list[EmittedFile]:
    """Every module's file, Black-formatted, plus an empty `__init__.py` in each package folder."""
    texts = format_sources([render_module(module) for module in modules])
    files = [
        EmittedFile(module_file(module.module), text)
        for module, text in zip(modules, texts, strict=True)
    ]
    packages = {
        os.path.join(folder, "__init__.py")
        for file in files
        for folder in _parent_folders(file.path)
    }
    files += [EmittedFile(path, "") for path in sorted(packages)]
    return files


def _parent_folders(path: str) -> list[str]:
    folders = []
    folder = os.path.dirname(path)
    while folder:
        folders.append(folder)
        folder = os.path.dirname(folder)
    return folders
