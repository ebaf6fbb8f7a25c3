"""The two programs of LANGUAGE.md section 2 parse into an AST that holds all of them."""

from __future__ import annotations

import pytest
from flowc import ast
from flowc.source import Span

from .support import (
    EXAMPLES,
    all_spans,
    covered,
    foreign_objects,
    parse_text,
    tokens,
    without_spans,
)
from .unparse import unparse


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_unparsing_the_ast_gives_back_every_token_of_the_example(name: str) -> None:
    text = EXAMPLES[name].read_text()
    assert tokens(unparse(parse_text(text))) == tokens(text)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_unparsed_text_parses_to_the_same_ast(name: str) -> None:
    module = parse_text(EXAMPLES[name].read_text())
    assert without_spans(parse_text(unparse(module))) == without_spans(module)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_ast_holds_nothing_from_lark(name: str) -> None:
    assert foreign_objects(parse_text(EXAMPLES[name].read_text())) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_span_lies_in_the_file_and_inside_its_parent(name: str) -> None:
    text = EXAMPLES[name].read_text()
    lines = text.split("\n")
    module = parse_text(text, path=name)
    for span in all_spans(module):
        assert span.file == name
        assert (span.line, span.column) <= (span.end_line, span.end_column)
        assert 1 <= span.column <= len(lines[span.line - 1]) + 1
        assert 1 <= span.end_column <= len(lines[span.end_line - 1]) + 1
    for declaration in module.declarations:
        assert _inside(declaration.span, module.span)


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


def test_the_action_example_in_detail() -> None:
    text = EXAMPLES["appointments"].read_text()
    (action,) = parse_text(text).actions
    assert action.name.name == "MakeAppointment"
    assert action.meta is not None
    assert [e.key.name for e in action.meta.entries] == [
        "title", "integration", "description", "icon", "version", "publish",
    ]  # fmt: skip
    publish = action.meta.entries[-1].value
    assert isinstance(publish, ast.Ident) and publish.name == "organization"

    client, url, key = action.inputs
    assert (client.default, client.configurable) == (None, False)
    assert url.configurable and url.label is not None
    assert url.label.plain_text == "Booking API base URL"
    assert isinstance(key.default, ast.EnvRef) and key.default.variable == "CALENDAR_API_KEY"
    assert key.type == ast.NamedType("secret", key.type.span)

    assert [o.name.name for o in action.outputs] == ["Success", "Fail", "NotInterested"]
    assert [f.name.name for f in action.outputs[0].fields] == ["booking_id", "meeting_link"]
    (default,) = action.handlers
    assert default.event.name == "no_answer"
    assert default.target.name.name == "Fail" and default.target.args is not None

    kinds = [type(s).__name__ for s in action.steps]
    assert kinds == ["Collect", "Request", "Talk", "Collect", "If", "Request", "Exit"]
    ask, slots, _, choice, retry, booking, done = action.steps
    assert isinstance(ask, ast.Collect) and [lb.name for lb in ask.labels] == ["ask_time"]
    assert isinstance(slots, ast.Request) and slots.method is ast.HttpMethod.GET
    assert [e.key.plain_text for e in slots.headers] == ["apiKey", "Content-Type"]
    assert slots.body is None and slots.on_error is not None
    assert isinstance(slots.expect, ast.RecordType)
    assert isinstance(choice, ast.Collect) and choice.options is not None
    assert len(choice.options.items) == 3 and choice.on_no_answer is not None
    assert isinstance(retry, ast.If) and isinstance(retry.condition, ast.Compare)
    assert retry.condition.op is ast.CompareOp.EQ and retry.target.args is None
    assert isinstance(booking, ast.Request) and booking.body is not None
    assert isinstance(done, ast.Exit) and [a.name.name for a in done.args] == [
        "booking_id",
        "meeting_link",
    ]


def test_the_flow_example_in_detail() -> None:
    text = EXAMPLES["legal_intake"].read_text()
    module = parse_text(text)
    (imported,) = module.imports
    assert isinstance(imported, ast.FileImport)
    assert imported.path.plain_text == "lib/appointments.flow"
    (flow,) = module.flows
    run = flow.steps[2]
    assert isinstance(run, ast.Run) and run.action.name == "MakeAppointment"
    assert [(h.event.name, h.target.name.name) for h in run.handlers] == [
        ("Success", "confirmed"),
        ("Fail", "handoff"),
        ("NotInterested", "goodbye"),
    ]
    sms = flow.steps[3]
    assert isinstance(sms, ast.SendSms) and [lb.name for lb in sms.labels] == ["confirmed"]
    transfer = flow.steps[5]
    assert isinstance(transfer, ast.Transfer) and transfer.say is not None
    assert flow.after_call is not None
    (email,) = flow.after_call.steps
    assert isinstance(email, ast.SendEmail)


def test_spans_cover_exactly_their_source_text() -> None:
    text = EXAMPLES["legal_intake"].read_text()
    (flow,) = parse_text(text).flows
    run = flow.steps[2]
    assert isinstance(run, ast.Run)
    # A step's span runs from its keyword to its last clause; labels are not part of it.
    assert covered(text, run.span).startswith("run book = MakeAppointment(")
    assert covered(text, run.span).endswith("on NotInterested -> goodbye")
    sms = flow.steps[3]
    assert isinstance(sms, ast.SendSms)
    assert covered(text, sms.labels[0].span) == "confirmed"
    assert covered(text, sms.to.span) == "call.caller"
    assert flow.after_call is not None
    assert covered(text, flow.after_call.span).startswith("after call {")
    assert covered(text, flow.span).endswith("}")


def test_template_spans_point_inside_the_string() -> None:
    text = EXAMPLES["legal_intake"].read_text()
    (flow,) = parse_text(text).flows
    assert flow.after_call is not None
    (email,) = flow.after_call.steps
    assert isinstance(email, ast.SendEmail) and isinstance(email.body, ast.StringLit)
    text_part, template = email.body.parts
    assert isinstance(text_part, ast.TextPart) and text_part.text == "Booking: "
    assert isinstance(template, ast.TemplatePart)
    assert covered(text, template.span) == '{{book.booking_id ?? "none"}}'
    fallback = template.expr
    assert isinstance(fallback, ast.Fallback)
    assert covered(text, fallback.span) == 'book.booking_id ?? "none"'
    assert covered(text, fallback.left.span) == "book.booking_id"
    assert isinstance(fallback.right, ast.StringLit)
    assert fallback.right.plain_text == "none"
    assert covered(text, fallback.right.span) == '"none"'
