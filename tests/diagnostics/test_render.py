"""The one renderer: human format of LANGUAGE.md section 7, and JSON with the same fields."""

from __future__ import annotations

import json

from flowc import codes
from flowc.diagnostics import (
    Applicability,
    Edit,
    Fix,
    Label,
    Note,
    did_you_mean,
    error,
    rename_fix,
    render_human,
    render_json,
    warning,
)
from flowc.source import SourceFile, Span

SOURCE = SourceFile(
    "app.flow",
    "flow Main {\n  run book = MakeAppointment(client_name = name)\n  end\n}\n",
)
SOURCES = {"app.flow": SOURCE}


def test_headline_snippet_caret_note_and_help() -> None:
    diagnostic = error(
        "E0301",
        Span("app.flow", 2, 3, 2, 48),
        "output path 'NotInterested' of 'book' (MakeAppointment) is not connected",
        notes=[Note("'MakeAppointment' declared here", Span("app.flow", 1, 6, 1, 10))],
        help="add: on NotInterested -> <label>",
    )
    assert render_human([diagnostic], SOURCES) == (
        "app.flow:2:3: error[E0301]: output path 'NotInterested' of 'book' "
        "(MakeAppointment) is not connected\n"
        "  |\n"
        "2 |   run book = MakeAppointment(client_name = name)\n"
        "  |   " + "^" * 45 + "\n"
        "  note: 'MakeAppointment' declared here (app.flow:1:6)\n"
        "  |\n"
        "1 | flow Main {\n"
        "  |      ^^^^\n"
        "  = help: add: on NotInterested -> <label>\n"
    )


def test_multi_line_help_is_indented_under_itself() -> None:
    diagnostic = warning("W0101", Span("app.flow", 3, 3, 3, 6), "unreachable", help="a\nb")
    assert render_human([diagnostic], SOURCES).endswith("  = help: a\n          b\n")


def test_zero_width_span_still_shows_one_caret() -> None:
    diagnostic = error("E0001", Span("app.flow", 4, 2, 4, 2), "expected '}'")
    assert "  | " + " " + "^\n" in render_human([diagnostic], SOURCES)


def test_span_over_several_lines_is_underlined_to_the_end_of_its_first_line() -> None:
    diagnostic = error("E0001", Span("app.flow", 1, 1, 4, 2), "whole flow")
    assert "  | " + "^" * len("flow Main {") + "\n" in render_human([diagnostic], SOURCES)


def test_file_without_source_renders_headline_only() -> None:
    diagnostic = error("E0203", Span("gone.flow", 1, 1, 1, 1), "cannot read 'gone.flow'")
    assert render_human([diagnostic], SOURCES) == (
        "gone.flow:1:1: error[E0203]: cannot read 'gone.flow'\n"
    )


def test_json_carries_the_same_fields() -> None:
    diagnostic = error(
        "E0101",
        Span("app.flow", 2, 30, 2, 34),
        "undefined variable 'nme'",
        notes=[Note("variables in scope: name")],
        help="did you mean 'name'?",
    )
    document = json.loads(render_json([diagnostic]))
    assert document == {
        "diagnostics": [
            {
                "file": "app.flow",
                "line": 2,
                "column": 30,
                "end_line": 2,
                "end_column": 34,
                "severity": "error",
                "code": "E0101",
                "message": "undefined variable 'nme'",
                "notes": [{"message": "variables in scope: name"}],
                "help": "did you mean 'name'?",
                "labels": [],
                "fixes": [],
            }
        ],
        "errors": 1,
        "warnings": 0,
    }


def test_did_you_mean_finds_close_names_only() -> None:
    assert did_you_mean("colect", ["collect", "talk", "request"]) == "collect"
    assert did_you_mean("zzz", ["collect", "talk"]) is None


def test_a_very_long_line_is_shown_around_the_span_with_the_caret_under_it() -> None:
    line = "x" * 5000 + " bad " + "y" * 5000
    source = SourceFile("long.flow", line + "\n")
    diagnostic = error("E0001", Span("long.flow", 1, 5002, 1, 5005), "unexpected 'bad'")
    rendered = render_human([diagnostic], {"long.flow": source}).splitlines()
    shown, caret = rendered[2], rendered[3]
    assert len(shown) < 200
    assert shown.startswith("1 | ...") and shown.endswith("...")
    assert shown[caret.index("^") : caret.rindex("^") + 1] == "bad"


def test_a_label_is_shown_with_its_own_snippet_underlined_with_dashes() -> None:
    diagnostic = error(
        codes.UNRELATED_COMPARISON,
        Span("app.flow", 2, 3, 2, 6),
        "mismatch",
        labels=[Label(Span("app.flow", 1, 6, 1, 10), "this is a flow")],
    )
    assert render_human([diagnostic], SOURCES).endswith(
        "  label: this is a flow (app.flow:1:6)\n"
        "  |\n"
        "1 | flow Main {\n"
        "  |      ----\n"
    )


def test_json_carries_labels_and_fixes_with_their_applicability() -> None:
    span = Span("app.flow", 2, 30, 2, 34)
    fix = Fix("replace 'nme' with 'name'", (Edit(span, "name"),), Applicability.SUGGESTION)
    diagnostic = error(
        codes.UNDEFINED_VARIABLE,
        span,
        "undefined",
        labels=[Label(Span("app.flow", 1, 6, 1, 10), "here")],
        fixes=[fix],
    )
    [shown] = json.loads(render_json([diagnostic]))["diagnostics"]
    span_json = {"file": "app.flow", "line": 2, "column": 30, "end_line": 2, "end_column": 34}
    assert shown["labels"] == [
        {
            "message": "here",
            "span": {"file": "app.flow", "line": 1, "column": 6, "end_line": 1, "end_column": 10},
        }
    ]
    assert shown["fixes"] == [
        {
            "message": "replace 'nme' with 'name'",
            "applicability": "suggestion",
            "edits": [{"span": span_json, "new_text": "name"}],
        }
    ]


def test_fixes_are_not_shown_in_the_human_format() -> None:
    span = Span("app.flow", 2, 30, 2, 34)
    plain = error(codes.UNDEFINED_VARIABLE, span, "undefined")
    fixed = error(
        codes.UNDEFINED_VARIABLE, span, "undefined", fixes=rename_fix(span, "nme", "name", [])
    )
    assert render_human([fixed], SOURCES) == render_human([plain], SOURCES)


def test_a_rename_is_machine_applicable_only_when_one_typing_slip_away_from_one_name() -> None:
    span = Span("app.flow", 1, 1, 1, 5)

    def applicability(written: str, meant: str, candidates: list[str]) -> Applicability:
        [fix] = rename_fix(span, written, meant, candidates)
        return fix.applicability

    certain = Applicability.MACHINE_APPLICABLE
    assert applicability("nmae", "name", ["name", "phone"]) is certain  # swapped neighbours
    assert applicability("nam", "name", ["name"]) is certain  # a letter dropped
    assert applicability("Talk", "talk", ["talk"]) is certain  # the case only
    assert applicability("nme", "name", ["name", "nm"]) is Applicability.SUGGESTION  # two fit
    assert applicability("colour", "color_x", ["color_x"]) is Applicability.SUGGESTION
    assert rename_fix(span, "zzz", None, ["name"]) == ()
