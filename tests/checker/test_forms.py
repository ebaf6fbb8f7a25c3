"""Forms in the checker: the record type a form gives its variable, and the checks
that read the options of its fields (a comparison with a text no field's option is,
a `given` text that is not an option)."""

from __future__ import annotations

from pathlib import Path

from flowc import ast, codes
from flowc import types as ty
from flowc.checker import Analysis, analyze
from flowc.loader import load_program

FORM = """\
flow Pizza {
  on no_answer -> bye
  collect order: {size: text in ["small", "large"], count: number, day: date}
    prompt "What would you like?"
    ask size "Which size?"
    ask count "How many?"
    ask day "For which day?"
    confirm "{{order.count}} for {{order.day}}, right?"
  if order.size == "Large" -> bye
  if order.count > 2 -> bye
  end "{{order.size}} it is."
  bye:
  end "Bye."
}
"""


def analysed(tmp_path: Path, source: str) -> Analysis:
    path = tmp_path / "pizza.flow"
    path.write_text(source, encoding="utf-8")
    return analyze(load_program([str(path)]))


def test_the_form_variable_is_the_record_of_its_fields(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, FORM)
    [body] = [v for k, v in analysis.model.bodies.items() if isinstance(k, ast.Flow)]
    assert body.variables["order"].type == ty.Record(
        (("size", ty.TEXT), ("count", ty.NUMBER), ("day", ty.DATE))
    )
    # The read-back reads the form's own variable: no use before assignment is reported.
    assert [d.code for d in analysis.diagnostics] == [codes.NEVER_AN_OPTION]


def test_a_field_compared_with_a_text_that_is_none_of_its_options(tmp_path: Path) -> None:
    [warning] = analysed(tmp_path, FORM).diagnostics
    assert warning.message == (
        "'order.size' is always one of its options (\"small\" or \"large\"), never "
        '"Large": this comparison is never true'
    )
    assert [fix.edits[0].new_text for fix in warning.fixes] == ['"large"']


def test_a_given_text_must_be_an_option_of_its_field(tmp_path: Path) -> None:
    source = FORM.replace('    ask size "Which size?"\n', '    ask size "Which size?"\n'
                          '    given {size: "medium"}\n')  # fmt: skip
    errors = [d for d in analysed(tmp_path, source).diagnostics if d.is_error]
    assert [(d.code, d.message) for d in errors] == [
        (codes.GIVEN_MISMATCH,
         "field 'size' must be one of its options, but `given` gives it \"medium\""),
    ]  # fmt: skip


def test_a_part_of_the_day_or_a_digit_count_on_a_form_is_refused_with_a_help_for_forms(
    tmp_path: Path,
) -> None:
    for clause, code in (("expect evening", codes.DAY_PART_NOT_A_TIME),
                         ("expect 4 digits", codes.DIGITS_NOT_A_TEXT)):
        source = FORM.replace('    confirm "', f'    {clause}\n    confirm "')
        [found] = [d for d in analysed(tmp_path, source).diagnostics if d.code == code]
        assert found.help is not None and found.help.startswith("remove")
        assert "a form's fields are read by their own types" in found.help
        assert "collect order: " not in found.help  # not the advice for a single answer
