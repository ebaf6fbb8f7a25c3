"""`flowc graph`: a picture of one flow or action, drawn from the checker's flow graph.

Nothing here works out where control goes: every arrow is an edge of the
body's flow graph (graph.py) as the checker recorded it in its model, so the
picture shows exactly what `flowc check` analysed and `flowc build` generates.
Steps are nodes (labels above the step); each `run` is a box holding the step
and one node per output of its action, from which that output's path leaves;
the paths of a step are labelled arrows (`yes`/`no` of an `if`, `no_answer`,
`error`), the failure paths dashed and coloured apart; an action's outputs
are the exits of its picture; a flow's `after call` block is a dashed box of
its own, entered when the call is over.

The picture is written as Mermaid (text GitHub and many editors render), as
Graphviz dot, or as SVG through Graphviz's `dot` command.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from . import ast
from .checker.model import BodyModel, Model
from .diagnostics import render_human
from .graph import Edge, EdgeKind, Leave, Stop
from .pipeline import check_files
from .source import SourceFile, Span

__all__ = ["Picture", "PictureError", "add_arguments", "draw", "run", "to_dot", "to_mermaid"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
LABEL_WIDTH = 40  # characters of source shown in a node's label before an ellipsis


class PictureError(Exception):
    """What was asked cannot be drawn (no such flow, no Graphviz); the message says why."""


class Shape(StrEnum):
    START = "start"
    STEP = "step"
    FINAL = "final"  # a step after which the body is over: end, transfer, exit
    PORT = "port"  # an output of the action a `run` uses
    EXIT = "exit"  # an output the action being drawn leaves through
    OVER = "over"  # the call is over (or the `after call` block is done)


class ArrowStyle(StrEnum):
    """How an arrow is drawn: the failure paths and the global intents apart from the others."""

    NORMAL = "normal"
    NO_ANSWER = "no_answer"
    ERROR = "error"
    INTENT = "intent"  # the caller said a global intent instead of answering
    PORT = "port"  # from a `run` to one of its outputs, inside its box


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    shape: Shape


@dataclass(frozen=True, slots=True)
class Arrow:
    source: str
    target: str
    label: str | None
    style: ArrowStyle


@dataclass(slots=True)
class Box:
    """A cluster of nodes: a `run` and its outputs, or an `after call` block."""

    id: str
    label: str
    dashed: bool
    nodes: list[Node] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)


@dataclass(slots=True)
class Picture:
    title: str
    nodes: list[Node] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)


# --------------------------------------------------------------------------
# From the model to a picture


def draw(model: Model, declaration: ast.Flow | ast.Action, source: SourceFile) -> Picture:
    """The picture of a flow (its steps, then its `after call` block) or of an action."""
    kind = "flow" if isinstance(declaration, ast.Flow) else "action"
    picture = Picture(f"{kind} {declaration.name.name}")
    main = _BodyDrawing(model.bodies[declaration], "s", source, picture.nodes, picture.boxes)
    picture.arrows += main.draw("start", "call over")
    if isinstance(declaration, ast.Flow) and declaration.after_call is not None:
        box = Box("after_call", "after call", dashed=True)
        picture.boxes.append(box)
        after = _BodyDrawing(
            model.bodies[declaration.after_call], "a", source, box.nodes, box.boxes
        )
        picture.arrows += after.draw("call over", "done")
    return picture


class _BodyDrawing:
    """The nodes and arrows of one body; node ids start with `prefix`."""

    def __init__(
        self,
        body: BodyModel,
        prefix: str,
        source: SourceFile,
        nodes: list[Node],
        boxes: list[Box],
    ) -> None:
        self.graph = body.graph
        self.prefix = prefix
        self.source = source
        self.nodes = nodes
        self.boxes = boxes
        self.extra: dict[str, Node] = {}  # exits and the end, drawn once each, last
        self.over = ""

    def draw(self, start_label: str, over_label: str) -> list[Arrow]:
        """The body's nodes and boxes (into the lists given) and its arrows; the body
        begins at a node `start_label` and is over at a node `over_label`."""
        self.over = over_label
        steps = self.graph.body.steps
        start = Node(f"{self.prefix}_start", start_label, Shape.START)
        self.nodes.append(start)
        arrows = [Arrow(start.id, self.step_id(0), None, ArrowStyle.NORMAL)] if steps else []
        for index, step in enumerate(steps):
            arrows += self.step(index, step)
        self.nodes.extend(self.extra.values())
        return arrows

    def step_id(self, index: int) -> str:
        return f"{self.prefix}{index}"

    def step(self, index: int, step: ast.Step) -> list[Arrow]:
        edges = self.graph.successors[index]
        node = Node(self.step_id(index), _step_label(step, self.source), _shape_of(step))
        if not isinstance(step, ast.Run):
            self.nodes.append(node)
            return [self.arrow(node.id, edge, _edge_label(step, edge)) for edge in edges]
        box = Box(f"{node.id}_run", f"{step.action.name} ({step.var.name})", dashed=False)
        box.nodes.append(node)
        self.boxes.append(box)
        arrows: list[Arrow] = []
        for edge in edges:
            if edge.kind is EdgeKind.INTENT:
                # Heard inside the action: it leaves the run, through no output.
                arrows.append(self.arrow(node.id, edge, _edge_label(step, edge)))
                continue
            name = edge.output.name.name if edge.output is not None else _event_of(edge)
            port = Node(f"{node.id}_{name}", name, Shape.PORT)
            box.nodes.append(port)
            arrows.append(Arrow(node.id, port.id, None, ArrowStyle.PORT))
            arrows.append(self.arrow(port.id, edge, None))
        return arrows

    def arrow(self, source: str, edge: Edge, label: str | None) -> Arrow:
        style = _FAILURE_STYLES.get(edge.kind, ArrowStyle.NORMAL)
        return Arrow(source, self.destination(edge), label, style)

    def destination(self, edge: Edge) -> str:
        match edge.destination:
            case int() as index if index < self.graph.end:
                return self.step_id(index)
            case Leave(output=output):
                return self.exit(f"{self.prefix}_exit_{output.name.name}", output.name.name)
            case int() | Stop():
                # Past the last step only `after call` can go: that block is then done.
                return self.exit(f"{self.prefix}_over", self.over, Shape.OVER)

    def exit(self, node_id: str, label: str, shape: Shape = Shape.EXIT) -> str:
        self.extra.setdefault(node_id, Node(node_id, label, shape))
        return node_id


_FAILURE_STYLES = {
    EdgeKind.NO_ANSWER: ArrowStyle.NO_ANSWER,
    EdgeKind.ERROR: ArrowStyle.ERROR,
    EdgeKind.INTENT: ArrowStyle.INTENT,
}


def _event_of(edge: Edge) -> str:
    """The handler's event of an edge whose output is not known (an unknown action)."""
    clause = edge.clause
    return clause.event.name if isinstance(clause, ast.Handler) else edge.kind.value


