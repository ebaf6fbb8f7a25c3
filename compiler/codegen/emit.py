"""Emitting: the lowered IR laid out as Python with the Jinja2 templates, in Black's
style (formatting.py).

The templates (compiler/templates/*.jinja, shipped as package data) only place
what lowering produced; the filters they use make source text safe where it
lands: `pystr` quotes a string as a Python literal (as Black quotes it),
`docstring` places that literal inside the module's docstring, `comment` keeps
a comment on one printable line, `bare` drops the parentheses Black drops
around a whole condition. Lowering's expressions are restyled to Black's quotes
before the templates place them (`restyled`).
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, replace

import jinja2

from .formatting import LINE_LENGTH, bare, format_sources, literal, restyle
from .ir import BodyIR, InputIR, ModuleIR, MoveIR, StepIR
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
    environment.filters["pystr"] = literal
    environment.filters["bare"] = bare
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
    ("flowc_runtime.call", ("Call", "FormField", "FormQuestion", "Question")),
    (
        "flowc_runtime.program",
        ("ENDED", "TRANSFERRED", "Body", "Enter", "Intent", "Leave", "Move", "Step", "Vars"),
    ),
    ("flowc_runtime.services", ("JSON", "HttpRequest")),
)


def render_module(module: ModuleIR) -> str:
    """The source of one generated module as the templates lay it out, in Black's style
    except for lines longer than Black's limit (formatting.py wraps those)."""
    module = restyled(module)
    steps = _ENVIRONMENT.get_template("steps.jinja").module
    bodies = _ENVIRONMENT.get_template("bodies.py.jinja").render(module=module, steps=steps)
    used = _names_used(bodies)
    imports = [
        _import_from(module_name, [name for name in names if name in used])
        for module_name, names in RUNTIME_NAMES
        if any(name in used for name in names)
    ]
    head = _ENVIRONMENT.get_template("module.py.jinja")
    return head.render(module=module, imports=imports, bodies=bodies)


def _import_from(module_name: str, names: list[str]) -> str:
    """`from m import a, b`; one name a line in parentheses when too long, as Black has it."""
    line = f"from {module_name} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return f"from {module_name} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def restyled(module: ModuleIR) -> ModuleIR:
    """The module with lowering's expressions (repr()'d literals) in Black's quotes."""
    return replace(module, bodies=tuple(_restyled_body(body) for body in module.bodies))


def _restyled_body(body: BodyIR) -> BodyIR:
    return replace(
        body,
        steps=tuple(_restyled_step(step) for step in body.steps),
        after_call=tuple(_restyled_step(step) for step in body.after_call),
        inputs=tuple(_restyled_input(item) for item in body.inputs),
        intents=tuple(
            replace(intent, name=restyle(intent.name), phrases=restyle(intent.phrases))
            for intent in body.intents
        ),
    )


def _restyled_step(step: StepIR) -> StepIR:
    return replace(
        step,
        fields={name: restyle(code) for name, code in step.fields.items()},
        moves={restyle(name): MoveIR(restyle(m.code), m.comment) for name, m in step.moves.items()},
    )


def _restyled_input(item: InputIR) -> InputIR:
    default = restyle(item.default) if item.default is not None else None
    return replace(item, name=restyle(item.name), default=default)


def _names_used(source: str) -> set[str]:
    """The Python names in `source` (names in strings and comments do not count)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}


def emit_module(module: ModuleIR) -> str:
    """The generated text of one module, in Black's style."""
    return format_sources([render_module(module)])[0]


def emit_program(modules: Sequence[ModuleIR]) -> list[EmittedFile]:
    """Every module's file, in Black's style, plus an empty `__init__.py` in each package folder."""
    return with_packages([EmittedFile(module_file(m.module), emit_module(m)) for m in modules])


def with_packages(files: list[EmittedFile]) -> list[EmittedFile]:
    """The files, plus an empty `__init__.py` in each folder they are in."""
    packages = {
        os.path.join(folder, "__init__.py")
        for file in files
        for folder in _parent_folders(file.path)
    }
    return files + [EmittedFile(path, "") for path in sorted(packages)]


def _parent_folders(path: str) -> list[str]:
    folders = []
    folder = os.path.dirname(path)
    while folder:
        folders.append(folder)
        folder = os.path.dirname(folder)
    return folders
