"""`flowc fmt` as a command: in place, --check, --diff, stdin, folders, exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FLOWC = Path(sys.executable).parent / "flowc"
MESSY = 'flow F {talk "hi"\n      end}\n'
TIDY = 'flow F {\n  talk "hi"\n  end\n}\n'


def flowc_fmt(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLOWC), "fmt", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_files_are_formatted_in_place(tmp_path: Path) -> None:
    (tmp_path / "a.flow").write_text(MESSY)
    (tmp_path / "b.flow").write_text(TIDY)
    done = flowc_fmt("a.flow", "b.flow", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
    assert (tmp_path / "a.flow").read_text() == TIDY
    assert (tmp_path / "b.flow").read_text() == TIDY
    assert "reformatted a.flow\n" in done.stderr
    assert done.stderr.endswith("1 file reformatted, 1 file left unchanged\n")


def test_check_changes_nothing_and_fails_when_a_file_would_change(tmp_path: Path) -> None:
    (tmp_path / "a.flow").write_text(MESSY)
    done = flowc_fmt("--check", "a.flow", cwd=tmp_path)
    assert done.returncode == 1
    assert "would reformat a.flow" in done.stderr
    assert (tmp_path / "a.flow").read_text() == MESSY
    (tmp_path / "a.flow").write_text(TIDY)
    assert flowc_fmt("--check", "a.flow", cwd=tmp_path).returncode == 0


def test_diff_shows_the_change_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.flow").write_text(MESSY)
    done = flowc_fmt("--diff", "a.flow", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("--- a.flow\t(original)\n+++ a.flow\t(formatted)\n")
    assert '-flow F {talk "hi"\n' in done.stdout
    assert '+  talk "hi"\n' in done.stdout
    assert (tmp_path / "a.flow").read_text() == MESSY


def test_a_syntax_error_is_reported_as_check_does_and_the_file_is_untouched(
    tmp_path: Path,
) -> None:
    broken = 'flow F {\n  talk "hi"\n  colect x: text\n}\n'
    (tmp_path / "bad.flow").write_text(broken)
    (tmp_path / "good.flow").write_text(MESSY)
    done = flowc_fmt("bad.flow", "good.flow", cwd=tmp_path)
    assert done.returncode == 2
    check = subprocess.run(
        [str(FLOWC), "check", "bad.flow"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    report = check.stdout.rsplit("\n", 2)[0]  # without the "1 error, 0 warnings" summary
    assert report and report in done.stderr
    assert "flowc: error: cannot format bad.flow: it does not parse" in done.stderr
    assert (tmp_path / "bad.flow").read_text() == broken
    # The other files are still formatted.
    assert (tmp_path / "good.flow").read_text() == TIDY


def test_stdin_is_formatted_to_stdout(tmp_path: Path) -> None:
    done = flowc_fmt("-", cwd=tmp_path, stdin=MESSY)
    assert (done.returncode, done.stdout, done.stderr) == (0, TIDY, "")


def test_a_folder_means_its_flow_files(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.flow").write_text(MESSY)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.flow").write_text(MESSY)
    (tmp_path / "notes.txt").write_text(MESSY)
    done = flowc_fmt(".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lib" / "a.flow").read_text() == TIDY
    assert (tmp_path / ".hidden" / "b.flow").read_text() == MESSY
    assert (tmp_path / "notes.txt").read_text() == MESSY


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    done = flowc_fmt("nowhere.flow", cwd=tmp_path)
    assert done.returncode == 2
    assert "flowc: error: cannot read 'nowhere.flow'" in done.stderr
    assert "Traceback" not in done.stderr