def _edge_label(step: ast.Step, edge: Edge) -> str | None:
    if isinstance(step, ast.If):
        return "yes" if edge.kind is EdgeKind.BRANCH else "no"
    if edge.kind in (EdgeKind.NO_ANSWER, EdgeKind.ERROR):
        return edge.kind.value
    if isinstance(edge.clause, ast.Intent):
        return f"intent {edge.clause.name.name}"
    return None


def _shape_of(step: ast.Step) -> Shape:
    return Shape.FINAL if isinstance(step, ast.End | ast.Transfer | ast.Exit) else Shape.STEP


def _step_label(step: ast.Step, source: SourceFile) -> str:
    labels = "".join(f"{label.name}:\n" for label in step.labels)
    return labels + _summary(step, lambda span: _excerpt(source, span))


def _summary(step: ast.Step, text: Callable[[Span], str]) -> str:
    """What a step does, in a few words of its own source."""
    match step:
        case ast.Talk():
            flag = "" if step.interruptible else " uninterruptible"
            return f"talk {text(step.text.span)}{flag}"
        case ast.Collect():
            return f"collect {step.var.name}: {text(step.type.span)}"
        case ast.Request():
            return f"request {step.var.name} = {step.method.value} {text(step.url.span)}"
        case ast.Run():
            return f"run {step.var.name} = {step.action.name}"
        case ast.Code():
            return f"code {step.var.name} = {step.module}.{step.function.name}"
        case ast.Set():
            return f"set {step.var.name} = {text(step.value.span)}"
        case ast.If():
            return f"if {text(step.condition.span)}"
        case ast.Jump():
            return f"-> {step.target.name.name}"
        case ast.SendSms():
            return f"send sms to {text(step.to.span)}"
        case ast.SendEmail():
            return f"send email to {text(step.to.span)}"
        case ast.Transfer():
            return f"transfer to {text(step.to.span)}"
        case ast.End():
            return "end" if step.text is None else f"end {text(step.text.span)}"
        case ast.Exit():
            return f"exit {step.output.name}"


