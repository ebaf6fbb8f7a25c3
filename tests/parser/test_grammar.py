"""What each construct of LANGUAGE.md sections 3-6 parses to; the decisions of docs/grammar.md."""

from __future__ import annotations

import importlib.resources
import logging

import pytest
from flowc import ast
from flowc.parser import parse
from flowc.source import SourceFile, Span
from lark import Lark

from .support import parse_text, without_spans


def only_flow(body: str) -> ast.Flow:
    (flow,) = parse_text(f"flow F {{\n{body}\n}}\n").flows
    return flow


def first_step(body: str) -> ast.Step:
    return only_flow(body).steps[0]


def expression(text: str) -> ast.Expr:
    step = first_step(f"set x = {text}")
    assert isinstance(step, ast.Set)
    return step.value


def error_codes(text: str) -> list[str]:
    result = parse(SourceFile("t.flow", text))
    assert result.module is None
    return [d.code for d in result.diagnostics]


def test_an_empty_file_is_a_valid_empty_module() -> None:
    module = parse_text("")
    assert module.declarations == ()
    assert module.span == Span("test.flow", 1, 1, 1, 1)


def test_comments_and_blank_lines_carry_no_meaning() -> None:
    module = parse_text("# only a comment\n\n   # another\nflow F { # here too\n end }  # done")
    assert [f.name.name for f in module.flows] == ["F"]


def test_top_level_declarations_keep_their_order() -> None:
    module = parse_text(
        'from "a.flow" import A, B,\n'
        "from acme.actions import C\n"
        "python scoring.rules.score(name: text, tags: list[text]) -> number\n"
        "flow F { end }\n"
    )
    file_import, package_import, python, _ = module.declarations
    assert isinstance(file_import, ast.FileImport)
    assert [n.name for n in file_import.names] == ["A", "B"]
    assert (
        isinstance(package_import, ast.PackageImport) and package_import.package == "acme.actions"
    )
    assert isinstance(python, ast.PythonDecl)
    assert (python.module, python.function.name) == ("scoring.rules", "score")
    assert isinstance(python.params[1].type, ast.ListType)


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("-1", -1), ("3.5", 3.5), ("-0.25", -0.25)],
)
def test_numbers(text: str, value: float) -> None:
    number = expression(text)
    assert isinstance(number, ast.NumberLit) and number.value == value
    assert type(number.value) is type(value)


@pytest.mark.parametrize(("text", "ms"), [("500ms", 500), ("5s", 5000), ("2m", 120_000)])
def test_durations_are_kept_in_milliseconds(text: str, ms: int) -> None:
    duration = expression(text)
    assert isinstance(duration, ast.DurationLit) and duration.milliseconds == ms


def test_a_minus_before_a_number_literal_is_its_sign() -> None:
    assert expression("- 1") == ast.NumberLit(-1, expression("- 1").span)
    negative = expression("-a")
    assert isinstance(negative, ast.Negative) and isinstance(negative.operand, ast.Name)


def test_a_minus_between_operands_subtracts_without_blanks() -> None:
    e = expression("a-1")
    assert isinstance(e, ast.Arithmetic) and e.op is ast.ArithOp.SUB
    assert e.right == ast.NumberLit(1, e.right.span)


def test_arithmetic_binds_as_in_school_and_tighter_than_fallback() -> None:
    # ?? < + - < * / < unary minus < postfix; each binary level groups to the left.
    e = expression("a ?? b - c * -d.e / 2 - 1")
    assert isinstance(e, ast.Fallback)
    total = e.right
    assert isinstance(total, ast.Arithmetic) and total.op is ast.ArithOp.SUB
    assert total.right == ast.NumberLit(1, total.right.span)
    inner = total.left
    assert isinstance(inner, ast.Arithmetic) and inner.op is ast.ArithOp.SUB
    quotient = inner.right
    assert isinstance(quotient, ast.Arithmetic) and quotient.op is ast.ArithOp.DIV
    product = quotient.left
    assert isinstance(product, ast.Arithmetic) and product.op is ast.ArithOp.MUL
    assert isinstance(product.right, ast.Negative)
    assert isinstance(product.right.operand, ast.FieldAccess)


