"""`flowc catalog`: the Add Action menu of a project, as text, JSON or a static HTML page.

It lists the actions a project's flows can run: those declared in its own .flow
files (drafts too: the project's own) and those of every installed action library
(from their manifests: published actions only), grouped by integration, each with
its icon, title, description, version, the fields a re-user sets (configurable
inputs), the inputs a use passes, and its outputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2

from ..loader import load_program
from .interface import ActionInterface, InputInterface, OutputInterface, interface_of
from .upgrade import installed_manifests, project_flow_files

# How each icon of the menu's set (flowc.checker.meta.ICONS) is drawn in text and HTML.
GLYPHS = {
    "alert": "⚠️", "bell": "🔔", "calendar": "📅", "card": "💳", "cart": "🛒", "chat": "💬",
    "check": "✅", "clock": "🕒", "document": "📄", "globe": "🌐", "headset": "🎧",
    "home": "🏠", "key": "🔑", "lock": "🔒", "mail": "✉️", "map-pin": "📍", "message": "📨",
    "phone": "📞", "search": "🔍", "shield": "🛡️", "star": "⭐", "truck": "🚚", "user": "👤",
    "wallet": "👛",
}  # fmt: skip
UNKNOWN_GLYPH = "🧩"
NO_INTEGRATION = "Other actions"


@dataclass(frozen=True)
class Entry:
    action: ActionInterface
    # The library it comes from and its version; None for the project's own actions.
    library: str | None
    library_version: str | None

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.icon_name, UNKNOWN_GLYPH)

    @property
    def icon_name(self) -> str:
        return self.action.meta.get("icon", "action")

    @property
    def version(self) -> str | None:
        return self.library_version or self.action.meta.get("version")

    @property
    def origin(self) -> str:
        return f"{self.library} {self.library_version}" if self.library else "this project"

    @property
    def fields(self) -> list[InputInterface]:
        return [i for i in self.action.inputs if i.configurable]

    @property
    def passed_inputs(self) -> list[InputInterface]:
        """The inputs a `run` passes: neither fields nor fixed by the author."""
        return [i for i in self.action.inputs if not i.configurable and i.default is None]


@dataclass(frozen=True)
class Group:
    integration: str
    entries: list[Entry]


def project_catalog(project: Path) -> list[Group]:
    own_files = project_flow_files(project)
    program = load_program(own_files)
    entries = [
        Entry(interface_of(action, program.sources[path], path), None, None)
        for path in own_files
        if path in program.modules
        for action in program.modules[path].actions
    ]
    for manifest, _ in installed_manifests():
        entries += [Entry(a, manifest.name, manifest.version) for a in manifest.actions.values()]
    return _grouped(entries)


def _grouped(entries: Sequence[Entry]) -> list[Group]:
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.action.integration or NO_INTEGRATION, []).append(entry)
    return [
        Group(name, sorted(found, key=lambda e: (e.action.title.lower(), e.origin)))
        for name, found in sorted(groups.items(), key=lambda g: (g[0] == NO_INTEGRATION, g[0]))
    ]


def render_text(groups: Sequence[Group]) -> str:
    if not groups:
        return "no actions: the project declares none and no action library is installed\n"
    lines: list[str] = []
    for group in groups:
        lines.append(group.integration)
        for entry in group.entries:
            action = entry.action
            version = f" {entry.version}" if entry.version else ""
            lines.append(f"  {entry.glyph} {action.title} ({action.name}{version}, {entry.origin})")
            if description := action.meta.get("description"):
                lines.append(f"      {description}")
            lines += [f"      field  {_input_text(i)}" for i in entry.fields]
            lines += [f"      input  {_input_text(i)}" for i in entry.passed_inputs]
            lines += [f"      output {_output_text(o)}" for o in action.outputs]
        lines.append("")
    return "\n".join(lines)


def _input_text(declared: InputInterface, with_label: bool = True) -> str:
    label = f' "{declared.label}"' if declared.label and with_label else ""
    default = f" = {declared.default}" if declared.default is not None else ""
    return f"{declared.name}: {declared.type}{default}{label}"


def _output_text(output: OutputInterface) -> str:
    if not output.fields:
        return output.name
    return f"{output.name}({', '.join(f'{f.name}: {f.type}' for f in output.fields)})"


def render_json(groups: Sequence[Group]) -> str:
    data: dict[str, Any] = {
        "integrations": [
            {
                "name": group.integration,
                "actions": [
                    {
                        **entry.action.to_json(),
                        "library": entry.library,
                        "library_version": entry.library_version,
                    }
                    for entry in group.entries
                ],
            }
            for group in groups
        ]
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_html(groups: Sequence[Group], title: str) -> str:
    template_text = files(__package__).joinpath("catalog.html.jinja").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(template_text)
    return template.render(
        groups=groups, title=title, input_text=_input_text, output_text=_output_text
    )