def _excerpt(source: SourceFile, span: Span) -> str:
    """The source of a span on one line, shortened to LABEL_WIDTH characters."""
    lines = source.text.split("\n")
    if span.line == span.end_line:
        text = lines[span.line - 1][span.column - 1 : span.end_column - 1]
    else:
        inner = lines[span.line : span.end_line - 1]
        text = " ".join(
            [
                lines[span.line - 1][span.column - 1 :],
                *inner,
                lines[span.end_line - 1][: span.end_column - 1],
            ]
        )
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


# --------------------------------------------------------------------------
# Mermaid

_MERMAID_SHAPES = {
    Shape.START: ('(["', '"])'),
    Shape.STEP: ('["', '"]'),
    Shape.FINAL: ('(["', '"])'),
    Shape.PORT: ('[/"', '"/]'),
    Shape.EXIT: ('[["', '"]]'),
    Shape.OVER: ('((("', '")))'),
}
_MERMAID_LINKS = {
    ArrowStyle.NORMAL: "-->",
    ArrowStyle.NO_ANSWER: "-.->",
    ArrowStyle.ERROR: "-.->",
    ArrowStyle.INTENT: "-.->",
    ArrowStyle.PORT: "---",
}
_COLOURS = {
    ArrowStyle.NO_ANSWER: "#b9770e",
    ArrowStyle.ERROR: "#c0392b",
    ArrowStyle.INTENT: "#2e86c1",
}


def to_mermaid(picture: Picture) -> str:
    lines = [f"%% {picture.title} (flowc graph)", "flowchart TD"]
    lines += _mermaid_nodes(picture.nodes, picture.boxes, "  ")
    styled: list[str] = []
    for index, arrow in enumerate(picture.arrows):
        link = _MERMAID_LINKS[arrow.style]
        label = f'|"{_mermaid_text(arrow.label)}"|' if arrow.label else ""
        lines.append(f"  {arrow.source} {link}{label} {arrow.target}")
        if arrow.style in _COLOURS:
            colour = _COLOURS[arrow.style]
            styled.append(f"  linkStyle {index} stroke:{colour},color:{colour}")
    return "\n".join(lines + styled) + "\n"


