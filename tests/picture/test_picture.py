"""`flowc graph`: what the picture holds (the checker's own graph), its Mermaid text, dot
read back by Graphviz itself, SVG from Graphviz, and the command's errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flowc.graph import EdgeKind
from flowc.picture import ArrowStyle, Picture, draw, to_dot, to_mermaid
from flowc.pipeline import check_files

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).parent / "golden"
FLOWC = Path(sys.executable).parent / "flowc"
UPDATE = os.environ.get("FLOWC_UPDATE_GOLDEN") == "1"
# CI has Graphviz (.ci/run installs it); elsewhere the tests that need it say why they skip.
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz's dot is missing"
)


def picture_of(path: Path, name: str) -> Picture:
    result = check_files([str(path)])
    assert result.error_count == 0
    (module,) = (result.program.modules[p] for p in result.program.entries)
    (declaration,) = (d for d in (*module.flows, *module.actions) if d.name.name == name)
    return draw(result.model, declaration, result.sources[str(path)])


def flowc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLOWC), *args], cwd=EXAMPLES, capture_output=True, text=True, timeout=60,
        check=False, env=env,
    )  # fmt: skip


def test_every_arrow_is_an_edge_of_the_checker_s_graph() -> None:
    path = EXAMPLES / "lib" / "appointments.flow"
    result = check_files([str(path)])
    (action,) = result.program.modules[str(path)].actions
    graph = result.model.bodies[action].graph
    picture = picture_of(path, "MakeAppointment")
    # One arrow per edge of the graph, plus the one from the start into the first step.
    assert len(picture.arrows) == 1 + sum(len(edges) for edges in graph.successors)
    styles = {arrow.style for arrow in picture.arrows}
    assert {ArrowStyle.ERROR, ArrowStyle.NO_ANSWER} <= styles
    failures = [e for edges in graph.successors for e in edges if e.kind is EdgeKind.ERROR]
    assert len([a for a in picture.arrows if a.style is ArrowStyle.ERROR]) == len(failures)


def test_intents_are_dashed_arrows_apart_from_the_run_and_collect_they_leave() -> None:
    path = EXAMPLES / "pharmacy_line.flow"
    result = check_files([str(path)])
    (flow,) = result.program.modules[str(path)].flows
    graph = result.model.bodies[flow].graph
    intents = [e for edges in graph.successors for e in edges if e.kind is EdgeKind.INTENT]
    picture = picture_of(path, "PharmacyLine")
    drawn = [a for a in picture.arrows if a.style is ArrowStyle.INTENT]
    assert [a.label for a in drawn] == ["intent human"] * len(intents) == ["intent human"] * 2
    # From the collect itself, and from the run (not from a port: no output is taken).
    assert {a.source for a in drawn} == {"s2", "s4"}
    assert "-.->|\"intent human\"|" in to_mermaid(picture)


def test_a_run_is_a_box_holding_the_outputs_of_its_action() -> None:
    picture = picture_of(EXAMPLES / "legal_intake.flow", "LegalIntake")
    run_box = next(box for box in picture.boxes if box.id.endswith("_run"))
    assert [node.label for node in run_box.nodes] == [
        "run book = MakeAppointment", "Success", "Fail", "NotInterested",
    ]  # fmt: skip
    after = next(box for box in picture.boxes if box.id == "after_call")
    assert after.dashed
    assert any(node.label.startswith("send email to") for node in after.nodes)


@pytest.mark.parametrize(
    ("file", "name"),
    [("legal_intake.flow", "LegalIntake"), ("lib/appointments.flow", "MakeAppointment")],
)
def test_mermaid_is_as_recorded(file: str, name: str) -> None:
    text = to_mermaid(picture_of(EXAMPLES / file, name))
    golden = GOLDEN / f"{name}.mmd"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


@needs_dot
def test_graphviz_reads_the_dot_as_it_was_meant() -> None:
    picture = picture_of(EXAMPLES / "legal_intake.flow", "LegalIntake")
    done = subprocess.run(
        ["dot", "-Tjson0"], input=to_dot(picture), capture_output=True, text=True, timeout=60,
        check=True,
    )  # fmt: skip
    assert done.stderr == ""
    laid_out = json.loads(done.stdout)
    nodes = [obj for obj in laid_out["objects"] if "nodes" not in obj]
    labels = {node["name"]: node["label"].replace("\\n", "\n") for node in nodes}
    drawn = [*picture.nodes, *(n for box in picture.boxes for n in box.nodes)]
    assert labels == {node.id: node.label for node in drawn}
    by_id = {node["_gvid"]: node["name"] for node in nodes}
    edges = {(by_id[e["tail"]], by_id[e["head"]]) for e in laid_out["edges"]}
    assert edges == {(arrow.source, arrow.target) for arrow in picture.arrows}
    clusters = {obj["name"] for obj in laid_out["objects"] if "nodes" in obj}
    assert clusters == {f"cluster_{box.id}" for box in picture.boxes}


@needs_dot
def test_svg_comes_from_graphviz_with_the_step_labels() -> None:
    done = flowc("graph", "legal_intake.flow", "--format", "svg")
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("<?xml")
    for label in ["collect name: text", "run book = MakeAppointment", "after call", "no_answer"]:
        assert label in done.stdout


def test_svg_without_graphviz_says_what_to_install() -> None:
    done = flowc("graph", "legal_intake.flow", "--format", "svg", env={"PATH": ""})
    assert done.returncode == 2
    assert "Graphviz's `dot` command, which is not on PATH" in done.stderr
    assert "apt-get install graphviz" in done.stderr


def test_the_format_follows_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "intake.dot"
    done = flowc("graph", "legal_intake.flow", "-o", str(out))
    assert (done.returncode, done.stdout) == (0, "")
    assert out.read_text().startswith('digraph "flow LegalIntake" {')


def test_a_name_that_is_not_declared_lists_those_that_are() -> None:
    done = flowc("graph", "lib/appointments.flow", "--flow", "Nope")
    assert done.returncode == 2
    assert "declares no flow or action named 'Nope' (it declares: MakeAppointment)" in done.stderr


def test_a_file_with_errors_is_not_drawn(tmp_path: Path) -> None:
    (tmp_path / "bad.flow").write_text('flow F {\n  collect x: text\n    prompt "q"\n  end\n}\n')
    done = flowc("graph", str(tmp_path / "bad.flow"))
    assert done.returncode == 1
    assert "E0302" in done.stderr
    assert done.stdout == ""


def test_a_flow_of_one_step_goes_from_its_start_to_the_end_of_the_call(tmp_path: Path) -> None:
    (tmp_path / "short.flow").write_text('flow Short {\n  end "Bye."\n}\n')
    picture = picture_of(tmp_path / "short.flow", "Short")
    assert [node.label for node in picture.nodes] == ["start", 'end "Bye."', "call over"]
    assert [(a.source, a.target) for a in picture.arrows] == [("s_start", "s0"), ("s0", "s_over")]
