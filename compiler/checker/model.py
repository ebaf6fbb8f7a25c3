"""The resolved semantic model: what the checker learnt, for the code generator to reuse.

Everything is keyed by AST nodes (frozen dataclasses, hashable), so a later pass
asks "which action does this `run` use?" or "where does this target go?"
without resolving anything again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .. import ast
from ..graph import Body, FlowGraph
from ..resolve import ActionRef
from ..source import Span
from ..types import Type


class VariableKind(StrEnum):
    INPUT = "input"
    COLLECT = "collect"
    REQUEST = "request"
    RUN = "run"
    CODE = "code"
    SET = "set"


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: Type
    kind: VariableKind
    # Where it is first declared or assigned (for "declared here" notes).
    span: Span


@dataclass(frozen=True)
class BodyModel:
    body: Body
    graph: FlowGraph
    # Every variable the body can name: inputs, its own, and (in `after call`) the flow's.
    variables: Mapping[str, Variable]


@dataclass(frozen=True)
class Model:
    # Keyed by the Action, the Flow (its main steps) or the Flow's AfterCall.
    bodies: Mapping[ast.Action | ast.Flow | ast.AfterCall, BodyModel]
    run_actions: Mapping[ast.Run, ActionRef]
    python_calls: Mapping[ast.Code, ast.PythonDecl]
