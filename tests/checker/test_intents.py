"""Global intents in the checker's flow graph: where their edges are, and what the
analyses over the graph (definite assignment, paths) and lowering make of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flowc import ast
from flowc.checker import Model, analyze
from flowc.codegen.lower import lower_program
from flowc.graph import EdgeKind, FlowGraph, Leave
from flowc.loader import Program, load_program

ORDERS = """\
action Pick {
  output Picked(size: text)
  output Gone
  on no_answer -> Gone
  on intent cancel ["never mind"] -> Gone
  collect size: text in ["small", "large"]
    prompt "Small or large?"
  exit Picked(size = size)
}

action Quiet {
  output Done
  set x = 1
  exit Done
}

action Shadowing {
  output Done
  on no_answer -> Done
  on intent human ["a person"] -> Done
  collect note: text
    prompt "A note?"
  exit Done
}

flow Orders {
  on no_answer -> bye
  on intent human ["talk to a person"] -> handoff
  on intent cancel ["cancel"] -> bye
  collect name: text
    prompt "Your name?"
  run pick = Pick()
    on Picked -> picked
    on Gone -> bye
  picked: run quiet = Quiet()
    on Done -> shadow
  shadow: run s = Shadowing()
    on Done -> done
  done: end "Done, {{name}}."
  handoff: transfer to "+15550001234"
    on error -> bye
  bye: end "Goodbye."
}
"""


def analysed(tmp_path: Path, source: str) -> tuple[Program, Model, list[str]]:
    path = tmp_path / "orders.flow"
    path.write_text(source, encoding="utf-8")
    program = load_program([str(path)])
    analysis = analyze(program)
    return program, analysis.model, [d.code for d in analysis.diagnostics]


def graph_of(model: Model, name: str) -> FlowGraph:
    (body,) = [
        m for m in model.bodies.values() if m.body.name == name and m.body.node is m.body.owner
    ]
    return body.graph


def intent_edges(graph: FlowGraph) -> list[tuple[int, str, object]]:
    return [
        (edge.source, edge.clause.name.name, edge.destination)
        for edges in graph.successors
        for edge in edges
        if edge.kind is EdgeKind.INTENT and isinstance(edge.clause, ast.Intent)
    ]


def test_intent_edges_leave_collects_and_the_runs_whose_actions_hear_them(
    tmp_path: Path,
) -> None:
    _, model, codes = analysed(tmp_path, ORDERS)
    assert codes == []
    flow = graph_of(model, "Orders")
    handoff, bye = flow.labels["handoff"], flow.labels["bye"]
    assert intent_edges(flow) == [
        (0, "human", handoff), (0, "cancel", bye),  # collect name
        (1, "human", handoff),  # run Pick: its own `cancel` is heard there instead
        # run Quiet asks nothing; run Shadowing has its own `human`, and hears no `cancel`
        (3, "cancel", bye),
    ]  # fmt: skip


def test_an_actions_intent_stays_inside_it(tmp_path: Path) -> None:
    _, model, _ = analysed(tmp_path, ORDERS)
    pick = graph_of(model, "Pick")
    [(source, name, destination)] = intent_edges(pick)
    assert (source, name) == (0, "cancel")
    assert isinstance(destination, Leave) and destination.output.name.name == "Gone"


def test_a_variable_set_after_the_collect_has_no_value_at_the_intent_target(
    tmp_path: Path,
) -> None:
    source = ORDERS.replace('handoff: transfer to "+15550001234"',
                            'handoff: transfer to "+15550001234" say "One moment, {{name}}."')
    _, _, codes = analysed(tmp_path, source)
    assert codes == ["E0401"]


def test_a_label_only_an_intent_reaches_is_reachable_and_used(tmp_path: Path) -> None:
    _, _, codes = analysed(tmp_path, ORDERS)
    assert "W0101" not in codes and "W0103" not in codes


def test_an_intent_target_that_is_no_label_is_reported_once(tmp_path: Path) -> None:
    source = ORDERS.replace('["talk to a person"] -> handoff', '["talk to a person"] -> handof')
    _, _, codes = analysed(tmp_path, source)
    assert codes.count("E0102") == 1


def test_lowering_gives_each_body_its_intents_where_the_graph_sends_them(
    tmp_path: Path,
) -> None:
    program, model, _ = analysed(tmp_path, ORDERS)
    [module] = lower_program(program, model, "0")
    bodies = {body.name: body for body in module.bodies}
    flow = graph_of(model, "Orders")
    assert [(i.name, i.phrases, i.step.code) for i in bodies["Orders"].intents] == [
        ("'human'", "('talk to a person',)", str(flow.labels["handoff"])),
        ("'cancel'", "('cancel',)", str(flow.labels["bye"])),
    ]
    # Pick's `-> Gone` is an exit step appended to its body, shared with `on no_answer`.
    [cancel] = bodies["Pick"].intents
    exit_step = bodies["Pick"].steps[int(cancel.step.code)]
    assert exit_step.kind == "exit" and exit_step.fields["output"] == "'Gone'"
    assert bodies["Quiet"].intents == ()


ASKED = """\
flow Asked {{
  on no_answer -> bye
  on intent leave [{phrase}] -> bye
  collect answer: {question}
    prompt "Well?"{clauses}
  end "Thanks."
  bye: end "Goodbye."
}}
"""
FORM = '{size: text in ["small", "large"], count: number}'
ASKS = """
    ask size "Which size?"
    ask count "How many?\""""
