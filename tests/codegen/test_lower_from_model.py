"""Lowering reads what the checker recorded (the flow graph, the types) and the step table,
and works nothing out again: change the model and the generated steps follow it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flowc import ast
from flowc import types as ty
from flowc.checker import analyze
from flowc.checker.model import ByNode, Model
from flowc.codegen.ir import BodyIR, MoveIR, StepIR
from flowc.codegen.lower import lower_program, secret_env_names
from flowc.graph import EdgeKind
from flowc.loader import Program, load_program
from flowc.steps import STEP_KINDS, Waits

PROGRAM = """\
action Ask {
  input key: secret = env("ASK_KEY")
  output Yes
  output No(why: secret)
  on no_answer -> No(why = "silence {{env("WHY_KEY")}}")

  collect ok: bool
    prompt "Is that right?"
  if ok -> Yes
  exit No(why = "declined")
}

flow Main {
  on no_answer -> bye
  on error -> bye

  collect day: date
    prompt "Which day?"
  run asked = Ask()
    on No -> bye
    on Yes -> confirm

  confirm:
  talk "Booked for {{day}}, {{day ?? "no day"}}."
  send sms to call.caller "Booked for {{day}}"
  transfer to "+15551230000"

  bye:
  end "Goodbye."

  after call {
    request log = POST "https://log.example.com" headers { "Key": env("LOG_KEY") }
    send email to "desk@example.com" subject "Call" body "{{env("PLAIN") as text}}"
  }
}
"""


def checked(tmp_path: Path) -> tuple[Program, Model, ast.Flow]:
    path = tmp_path / "main.flow"
    path.write_text(PROGRAM, encoding="utf-8")
    program = load_program([str(path)])
    analysis = analyze(program)
    assert analysis.diagnostics == ()
    [flow] = [key for key in analysis.model.bodies if isinstance(key, ast.Flow)]
    return program, analysis.model, flow


def lowered_flow(program: Program, model: Model) -> BodyIR:
    [module] = lower_program(program, model, "0")
    [body] = [b for b in module.bodies if not b.is_action]
    return body


def step_of(body: BodyIR, kind: str) -> StepIR:
    return next(step for step in body.steps if step.kind == kind)


def with_body(model: Model, node: ast.Flow, **changes: object) -> Model:
    bodies = ByNode(model.bodies.items())
    bodies.record(node, dataclasses.replace(model.bodies[node], **changes))
    return dataclasses.replace(model, bodies=bodies)


def test_moves_are_the_edges_of_the_checkers_graph(tmp_path: Path) -> None:
    program, model, flow = checked(tmp_path)
    graph = model.bodies[flow].graph
    run = next(i for i, s in enumerate(flow.steps) if isinstance(s, ast.Run))
    # Send the run's `on Yes` edge to the last step instead of `confirm`.
    moved = tuple(
        dataclasses.replace(e, destination=len(flow.steps) - 1)
        if e.kind is EdgeKind.OUTPUT and e.output is not None and e.output.name.name == "Yes"
        else e
        for e in graph.successors[run]
    )
    successors = (*graph.successors[:run], moved, *graph.successors[run + 1 :])
    changed = with_body(model, flow, graph=dataclasses.replace(graph, successors=successors))
    before = step_of(lowered_flow(program, model), "run").moves
    after = step_of(lowered_flow(program, changed), "run").moves
    assert before["'Yes'"].code == str(graph.labels["confirm"])
    assert after["'Yes'"].code == str(len(flow.steps) - 1)
    # The returns keep the order of the run's `on` clauses, not of the action's outputs.
    assert list(after) == ["'No'", "'Yes'"]


def test_events_no_handler_catches_go_where_the_step_table_says(tmp_path: Path) -> None:
    program, model, _ = checked(tmp_path)
    body = lowered_flow(program, model)
    sms = step_of(body, "sms")
    # A send without `on error` goes on to the next step either way (its macro says so).
    assert sms.moves["error"] == MoveIR(sms.moves["next"].code, "next (logged)")
    assert step_of(body, "transfer").moves["error"].code == "ENDED"
    # `after call` has no defaults: a request without `on error` goes on, logged.
    request = next(step for step in body.after_call if step.kind == "request")
    assert (request.moves["error"].code, request.moves["error"].comment) == ("1", "next (logged)")
    # A default handler leaving an action becomes one extra exit step.
    [action] = [b for b in lower_program(program, model, "0")[0].bodies if b.is_action]
    collect = step_of(action, "collect")
    exit_step = action.steps[int(collect.moves["no_answer"].code)]
    assert (exit_step.kind, exit_step.fields["output"]) == ("exit", "'No'")


def test_dates_are_said_in_words_where_the_checker_typed_them(tmp_path: Path) -> None:
    program, model, flow = checked(tmp_path)
    talk = step_of(lowered_flow(program, model), "talk")
    # `{{day ?? "no day"}}` is said as `day` would be: its right side only stands in.
    assert talk.fields["text"].count("call.spoken(") == 2
    # Retype `day` as a text in the model: nothing is said as a date any more.
    types = model.bodies[flow].types
    retyped = ByNode((e, ty.TEXT if t == ty.DATE else t) for e, t in types.items())
    plain = step_of(lowered_flow(program, with_body(model, flow, types=retyped)), "talk")
    assert "call.spoken(" not in plain.fields["text"]


def test_each_step_is_laid_out_as_its_table_entry_says(tmp_path: Path) -> None:
    program, model, _ = checked(tmp_path)
    by_name = {kind.name: kind for kind in STEP_KINDS}
    for module in lower_program(program, model, "0"):
        for body in module.bodies:
            for step in (*body.steps, *body.after_call):
                kind = by_name[step.kind]
                assert step.template == kind.template
                assert step.awaits is (kind.waits is not Waits.NOTHING)


def test_secret_environment_variables_are_found_wherever_they_are_read(tmp_path: Path) -> None:
    program, _, _ = checked(tmp_path)
    # An input default, a default handler's target, an after-call header; not `as text`.
    assert secret_env_names(program) == ("ASK_KEY", "LOG_KEY", "WHY_KEY")
