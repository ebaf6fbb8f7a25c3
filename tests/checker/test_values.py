"""The types of the issue 9 expressions, as the checker records them for code generation:
arithmetic, dates and times, lists and records, `len`, indexes and formats; and a counter
(`set tries = tries + 1`) through definite assignment."""

from __future__ import annotations

from pathlib import Path

from flowc import ast
from flowc import types as ty
from flowc.checker import analyze
from flowc.loader import load_program
from flowc.walk import walk


def types_of(tmp_path: Path, text: str) -> tuple[dict[str, ty.Type], list[str]]:
    """Each `set` variable's type, and the codes reported."""
    path = tmp_path / "main.flow"
    path.write_text(text, encoding="utf-8")
    analysis = analyze(load_program([str(path)]))
    codes = [d.code for d in analysis.diagnostics]
    found: dict[str, ty.Type] = {}
    for body in analysis.model.bodies.values():
        for name, variable in body.variables.items():
            found[name] = variable.type
    return found, codes


def test_each_operator_gives_the_type_its_operands_make(tmp_path: Path) -> None:
    found, codes = types_of(
        tmp_path,
        """
        flow F {
          set n = -(1 + 2) * 3 / 4
          set label = "Room " + "12"
          set week = today + 7 days
          set ago = now - 2 h
          set later = 23:30 + 1 h
          set wait = now - call.started_at
          set hours = wait / 1 h
          set half = wait / 2
          set slots = [09:00, 10:30]
          set order = {size: "large", count: 2, when: 2030-03-14T17:00}
          set count = len(slots)
          set last = slots[count - 1]
          set day = order.when.date
          set said = order.count as words
          end
        }
        """,
    )
    assert codes == []
    assert found["n"] == found["hours"] == found["count"] == ty.NUMBER
    assert found["label"] == found["said"] == ty.TEXT
    assert (found["week"], found["ago"], found["later"]) == (ty.DATE, ty.DATETIME, ty.TIME)
    assert found["wait"] == found["half"] == ty.DURATION
    assert found["slots"] == ty.ListOf(ty.TIME) and found["last"] == ty.TIME
    assert found["order"] == ty.Record(
        (("size", ty.TEXT), ("count", ty.NUMBER), ("when", ty.DATETIME))
    )
    assert found["day"] == ty.DATE


def test_a_field_of_a_list_of_records_is_the_list_of_that_field(tmp_path: Path) -> None:
    found, codes = types_of(
        tmp_path,
        """
        flow F {
          on error -> done
          on no_answer -> done
          request r = GET "http://127.0.0.1:9/slots"
            expect {slots: list[{start: time, room: text}]}
          collect room: text in r.slots.room
            prompt "Which room, {{r.slots.room}}?"
          set starts = r.slots.start
          done:
          end
        }
        """,
    )
    assert codes == []
    assert found["starts"] == ty.ListOf(ty.TIME)


def test_a_counter_reads_its_own_earlier_value(tmp_path: Path) -> None:
    found, codes = types_of(
        tmp_path,
        """
        flow F {
          on no_answer -> give_up
          set tries = 0
          ask:
          set tries = tries + 1
          collect answer: text
            prompt "Try {{tries}}: say something."
          if tries < 3 -> ask
          give_up:
          end
        }
        """,
    )
    assert codes == [] and found["tries"] == ty.NUMBER


def test_a_counter_never_started_is_not_definitely_assigned(tmp_path: Path) -> None:
    _, codes = types_of(tmp_path, "flow F {\n  set tries = tries + 1\n  end\n}\n")
    assert codes == ["E0401"]


def test_reading_a_set_before_its_type_is_known_settles_to_the_real_type(tmp_path: Path) -> None:
    path = tmp_path / "main.flow"
    path.write_text(
        "flow F {\n  -> start\n  again:\n  set total = total + 1\n  end\n"
        "  start:\n  set total = 1\n  -> again\n}\n",
        encoding="utf-8",
    )
    analysis = analyze(load_program([str(path)]))
    assert analysis.diagnostics == ()
    [body] = [b for key, b in analysis.model.bodies.items() if isinstance(key, ast.Flow)]
    step = body.body.steps[1]
    assert isinstance(step, ast.Set)
    # The read of `total` before its `set` was typed is recorded as what it holds.
    reads = [e for e in walk(step.value) if isinstance(e, ast.Name)]
    assert [body.types[e] for e in reads] == [ty.NUMBER]


def test_a_quoted_time_is_fixed_to_the_literal_it_means(tmp_path: Path) -> None:
    path = tmp_path / "main.flow"
    path.write_text(
        'action A {\n  input closes: time = "17:00"\n  output Done\n'
        '  if closes < "9:30" -> Done\n  set late = closes ?? "18:00:30"\n  exit Done\n}\n',
        encoding="utf-8",
    )
    analysis = analyze(load_program([str(path)]))
    fixed = {
        d.code: [(edit.span.line, edit.new_text) for fix in d.fixes for edit in fix.edits]
        for d in analysis.diagnostics
    }
    assert fixed == {"E0514": [(2, "17:00")], "E0507": [(4, "09:30")], "E0505": [(5, "18:00:30")]}
