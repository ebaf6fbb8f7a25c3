"""The resolved semantic model: what the checker learnt, for the code generator to reuse.

Everything is keyed by AST nodes (by identity, see ByNode), so a later pass asks
"which action does this `run` use?", "where does this edge go?" (the body's flow
graph) or "what type did this expression have?" without resolving or typing
anything again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from .. import ast
from ..graph import Body, FlowGraph
from ..resolve import ActionRef
from ..source import Span
from ..steps import VariableKind
from ..types import Type

__all__ = ["BodyModel", "ByNode", "Model", "Variable", "VariableKind"]


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: Type
    kind: VariableKind
    # Where it is first declared or assigned (for "declared here" notes).
    span: Span
    # The only texts it can hold, when every step assigning it is a `collect` whose
    # options are written as texts (`in ["pizza", "pasta"]`); else None.
    choices: tuple[str, ...] | None = None
    # The same for the fields of a form's record (`order.size`), by field, when every
    # step assigning it is a form; else None.
    field_choices: tuple[tuple[str, tuple[str, ...]], ...] | None = None


K = TypeVar("K")
V = TypeVar("V")


class ByNode(Mapping[K, V]):
    """A mapping keyed by AST nodes by their identity: the model's lookups are always by
    the very nodes the checker saw.

    Hashing a frozen node hashes everything inside it (a flow: all its steps), again
    at every lookup; identity is one machine word. Each key is held, so its identity
    stays its own for as long as the map lives.
    """

    def __init__(self, items: Iterable[tuple[K, V]] = ()) -> None:
        self._by_id: dict[int, tuple[K, V]] = {id(key): (key, value) for key, value in items}

    def record(self, key: K, value: V) -> None:
        self._by_id[id(key)] = (key, value)

    def __getitem__(self, key: K) -> V:
        node, value = self._by_id[id(key)]
        if node is not key:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[K]:
        return (node for node, _ in self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


@dataclass(frozen=True)
class BodyModel:
    body: Body
    graph: FlowGraph
    # Every variable the body can name: inputs, its own, and (in `after call`) the flow's.
    variables: Mapping[str, Variable]
    # The type of every expression the body uses (its steps', its input defaults', its
    # targets' arguments) and of everything inside each; a collect's option list and a
    # request's entry keys are typed item by item, part by part. A mistake the checker
    # reported counts as json.
    types: Mapping[ast.Expr, Type]


@dataclass(frozen=True)
class Model:
    # Keyed by the Action, the Flow (its main steps) or the Flow's AfterCall.
    bodies: Mapping[ast.Action | ast.Flow | ast.AfterCall, BodyModel]
    run_actions: Mapping[ast.Run, ActionRef]
    python_calls: Mapping[ast.Code, ast.PythonDecl]
