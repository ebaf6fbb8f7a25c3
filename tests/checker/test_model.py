"""The semantic model the checker hands to later passes, on the LANGUAGE.md example."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc import ast
from flowc import types as ty
from flowc.checker import Analysis, VariableKind, analyze
from flowc.graph import STOP, EdgeKind, Leave
from flowc.loader import load_program

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyze(load_program([str(EXAMPLES / "legal_intake.flow")]))


def flow_and_action(analysis: Analysis) -> tuple[ast.Flow, ast.Action]:
    bodies = analysis.model.bodies
    [flow] = [key for key in bodies if isinstance(key, ast.Flow)]
    [action] = [key for key in bodies if isinstance(key, ast.Action)]
    return flow, action


def test_the_example_has_no_diagnostics(analysis: Analysis) -> None:
    assert analysis.diagnostics == ()


def test_run_refers_to_the_imported_action_and_its_module(analysis: Analysis) -> None:
    flow, action = flow_and_action(analysis)
    [run] = [step for step in flow.steps if isinstance(step, ast.Run)]
    ref = analysis.model.run_actions[run]
    assert ref.action == action
    assert Path(ref.module) == EXAMPLES / "lib" / "appointments.flow"


def test_each_output_edge_goes_to_its_label(analysis: Analysis) -> None:
    flow, _ = flow_and_action(analysis)
    graph = analysis.model.bodies[flow].graph
    run_index = next(i for i, step in enumerate(flow.steps) if isinstance(step, ast.Run))
    edges = {e.output.name.name: e.destination for e in graph.successors[run_index] if e.output}
    assert edges == {
        "Success": graph.labels["confirmed"],
        "Fail": graph.labels["handoff"],
        "NotInterested": graph.labels["goodbye"],
    }


def test_action_targets_resolve_to_outputs_and_labels(analysis: Analysis) -> None:
    _, action = flow_and_action(analysis)
    graph = analysis.model.bodies[action].graph
    [default] = action.handlers
    assert graph.targets[default.target] == Leave(action.outputs[1])  # Fail(reason = ...)
    if_step = next(step for step in action.steps if isinstance(step, ast.If))
    assert graph.targets[if_step.target] == graph.labels["ask_time"] == 0
    exit_index = len(action.steps) - 1
    assert graph.successors[exit_index][0].destination == Leave(action.outputs[0])
    collect_index = next(i for i, s in enumerate(action.steps) if isinstance(s, ast.Collect))
    kinds = {e.kind for e in graph.successors[collect_index]}
    assert kinds == {EdgeKind.NEXT, EdgeKind.NO_ANSWER}


def test_variables_have_their_inferred_types(analysis: Analysis) -> None:
    flow, action = flow_and_action(analysis)
    inside = analysis.model.bodies[action].variables
    assert inside["client_name"].kind is VariableKind.INPUT
    assert inside["api_key"].type == ty.SECRET
    assert inside["preferred_time"].type == ty.DATETIME
    assert inside["slots"].type == ty.Record((("first", ty.TEXT), ("second", ty.TEXT)))
    assert inside["choice"].type == ty.TEXT
    outside = analysis.model.bodies[flow].variables
    assert set(outside) == {"name", "book"}
    book = outside["book"].type
    assert isinstance(book, ty.RunResult)
    assert book.field("meeting_link") == ty.TEXT
    assert book.outputs_with("reason") == ("Fail",)


def test_after_call_sees_the_flows_variables(analysis: Analysis) -> None:
    flow, _ = flow_and_action(analysis)
    assert flow.after_call is not None
    after = analysis.model.bodies[flow.after_call]
    assert set(after.variables) == {"name", "book"}
    [send] = after.graph.successors[0]
    assert send.destination == len(flow.after_call.steps)  # the block simply finishes
    end_index = len(flow.steps) - 1
    assert analysis.model.bodies[flow].graph.successors[end_index][0].destination == STOP


EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.flow"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_every_example_checks_clean_and_is_fully_modelled(path: Path) -> None:
    program = load_program([str(path)])
    result = analyze(program)
    assert (program.diagnostics, result.diagnostics) == ([], ())
    for module in program.modules.values():
        for decl in (*module.actions, *module.flows):
            assert decl in result.model.bodies
            steps = decl.steps
            if isinstance(decl, ast.Flow) and decl.after_call is not None:
                assert decl.after_call in result.model.bodies
                steps += decl.after_call.steps
            for step in steps:
                if isinstance(step, ast.Run):
                    assert step in result.model.run_actions
                if isinstance(step, ast.Code):
                    assert step in result.model.python_calls
