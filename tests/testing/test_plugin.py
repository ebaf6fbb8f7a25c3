"""The pytest plugin, through a real `pytest` process: .flowtest files are collected and run
as tests, with pytest's selection and a failure's .flowtest line and diff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FLOW = """\
flow Hello {
  on no_answer -> quiet
  collect name: text
    prompt "What's your name?"
  end "Nice to meet you, {{name}}. Goodbye!"
  quiet:
  end "Goodbye."
}
"""
GREETS = """\
flow Hello from "hello.flow"
agent: What's your name?
caller: Ada
agent: Nice to meet you, Ada. Goodbye!
end: ended
"""


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )


def test_flowtest_files_are_collected_selected_and_reported(tmp_path: Path) -> None:
    (tmp_path / "hello.flow").write_text(FLOW, encoding="utf-8")
    (tmp_path / "greets.flowtest").write_text(GREETS, encoding="utf-8")
    (tmp_path / "rude.flowtest").write_text(GREETS.replace("Nice to", "Go away,"),
                                            encoding="utf-8")

    # Collected after the .flowtest files: the generated module `hello` is gone by then.
    (tmp_path / "test_after.py").write_text(
        "import sys\n\n\ndef test_no_generated_module_is_left() -> None:\n"
        "    assert 'hello' not in sys.modules\n",
        encoding="utf-8",
    )

    everything = pytest_in(tmp_path)
    assert everything.returncode == 1
    assert "1 failed, 2 passed" in everything.stdout
    assert "rude.flowtest:4: the transcript differs" in everything.stdout
    assert "-agent: Go away, meet you, Ada. Goodbye!" in everything.stdout
    assert "+agent: Nice to meet you, Ada. Goodbye!" in everything.stdout

    selected = pytest_in(tmp_path, "-k", "greets")
    assert selected.returncode == 0
    assert "1 passed, 2 deselected" in selected.stdout


def test_a_test_that_does_not_check_shows_its_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "hello.flow").write_text(FLOW, encoding="utf-8")
    (tmp_path / "typo.flowtest").write_text(GREETS.replace("flow Hello", "flow Helo"),
                                            encoding="utf-8")
    result = pytest_in(tmp_path)
    assert result.returncode == 1
    assert "typo.flowtest:1:6: error[E0703]: 'hello.flow' has no flow named 'Helo'" \
        in result.stdout