def _mermaid_nodes(nodes: list[Node], boxes: list[Box], indent: str) -> Iterator[str]:
    for node in nodes:
        opening, closing = _MERMAID_SHAPES[node.shape]
        yield f"{indent}{node.id}{opening}{_mermaid_text(node.label)}{closing}"
    for box in boxes:
        yield f'{indent}subgraph {box.id} ["{_mermaid_text(box.label)}"]'
        yield from _mermaid_nodes(box.nodes, box.boxes, indent + "  ")
        yield f"{indent}end"
        if box.dashed:
            yield f"{indent}style {box.id} stroke-dasharray: 5 5"


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes as entities, line breaks as <br>."""
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
    return escaped.replace(">", "#gt;").replace("\n", "<br>")


# --------------------------------------------------------------------------
# Graphviz dot


def _dashed(colour: str) -> str:
    return f'style=dashed, color="{colour}", fontcolor="{colour}"'


_DOT_SHAPES = {
    Shape.START: 'shape=circle, style=filled, fillcolor="#eeeeee", fontsize=10',
    Shape.STEP: "shape=box, style=rounded",
    Shape.FINAL: 'shape=box, style="rounded,bold"',
    Shape.PORT: "shape=cds, fontsize=10",
    Shape.EXIT: "shape=house, style=bold",
    Shape.OVER: "shape=doublecircle, fontsize=10",
}
_DOT_PATHS = {
    ArrowStyle.NORMAL: "",
    ArrowStyle.NO_ANSWER: _dashed(_COLOURS[ArrowStyle.NO_ANSWER]),
    ArrowStyle.ERROR: _dashed(_COLOURS[ArrowStyle.ERROR]),
    ArrowStyle.INTENT: _dashed(_COLOURS[ArrowStyle.INTENT]),
    ArrowStyle.PORT: "arrowhead=none",
}


def to_dot(picture: Picture) -> str:
    lines = [
        f"digraph {_dot_string(picture.title)} {{",
        f"  label={_dot_string(picture.title)}; labelloc=t; fontname=Helvetica;",
        "  node [fontname=Helvetica, fontsize=11];",
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    lines += _dot_nodes(picture.nodes, picture.boxes, "  ")
    for arrow in picture.arrows:
        attributes = [_DOT_PATHS[arrow.style]] if _DOT_PATHS[arrow.style] else []
        if arrow.label:
            attributes.append(f"label={_dot_string(arrow.label)}")
        listed = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {arrow.source} -> {arrow.target}{listed};")
    return "\n".join([*lines, "}"]) + "\n"


def _dot_nodes(nodes: list[Node], boxes: list[Box], indent: str) -> Iterator[str]:
    for node in nodes:
        yield f"{indent}{node.id} [label={_dot_string(node.label)}, {_DOT_SHAPES[node.shape]}];"
    for box in boxes:
        yield f"{indent}subgraph cluster_{box.id} {{"
        style = "dashed" if box.dashed else "rounded"
        yield f"{indent}  label={_dot_string(box.label)}; style={style}; color=gray40;"
        yield from _dot_nodes(box.nodes, box.boxes, indent + "  ")
        yield f"{indent}}}"


def _dot_string(text: str) -> str:
    """A quoted dot string (a line break as dot's `\\n`)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def to_svg(dot: str) -> str:
    """The picture laid out by Graphviz's `dot` command, as SVG."""
    command = shutil.which("dot")
    if command is None:
        raise PictureError(
            "SVG needs Graphviz's `dot` command, which is not on PATH; install Graphviz "
            "(Debian and Ubuntu: apt-get install graphviz), or write --format dot or mermaid"
        )
    done = subprocess.run(
        [command, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise PictureError(f"Graphviz's dot failed: {done.stderr.strip()}")
    return done.stdout


# --------------------------------------------------------------------------
# The command: `flowc graph FILE [--flow NAME] [--format mermaid|dot|svg] [-o FILE]`

FORMATS = ("mermaid", "dot", "svg")
_BY_SUFFIX = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument(
        "--flow",
        metavar="NAME",
        help="the flow or action to draw (default: the file's only flow, or its only action)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="mermaid, dot or svg (default: from the -o file's suffix, else mermaid)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    result = check_files([args.file])
    if result.error_count:
        sys.stderr.write(render_human(result.diagnostics, result.sources))
        print(f"flowc: error: {args.file} has errors; `flowc check` lists them", file=sys.stderr)
        return EXIT_ERRORS
    (path,) = result.program.entries
    chosen = _output_format(args.format, args.output)
    try:
        declaration = _chosen(result.program.modules[path], args.flow, path)
        picture = draw(result.model, declaration, result.sources[path])
        text = to_mermaid(picture) if chosen == "mermaid" else to_dot(picture)
        if chosen == "svg":
            text = to_svg(text)
    except PictureError as exc:
        print(f"flowc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"flowc: error: cannot write '{args.output}': {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _output_format(asked: str | None, output: str | None) -> str:
    if asked is not None:
        return asked
    return _BY_SUFFIX.get(Path(output).suffix.lower(), "mermaid") if output else "mermaid"


def _chosen(module: ast.Module, name: str | None, path: str) -> ast.Flow | ast.Action:
    drawable: list[ast.Flow | ast.Action] = [*module.flows, *module.actions]
    if name is not None:
        for declaration in drawable:
            if declaration.name.name == name:
                return declaration
        raise PictureError(f"{path} declares no flow or action named '{name}'{_listing(drawable)}")
    only: tuple[ast.Flow | ast.Action, ...] = module.flows or module.actions
    if len(only) == 1:
        return only[0]
    if not only:
        raise PictureError(f"{path} declares no flow or action to draw")
    raise PictureError(f"{path} declares several; choose one with --flow NAME{_listing(drawable)}")


def _listing(declarations: list[ast.Flow | ast.Action]) -> str:
    names = ", ".join(d.name.name for d in declarations)
    return f" (it declares: {names})" if names else ""