def test_dates_times_and_durations_are_literals() -> None:
    assert expression("2030-03-14") == ast.MomentLit(
        ast.MomentKind.DATE, "2030-03-14", expression("2030-03-14").span
    )
    time = expression("9:05")
    assert isinstance(time, ast.MomentLit) and time.iso == "09:05"
    moment = expression("2030-03-14T17:00:30")
    assert isinstance(moment, ast.MomentLit) and moment.kind is ast.MomentKind.DATETIME
    for written, milliseconds in [
        ("7 days", 7 * 86_400_000), ("2 h", 7_200_000), ("1 week", 604_800_000),
        ("30 minutes", 1_800_000), ("1 second", 1000), ("3d", 3 * 86_400_000), ("500ms", 500),
    ]:  # fmt: skip
        duration = expression(written)
        assert isinstance(duration, ast.DurationLit) and duration.milliseconds == milliseconds


def test_a_date_minus_a_duration_is_not_read_as_numbers() -> None:
    e = expression("2030-03-14 - 2 days")
    assert isinstance(e, ast.Arithmetic) and isinstance(e.left, ast.MomentLit)


def test_days_and_times_that_do_not_exist_are_errors() -> None:
    for written in ["2030-02-30", "2030-13-01", "25:00", "17:60", "2030-03-14T24:00"]:
        assert error_codes(f"flow F {{ set x = {written} end }}") == ["E0017"], written
    assert error_codes("flow F { set x = today + 1 month end }") == ["E0018"]


def test_lists_records_calls_and_computed_indexes_are_expressions() -> None:
    e = expression('{name: n, slots: [1, 2], from: len(s)}.slots[i - 1]')
    assert isinstance(e, ast.IndexAccess) and isinstance(e.index, ast.Arithmetic)
    record = e.target
    assert isinstance(record, ast.FieldAccess) and isinstance(record.target, ast.RecordLit)
    names = [f.name.name for f in record.target.fields]
    assert names == ["name", "slots", "from"]
    assert isinstance(record.target.fields[2].value, ast.FunctionCall)


def test_as_after_env_reads_a_type_and_after_a_value_names_a_format() -> None:
    typed, formatted = expression('env("N") as number'), expression("total as money")
    assert isinstance(typed, ast.EnvRef) and isinstance(typed.as_type, ast.NamedType)
    assert isinstance(formatted, ast.Formatted) and formatted.format.name == "money"
    assert error_codes("flow F { set x = total as list[text] end }") == ["E0019"]


def test_precedence_from_loosest_to_tightest() -> None:
    # or < and < not < comparison < ?? < ... < postfix
    e = expression('not a == b or c ?? "x" != d.e and f[0] in [1, 2]')
    assert isinstance(e, ast.Logic) and e.op is ast.LogicOp.OR
    assert isinstance(e.left, ast.Not) and isinstance(e.left.operand, ast.Compare)
    right = e.right
    assert isinstance(right, ast.Logic) and right.op is ast.LogicOp.AND
    assert isinstance(right.left, ast.Compare) and isinstance(right.left.left, ast.Fallback)
    membership = right.right
    assert isinstance(membership, ast.Compare) and membership.op is ast.CompareOp.IN
    assert isinstance(membership.left, ast.IndexAccess)
    assert membership.left.index == ast.NumberLit(0, membership.left.index.span)
    assert isinstance(membership.right, ast.ListLit)


def test_parentheses_group_and_belong_to_the_span() -> None:
    e = expression("(a or b) and c")
    assert isinstance(e, ast.Logic) and isinstance(e.left, ast.Logic)
    assert (e.left.span.column, e.left.span.end_column) == (9, 17)


def test_comparisons_do_not_chain() -> None:
    assert error_codes("flow F { if a == b == c -> x x: end }") == ["E0001"]


