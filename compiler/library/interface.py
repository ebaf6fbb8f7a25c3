"""An action's interface as a re-user sees it: its meta, inputs, outputs and their fields.

This is what a manifest records, what the catalog lists and what `flowc diff`
compares. It is read from the AST (never from generated code), so a library's
folder, its wheel and an index's release give the same interface for the same
source. The fingerprint hashes what a flow that runs the action depends on
(input names, types, whether they have defaults and are configurable; output
and field names and types), not wording: a new description keeps it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import ast, types
from ..checker.meta import TEXT_KEYS, meta_value, publish_level
from ..source import SourceFile, Span
from .errors import LibraryError

# The meta keys an interface keeps besides `publish` (the version is the library's).
META_KEYS = TEXT_KEYS


@dataclass(frozen=True)
class InputInterface:
    name: str
    type: str
    # The default as written (`env("CALENDAR_API_KEY")`), or None when every use passes it.
    default: str | None
    configurable: bool
    label: str | None


@dataclass(frozen=True)
class FieldInterface:
    name: str
    type: str


@dataclass(frozen=True)
class OutputInterface:
    name: str
    fields: tuple[FieldInterface, ...]


@dataclass(frozen=True)
class ActionInterface:
    name: str
    # The .flow file declaring it, relative to its package folder (`appointments.flow`).
    source: str
    publish: ast.Publish
    meta: Mapping[str, str]
    inputs: tuple[InputInterface, ...]
    outputs: tuple[OutputInterface, ...]

    @property
    def title(self) -> str:
        return self.meta.get("title", self.name)

    @property
    def integration(self) -> str | None:
        return self.meta.get("integration")

    @property
    def fingerprint(self) -> str:
        shape = {
            "inputs": [
                [i.name, i.type, i.default is not None, i.configurable] for i in self.inputs
            ],
            "outputs": [[o.name, [[f.name, f.type] for f in o.fields]] for o in self.outputs],
        }
        digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
        return f"sha256:{digest[:32]}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "publish": self.publish.value,
            **{key: self.meta.get(key) for key in META_KEYS},
            "inputs": [
                {
                    "name": i.name,
                    "type": i.type,
                    "default": i.default,
                    "configurable": i.configurable,
                    "label": i.label,
                }
                for i in self.inputs
            ],
            "outputs": [
                {"name": o.name, "fields": [{"name": f.name, "type": f.type} for f in o.fields]}
                for o in self.outputs
            ],
            "fingerprint": self.fingerprint,
        }

    @staticmethod
    def from_json(data: Any, where: str) -> ActionInterface:
        """The interface a manifest records; LibraryError naming `where` when it is not one."""
        try:
            return ActionInterface(
                name=_text(data["name"]),
                source=_text(data["source"]),
                publish=ast.Publish(data["publish"]),
                meta={k: _text(data[k]) for k in META_KEYS if data.get(k) is not None},
                inputs=tuple(
                    InputInterface(
                        _text(i["name"]),
                        _text(i["type"]),
                        None if i["default"] is None else _text(i["default"]),
                        bool(i["configurable"]),
                        None if i["label"] is None else _text(i["label"]),
                    )
                    for i in data["inputs"]
                ),
                outputs=tuple(
                    OutputInterface(
                        _text(o["name"]),
                        tuple(
                            FieldInterface(_text(f["name"]), _text(f["type"])) for f in o["fields"]
                        ),
                    )
                    for o in data["outputs"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LibraryError(f"{where}: not a flowc action manifest ({exc!r})") from exc


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {value!r}")
    return value


def interface_of(action: ast.Action, source: SourceFile, relative_path: str) -> ActionInterface:
    meta = {key: value for key in META_KEYS if (value := meta_value(action.meta, key)) is not None}
    return ActionInterface(
        name=action.name.name,
        source=relative_path,
        publish=publish_level(action.meta),
        meta=meta,
        inputs=tuple(_input(i, source) for i in action.inputs),
        outputs=tuple(
            OutputInterface(
                o.name.name, tuple(FieldInterface(f.name.name, _type(f.type)) for f in o.fields)
            )
            for o in action.outputs
        ),
    )


def _input(declared: ast.Input, source: SourceFile) -> InputInterface:
    default = None if declared.default is None else span_text(source, declared.default.span)
    label = declared.label.plain_text if declared.label is not None else None
    return InputInterface(
        declared.name.name, _type(declared.type), default, declared.configurable, label
    )


def _type(written: ast.TypeExpr) -> str:
    return types.display(types.from_syntax(written))


def span_text(source: SourceFile, span: Span) -> str:
    """The source text a span covers."""
    lines = source.text.split("\n")[span.line - 1 : span.end_line]
    if len(lines) == 1:
        return lines[0][span.column - 1 : span.end_column - 1]
    return "\n".join([lines[0][span.column - 1 :], *lines[1:-1], lines[-1][: span.end_column - 1]])