READ_BACK = """
    confirm "So that's {{answer.count}} {{answer.size}}, right?\""""


@pytest.mark.parametrize(
    ("question", "phrase", "reported"),
    [
        ("bool", '"no"', False),  # at a yes/no question the phrase wins (runtime)
        ("bool", '"no thanks"', False),
        ("bool", '"wrong number"', False),
        ("number", '"zero"', True),
        ("date", '"tomorrow"', True),
        ("time", '"noon"', True),
        ("text", '"no"', False),  # any words are a text: an intent is heard over them
        ("number", '"never mind"', False),
        ("date", '"the operator"', False),
        (FORM + ASKS + READ_BACK, '"yes"', False),  # the read-back is a yes/no question
        (FORM + ASKS, '"yes"', False),  # no read-back
        (FORM + ASKS, '"two"', True),  # a field's
        (FORM + ASKS + READ_BACK, '"the operator"', False),
    ],
)
def test_a_phrase_the_questions_type_reads_as_a_value_is_reported(
    tmp_path: Path, question: str, phrase: str, reported: bool
) -> None:
    question, _, clauses = question.partition("\n")
    clauses = "\n" + clauses if clauses else ""
    source = ASKED.format(question=question, phrase=phrase, clauses=clauses)
    program, _, codes = analysed(tmp_path, source)
    assert not program.diagnostics
    assert codes == (["E0310"] if reported else [])


def test_two_intents_sharing_a_phrases_words_are_reported_as_the_runtime_matches(
    tmp_path: Path,
) -> None:
    source = ASKED.format(question="text", phrase='"no idea"', clauses="").replace(
        '  on intent leave ["no idea"] -> bye\n',
        '  on intent unsure ["Don\'t know!"] -> bye\n  on intent leave ["dont know"] -> bye\n',
    )
    program, _, codes = analysed(tmp_path, source)
    assert not program.diagnostics
    assert codes == ["E0132"]


def test_a_variable_of_the_collect_itself_at_its_intent_target_names_the_intent(
    tmp_path: Path,
) -> None:
    source = """\
action Ask {
  output Out(x: text)
  on no_answer -> Out(x = "none")
  on intent stop ["stop"] -> Out(x = y)
  collect y: text
    prompt "Y?"
  exit Out(x = y)
}
"""
    path = tmp_path / "ask.flow"
    path.write_text(source, encoding="utf-8")
    (diagnostic,) = analyze(load_program([str(path)])).diagnostics
    assert diagnostic.code == "E0401"
    assert diagnostic.message == (
        "'y' has no value in 'on intent stop -> Out' (line 4), taken when the caller says "
        "the intent 'stop' at the 'collect' at line 5, before 'y' is assigned"
    )
