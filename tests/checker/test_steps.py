"""The step table (flowc.steps): one entry per kind of step, and what every pass reads from it.

The sets below restate LANGUAGE.md and docs/diagnostics.md (which steps assign a
variable, which need the caller, which handlers default handlers cover); the
graph tests show the flow graph makes its edges from the table's ways out.
"""

from __future__ import annotations

import typing
from pathlib import Path

import jinja2
from flowc import ast
from flowc.checker import analyze
from flowc.graph import STOP, EdgeKind, Leave
from flowc.loader import load_program
from flowc.steps import (
    STEP_KINDS,
    Asks,
    Event,
    Unhandled,
    VariableKind,
    Waits,
    assigned_variable,
    kind_of,
    targets_of,
)

BY_NAME = {kind.name: kind for kind in STEP_KINDS}


def names_where(predicate: typing.Callable[[typing.Any], bool]) -> set[str]:
    return {kind.name for kind in STEP_KINDS if predicate(kind)}


def test_every_step_class_has_exactly_one_entry() -> None:
    assert sorted(k.node.__name__ for k in STEP_KINDS) == sorted(
        node.__name__ for node in typing.get_args(ast.Step)
    )
    for field in ("keyword", "name", "template"):
        values = [getattr(kind, field) for kind in STEP_KINDS]
        assert len(set(values)) == len(values), field


def test_every_template_is_a_macro_of_steps_jinja() -> None:
    loader = jinja2.PackageLoader("flowc", "templates")
    environment = jinja2.Environment(loader=loader)
    source, _, _ = loader.get_source(environment, "steps.jinja")
    macros = {macro.name for macro in environment.parse(source).find_all(jinja2.nodes.Macro)}
    # Every macro but the three the kinds' macros share writes one kind of step.
    assert macros - {kind.template for kind in STEP_KINDS} == {"step", "move", "either"}


def test_keywords_are_the_ones_messages_use() -> None:
    assert {k.name: k.keyword for k in STEP_KINDS if k.name != k.keyword} == {
        "jump": "->",
        "sms": "send sms",
        "email": "send email",
    }


def test_the_steps_that_assign_a_variable_and_how() -> None:
    assigning = {k.name: k.assigns for k in STEP_KINDS if k.assigns is not None}
    assert set(assigning) == {"collect", "request", "run", "code", "set"}
    for name, assigns in assigning.items():
        assert assigns.kind is VariableKind(name)
    assert names_where(lambda k: k.assigns is not None and k.assigns.per_output) == {"run"}
    # `set` has no rule of its own: it is typed from its value, in source order.
    assert names_where(lambda k: k.assigns is not None and k.assigns.type_rule is None) == {
        "set"
    }


def test_steps_that_need_the_caller_cannot_run_after_the_call() -> None:
    assert names_where(lambda k: k.needs_caller) == {"talk", "collect", "transfer", "end", "run"}


def test_steps_that_wait_are_async_and_the_others_only_compute() -> None:
    assert names_where(lambda k: k.waits is Waits.NOTHING) == {"set", "if", "jump", "run", "exit"}
    assert names_where(lambda k: k.waits is Waits.SERVICE) == {"request", "code", "sms", "email"}


def test_only_a_collect_gives_the_caller_a_turn_or_a_run_through_its_action() -> None:
    assert names_where(lambda k: k.asks is Asks.ALWAYS) == {"collect"}
    assert names_where(lambda k: k.asks is Asks.IF_ITS_ACTION_ASKS) == {"run"}


def test_handler_slots_and_what_happens_without_a_handler() -> None:
    slots = {
        k.name: (k.handler.event, k.handler.unhandled)
        for k in STEP_KINDS
        if k.handler is not None
    }
    assert slots == {
        "collect": (Event.NO_ANSWER, Unhandled.DEFAULT),
        "request": (Event.ERROR, Unhandled.DEFAULT),
        "code": (Event.ERROR, Unhandled.DEFAULT),
        "sms": (Event.ERROR, Unhandled.CONTINUES),
        "email": (Event.ERROR, Unhandled.CONTINUES),
        "transfer": (Event.ERROR, Unhandled.ENDS_CALL),
    }


