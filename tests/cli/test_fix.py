"""`flowc check --fix`: the real command, as a subprocess, on copies of files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TYPOS = """\
flow Greeting {
  on no_answer -> goodbye

  collect name: text
    prompt "What is your name?"
  talk "Hello {{nmae}}."
  -> goodbey

  goodbye:
  end "Goodbye."
}
"""
FIXED = TYPOS.replace("{{nmae}}", "{{name}}").replace("-> goodbey", "-> goodbye")

NO_ANSWER_PATH = """\
flow Ask {
  collect name: text
    prompt "What is your name?"
  end "Thanks."
}
"""


def flowc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowc.cli", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fix_applies_the_renames_says_what_it_changed_and_rechecks(tmp_path: Path) -> None:
    (tmp_path / "greeting.flow").write_text(TYPOS, encoding="utf-8")
    result = flowc(tmp_path, "--fix", "greeting.flow")
    assert (tmp_path / "greeting.flow").read_text(encoding="utf-8") == FIXED
    assert result.stderr.splitlines() == [
        "fixed greeting.flow:6:17: [E0101] replace 'nmae' with 'name'",
        "fixed greeting.flow:7:6: [E0102] replace 'goodbey' with 'goodbye'",
    ]
    assert (result.returncode, result.stdout) == (0, "")


def test_a_suggestion_is_reported_and_not_applied(tmp_path: Path) -> None:
    (tmp_path / "ask.flow").write_text(NO_ANSWER_PATH, encoding="utf-8")
    result = flowc(tmp_path, "--fix", "ask.flow")
    assert (tmp_path / "ask.flow").read_text(encoding="utf-8") == NO_ANSWER_PATH
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == flowc(tmp_path, "ask.flow").stdout


def test_json_carries_the_suggested_clause(tmp_path: Path) -> None:
    (tmp_path / "ask.flow").write_text(NO_ANSWER_PATH, encoding="utf-8")
    [diagnostic] = json.loads(flowc(tmp_path, "--format", "json", "ask.flow").stdout)[
        "diagnostics"
    ]
    [fix] = diagnostic["fixes"]
    [edit] = fix["edits"]
    assert (fix["applicability"], edit["new_text"]) == (
        "suggestion",
        "\n    on no_answer -> no_answer",
    )
    assert (edit["span"]["line"], edit["span"]["column"]) == (3, 32)


def test_fix_leaves_imported_files_alone_and_keeps_line_endings(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    library = 'action Greet {\n  output Done\n\n  talk "Hello {{nmae}}."\n  exit Done\n}\n'
    (tmp_path / "lib" / "greet.flow").write_text(library, encoding="utf-8")
    main = (
        'from "lib/greet.flow" import Greet\r\n\r\n'
        "flow Main {\r\n  run hello = Greett()\r\n    on Done -> bye\r\n\r\n"
        "  bye:\r\n  end\r\n}\r\n"
    )
    (tmp_path / "main.flow").write_bytes(main.encode("utf-8"))
    result = flowc(tmp_path, "--fix", "main.flow")
    assert (tmp_path / "main.flow").read_bytes() == main.replace("Greett", "Greet").encode()
    assert (tmp_path / "lib" / "greet.flow").read_text(encoding="utf-8") == library
    assert "fixed main.flow:4:15: [E0103] replace 'Greett' with 'Greet'" in result.stderr
    assert result.returncode == 1  # the imported file's own mistake is still reported
    assert "lib/greet.flow:4:17: error[E0101]" in result.stdout
