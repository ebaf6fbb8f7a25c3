"""`flowc diff` and `flowc upgrade` on wheels and folders, and their mistakes as messages."""

from __future__ import annotations

from pathlib import Path

from tests.libraries.conftest import Packed
from tests.libraries.support import copy_library, flowc
from tests.support.http_server import unused_port


def test_diff_of_a_wheel_and_a_folder(packed_example: Packed, tmp_path: Path) -> None:
    library = copy_library(tmp_path / "booking-actions")
    flow = library / "booking_actions" / "identity.flow"
    flow.write_text(
        flow.read_text().replace(
            "  output Verified(", '  input language: text = "en"\n\n  output Verified('
        )
    )
    result = flowc("diff", packed_example.wheel, library, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "booking-actions 1.0.0 -> booking-actions 1.0.0",
        "  minor: VerifyIdentity: new input 'language' with a default",
        "needs a minor release",
    ]


def test_diff_of_the_same_library_finds_nothing(packed_example: Packed, tmp_path: Path) -> None:
    result = flowc("diff", packed_example.wheel, packed_example.wheel, cwd=tmp_path)
    assert result.stdout.endswith("\nno interface change\n")


def test_what_diff_cannot_compare_is_a_message(packed_example: Packed, tmp_path: Path) -> None:
    missing = flowc("diff", "gone.whl", packed_example.wheel, cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (
        2,
        "flowc: error: there is no wheel 'gone.whl'\n",
    )
    nonsense = flowc("diff", "not a requirement!", packed_example.wheel, cwd=tmp_path)
    assert nonsense.returncode == 2
    assert nonsense.stderr.startswith(
        "flowc: error: 'not a requirement!' is neither a library folder, a wheel, nor a "
        "requirement such as booking-actions==1.2.0"
    )
    (tmp_path / "plain.whl").write_bytes(b"not a zip")
    plain = flowc("diff", "plain.whl", packed_example.wheel, cwd=tmp_path)
    assert plain.returncode == 2
    assert plain.stderr.startswith("flowc: error: cannot read the wheel 'plain.whl'")


def test_an_index_that_does_not_answer_is_a_message(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{unused_port()}/simple/"
    result = flowc(
        "diff", "booking-actions==1.0.0", "booking-actions==2.0.0", "--index-url", nobody,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"flowc: error: the package index {nobody} cannot be reached")
    assert "Traceback" not in result.stderr


def test_upgrade_needs_flows_to_check(tmp_path: Path) -> None:
    result = flowc("upgrade", "--check", "booking-actions==2.0.0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "flowc: error: there is no .flow file under '.' to check\n"