EVERY_KIND = """\
action Ask {
  input question: text
  output Yes(note: text)
  output No
  on no_answer -> No

  collect answer: bool
    prompt "{{question}}"
  if answer -> Yes(note = "agreed")
  exit No
}

flow Every {
  on error -> failed

  talk "Hello."
  collect name: text
    prompt "Your name?"
    on no_answer -> failed
  request r = GET "https://example.com/{{name}}"
    headers { "Key": env("KEY") }
  run asked = Ask(question = "Is that right?")
    on Yes -> sent
    on No -> failed
  sent:
  send sms to call.caller "Thanks {{name}}" on error -> failed
  send email to "desk@example.com" subject "Call" body "{{name}}"
  set again = true
  if again -> handoff
  -> failed

  handoff:
  transfer to "+15551230000" say "Connecting you." on error -> failed

  failed:
  end "Goodbye."
}
"""


def every_kind(tmp_path: Path) -> tuple[ast.Flow, ast.Action, typing.Any]:
    path = tmp_path / "every.flow"
    path.write_text(EVERY_KIND, encoding="utf-8")
    analysis = analyze(load_program([str(path)]))
    assert analysis.diagnostics == ()
    bodies = analysis.model.bodies
    [flow] = [key for key in bodies if isinstance(key, ast.Flow)]
    [action] = [key for key in bodies if isinstance(key, ast.Action)]
    return flow, action, analysis.model


def test_the_graph_makes_each_steps_edges_in_the_order_of_its_ways(tmp_path: Path) -> None:
    flow, action, model = every_kind(tmp_path)
    graph = model.bodies[flow].graph
    kinds = {
        kind_of(step).name: tuple(edge.kind for edge in graph.successors[index])
        for index, step in enumerate(flow.steps)
    }
    assert kinds == {
        "talk": (EdgeKind.NEXT,),
        "collect": (EdgeKind.NEXT, EdgeKind.NO_ANSWER),
        "request": (EdgeKind.NEXT, EdgeKind.ERROR),  # the body's default handler
        "run": (EdgeKind.OUTPUT, EdgeKind.OUTPUT),
        "sms": (EdgeKind.NEXT, EdgeKind.ERROR),
        "email": (EdgeKind.NEXT,),  # no handler of its own, and no default for a send
        "set": (EdgeKind.NEXT,),
        "if": (EdgeKind.BRANCH, EdgeKind.NEXT),
        "jump": (EdgeKind.JUMP,),
        "transfer": (EdgeKind.NEXT, EdgeKind.ERROR),
        "end": (EdgeKind.NEXT,),
    }
    transfer = next(i for i, s in enumerate(flow.steps) if isinstance(s, ast.Transfer))
    assert graph.successors[transfer][0].destination == STOP
    exit_edge = model.bodies[action].graph.successors[len(action.steps) - 1][0]
    assert exit_edge.destination == Leave(action.outputs[1])


def test_targets_and_variables_of_steps(tmp_path: Path) -> None:
    flow, _, _ = every_kind(tmp_path)
    targets = {
        kind_of(step).name: [(t.name.name, h is not None) for t, h in targets_of(step)]
        for step in flow.steps
    }
    assert targets["run"] == [("sent", True), ("failed", True)]
    assert targets["if"] == [("handoff", False)]
    assert targets["jump"] == [("failed", False)]
    assert targets["request"] == []  # its error path is the body's default
    assert targets["email"] == []
    assert targets["transfer"] == [("failed", True)]
    assigned = [v.name for s in flow.steps if (v := assigned_variable(s)) is not None]
    assert assigned == ["name", "r", "asked", "again"]
