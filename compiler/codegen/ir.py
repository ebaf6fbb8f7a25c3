"""The lowered form of a module: what the templates lay out as Python.

Lowering (lower.py) has made every decision: each jump target is a step index,
each expression is Python source text that calls `ops`, each name is a Python
name. Emitting (emit.py) only arranges these pieces with the templates, so a
change to how the code looks never touches what it means.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MoveIR:
    """Where a step goes: a Python expression (`5`, `ENDED`) and what it means in .flow terms."""

    code: str
    comment: str


@dataclass(frozen=True, slots=True)
class StepIR:
    """One step function.

    `kind` is the step's name in generated code (talk, collect, sms, ...) and
    `template` the macro of steps.jinja that writes its body, both from the step
    table (flowc.steps). `fields` are Python expressions the macro places; `moves`
    are its ways out by name (next, no_answer, error, target, or an output's name
    for a run). `awaits`: it waits on the caller or a service, so it is `async def`.
    """

    function: str
    kind: str
    template: str
    awaits: bool
    line: int
    source_text: str
    fields: Mapping[str, str]
    moves: Mapping[str, MoveIR]


@dataclass(frozen=True, slots=True)
class InputIR:
    """An action input: its name as a Python string literal, its default, whether secret."""

    name: str
    default: str | None
    secret: bool
    line: int
    source_text: str


@dataclass(frozen=True, slots=True)
class IntentIR:
    """A global intent of a body: its name and phrases as Python literals, and where it
    goes (the move of its edges in the flow graph)."""

    name: str
    phrases: str
    step: MoveIR


@dataclass(frozen=True, slots=True)
class BodyIR:
    name: str
    constant: str
    is_action: bool
    line: int
    steps: tuple[StepIR, ...]
    after_call: tuple[StepIR, ...]
    inputs: tuple[InputIR, ...]
    # Flows: the environment variables the whole program reads as secrets.
    secret_env: tuple[str, ...] = ()
    intents: tuple[IntentIR, ...] = ()

    @property
    def inputs_function(self) -> str:
        return f"{self.constant}_inputs"


@dataclass(frozen=True, slots=True)
class ImportIR:
    module: str
    alias: str

    @property
    def by_statement(self) -> bool:
        """`import a.b as alias` works, unless a part is a keyword (`python class.f`);
        such a module is imported by name with importlib."""
        return not any(keyword.iskeyword(part) for part in self.module.split("."))


@dataclass(frozen=True, slots=True)
class ModuleIR:
    """One generated module: the source it comes from, its imports and its bodies."""

    source: str
    module: str
    compiler_version: str
    flow_imports: tuple[ImportIR, ...]
    python_imports: tuple[ImportIR, ...]
    bodies: tuple[BodyIR, ...]