def test_env_is_a_secret_unless_typed() -> None:
    plain, typed = expression('env("A")'), expression('env("B") as text')
    assert isinstance(plain, ast.EnvRef) and plain.as_type is None
    assert isinstance(typed, ast.EnvRef) and typed.as_type == ast.NamedType(
        "text", typed.as_type.span
    )


def test_env_can_be_read_as_a_list() -> None:
    e = expression('env("HOSTS") as list[text] ?? fallback')
    assert isinstance(e, ast.Fallback) and isinstance(e.left, ast.EnvRef)
    assert isinstance(e.left.as_type, ast.ListType)
    assert e.left.as_type.element == ast.NamedType("text", e.left.as_type.element.span)
    assert (e.left.span.column, e.left.span.end_column) == (9, 35)
    right = expression('a ?? env("N") as list[number]')
    assert isinstance(right, ast.Fallback) and isinstance(right.right, ast.EnvRef)
    assert isinstance(right.right.as_type, ast.ListType)


def test_a_typed_env_is_parenthesised_to_take_a_field_or_index() -> None:
    e = expression('(env("J") as json).a')
    assert isinstance(e, ast.FieldAccess) and isinstance(e.target, ast.EnvRef)
    indexed = expression('env("A")[0]')
    assert isinstance(indexed, ast.IndexAccess)
    assert error_codes('flow F { set x = env("J") as list[text][0] }') == ["E0001"]


def test_call_is_the_built_in_name() -> None:
    e = expression("call.caller")
    assert isinstance(e, ast.FieldAccess) and isinstance(e.target, ast.Name)
    assert e.target.ident.name == "call"


def test_trailing_commas_are_allowed_in_every_list() -> None:
    module = parse_text(
        "action A {\n"
        "  output Done(x: text, y: { a: text, b: number, },)\n"
        '  request r = POST "u" headers { "k": 1, } body { "b": r in [1, 2,], }\n'
        '    on error -> Done(x = "e", y = r,)\n'
        '  exit Done(x = "a", y = r,)\n'
        "}\n"
    )
    (action,) = module.actions
    assert len(action.outputs[0].fields) == 2


def test_optional_clauses_may_come_in_any_order() -> None:
    a = first_step('collect n: number timeout 5s attempts 2 prompt "p" on no_answer -> x\nx: end')
    b = first_step('collect n: number prompt "p" attempts 2 timeout 5s on no_answer -> x\nx: end')
    assert without_spans(a) == without_spans(b)
    assert isinstance(a, ast.Collect) and a.attempts is not None and a.timeout is not None


def test_every_step_kind() -> None:
    flow = only_flow(
        """
  talk "hi"
  collect c: text in ["a", "b"] prompt "p" reprompt "r"
  request r = DELETE "u" query { "q": c } expect list[{ id: text }] timeout 3s retries 2
  run v = Act(a = 1)
    on Done -> l
  l:
  code s = m.f(x = c) on error -> l2
  l2: other:
  set z = true
  if z -> l
  -> l2
  send sms to "+1" "t"
  send email to "a@b" subject "s" body "b" on error -> l
  transfer to "+1" say "bye" on error -> l
  end
"""
    )
    kinds = [type(s).__name__ for s in flow.steps]
    assert kinds == [
        "Talk", "Collect", "Request", "Run", "Code", "Set", "If", "Jump",
        "SendSms", "SendEmail", "Transfer", "End",
    ]  # fmt: skip
    assert [lb.name for lb in flow.steps[5].labels] == ["l2", "other"]
    request = flow.steps[2]
    assert isinstance(request, ast.Request) and request.method is ast.HttpMethod.DELETE
    assert isinstance(request.expect, ast.ListType)
    assert request.retries is not None and request.retries.value == 2


def test_exit_and_jump_targets_with_and_without_fields() -> None:
    (action,) = parse_text(
        "action A {\n  output Out(r: text)\n  output Bare\n"
        '  if true -> Out(r = "x")\n  -> Bare\n  exit Out(r = "y")\n}\n'
    ).actions
    first, second, third = action.steps
    assert isinstance(first, ast.If) and first.target.args is not None
    assert isinstance(second, ast.Jump) and second.target.args is None
    assert isinstance(third, ast.Exit) and third.output.name == "Out"


