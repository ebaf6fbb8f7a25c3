"""`flowc check` as users run it: a real subprocess of the CLI, its output and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).parent / "cases"


def flowc_check(*args: str, cwd: Path = CASES) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowc.cli", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_unconnected_output_prints_the_golden_report_and_exits_1() -> None:
    case = "E0301_language_reference_example.flow"
    result = flowc_check(case)
    expected = (CASES / case).with_suffix(".expected").read_text(encoding="utf-8")
    assert (result.returncode, result.stdout, result.stderr) == (1, expected, "")


def test_the_language_reference_message_exactly() -> None:
    result = flowc_check("--format", "json", "E0301_language_reference_example.flow")
    document = json.loads(result.stdout)
    [diagnostic] = document["diagnostics"]
    assert diagnostic["message"] == (
        "output path 'NotInterested' of 'book' (MakeAppointment) is not connected"
    )
    assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == ("E0301", 11, 3)
    assert diagnostic["notes"][0]["span"]["file"] == "lib/appointments.flow"
    assert "on NotInterested -> <label>" in diagnostic["help"]
    assert (result.returncode, document["errors"], document["warnings"]) == (1, 1, 0)


def test_warnings_alone_exit_0() -> None:
    result = flowc_check("W0101_unreachable_step.flow")
    assert result.returncode == 0
    assert "warning[W0101]" in result.stdout
    assert result.stdout.endswith("0 errors, 1 warning\n")


def test_a_corrected_program_prints_nothing() -> None:
    result = flowc_check("E0301_language_reference_example.ok.flow")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_mistakes_in_an_imported_file_are_reported_at_that_file(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "greet.flow").write_text(
        "action Greet {\n  output Done\n\n  talk \"Hello {{nmae}}.\"\n  exit Done\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.flow").write_text(
        'from "lib/greet.flow" import Greet\n\n'
        "flow Main {\n  run hello = Greet()\n    on Done -> bye\n\n  bye:\n  end\n}\n",
        encoding="utf-8",
    )
    result = flowc_check("main.flow", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "lib/greet.flow:4:17: error[E0101]: there is no variable 'nmae' in action 'Greet'"
    )


def test_several_files_report_in_file_and_line_order() -> None:
    result = flowc_check("E0304_falls_off_the_end.flow", "E0102_undefined_label.flow")
    headlines = [line for line in result.stdout.splitlines() if "error[" in line]
    assert [h.split(":")[0] for h in headlines] == [
        "E0102_undefined_label.flow",
        "E0304_falls_off_the_end.flow",
    ]
    assert result.returncode == 1


def test_a_chain_of_actions_deeper_than_pythons_recursion_limit(tmp_path: Path) -> None:
    """Each action runs the next; only the last one asks. The flow's loop waits for the
    caller through the whole chain, so the program is clean."""
    depth = sys.getrecursionlimit() + 100
    chain = [
        f"action A{i} {{\n  output Done\n  run next = A{i + 1}()\n    on Done -> Done\n}}\n"
        for i in range(depth)
    ]
    last = (
        f"action A{depth} {{\n  output Done\n"
        '  collect answer: text prompt "Again?" on no_answer -> Done\n  exit Done\n}\n'
    )
    flow = "flow Main {\n  again:\n  run first = A0()\n    on Done -> again\n}\n"
    (tmp_path / "chain.flow").write_text("".join(chain) + last + flow, encoding="utf-8")
    result = flowc_check("chain.flow", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