def test_email_is_a_keyword_only_after_send() -> None:
    step = first_step('collect email: email prompt "Your email?"')
    assert isinstance(step, ast.Collect) and step.var.name == "email"


def test_intent_is_a_keyword_only_after_on() -> None:
    (flow,) = parse_text(
        'flow F {\n  on intent human ["a person"] -> done\n'
        '  collect intent: text in ["billing"] prompt "Which?"\n'
        '  talk "{{intent}}"\n  done:\n  end\n}\n'
    ).flows
    assert [intent.name.name for intent in flow.intents] == ["human"]
    step = flow.steps[0]
    assert isinstance(step, ast.Collect) and step.var.name == "intent"


@pytest.mark.parametrize(
    "word", ["talk", "in", "body", "call", "true", "GET", "uninterruptible"]
)
def test_keywords_are_reserved(word: str) -> None:
    assert error_codes(f"flow F {{ set {word} = 1 end }}") == ["E0007"]


def test_input_forms() -> None:
    (action,) = parse_text(
        "action A {\n"
        "  input a: text\n"
        "  input b: number = 3\n"
        "  input c: text configurable\n"
        '  input d: text = "x" configurable "Label"\n'
        "  output Done\n  exit Done\n}\n"
    ).actions
    flags = [(i.default is not None, i.configurable, i.label is not None) for i in action.inputs]
    assert flags == [(False, False, False), (True, False, False), (False, True, False),
                     (True, True, True)]  # fmt: skip


def test_fields_and_argument_names_may_be_keywords_as_json_fields_may() -> None:
    (action,) = parse_text(
        "action A {\n"
        "  output Sent(to: text, body: text)\n"
        '  request r = GET "u" expect { from: text, body: { in: number } }\n'
        '    on error -> Sent(to = "x", body = "y")\n'
        '  talk "{{ r.body.in }} from {{ r.from }}"\n'
        "  exit Sent(to = r.from, body = r.body)\n"
        "}\n"
    ).actions
    assert [f.name.name for f in action.outputs[0].fields] == ["to", "body"]
    talk = action.steps[1]
    assert isinstance(talk, ast.Talk) and isinstance(talk.text, ast.StringLit)
    template = talk.text.parts[0]
    assert isinstance(template, ast.TemplatePart) and isinstance(template.expr, ast.FieldAccess)
    assert template.expr.field.name == "in"


def test_keyword_fields_and_arguments_may_begin_their_lines() -> None:
    # A step or declaration keyword that begins a line ends an unfinished construct
    # before it (golden `unfinished_step`), unless it names a field or an argument.
    (action,) = parse_text(
        "action A {\n"
        "  output Done(\n    from: text,\n    end: text\n  )\n"
        '  request r = GET "u"\n    expect {\n      from: text,\n      set: text\n    }\n'
        '    on error -> Done(\n      from = "x",\n      end\n        = "y"\n    )\n'
        "  exit Done(from = r.\n    from, end = r.set)\n"
        "}\n"
    ).actions
    assert [f.name.name for f in action.outputs[0].fields] == ["from", "end"]
    exit_step = action.steps[-1]
    assert isinstance(exit_step, ast.Exit)
    assert [a.name.name for a in exit_step.args] == ["from", "end"]


def test_the_grammar_is_lalr_without_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    # Without strict mode Lark resolves a shift/reduce conflict silently (logging it
    # in debug mode); a reduce/reduce conflict is always an error.
    grammar = (importlib.resources.files("flowc.grammar") / "flow.lark").read_text("utf-8")
    with caplog.at_level(logging.DEBUG, logger="lark"):
        Lark(grammar, parser="lalr", lexer="contextual", start=["module", "template"], debug=True)
    assert not [r.message for r in caplog.records if "conflict" in r.message.lower()]
