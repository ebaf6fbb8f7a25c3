"""`flowc run --record` and `flowc test`, end to end, as subprocesses of the CLI.

A call is recorded against the example booking API (a real server); with the
API stopped, the recorded test still passes; a changed prompt fails it with a
diff. Coverage, JUnit and the exit statuses are read from the real command.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from tests.e2e.flowtest_cli import flowc
from tests.examples.booking import EXAMPLES, running_booking_api

TURNS = "Jane Doe\nMarch 14th 2030 at 2 PM\nThe 3 PM one, please\n"


def copy_example(folder: Path) -> Path:
    shutil.copy(EXAMPLES / "legal_intake_local.flow", folder)
    shutil.copytree(EXAMPLES / "lib", folder / "lib")
    return folder / "legal_intake_local.flow"


def record_a_booking(folder: Path, flow: Path) -> str:
    """`flowc run --record tests/booked.flowtest` of a booking against the real API; the
    test's text."""
    (folder / "tests").mkdir()
    with running_booking_api("key-1") as url:
        recorded = flowc(
            "run", flow.name, "--caller", "+15550001111", "--record", "tests/booked.flowtest",
            cwd=folder, stdin=TURNS,
            env={"BOOKING_API_URL": url, "CALENDAR_API_KEY": "key-1"},
        )
    assert recorded.returncode == 0, recorded.stderr
    return (folder / "tests" / "booked.flowtest").read_text(encoding="utf-8")


def test_a_call_recorded_against_the_api_replays_offline_and_a_changed_prompt_fails(
    tmp_path: Path,
) -> None:
    flow = copy_example(tmp_path)
    test_text = record_a_booking(tmp_path, flow)
    assert 'flow LegalIntakeLocal from "../legal_intake_local.flow"' in test_text
    assert "stub booking: 200" in test_text and "caller: The 3 PM one, please" in test_text
    assert '"key-1"' not in test_text  # the secret is never written down

    replayed = flowc("test", "tests", cwd=tmp_path)  # the API is gone
    assert replayed.returncode == 0, replayed.stdout
    assert "1 passed, 0 failed, 0 errors" in replayed.stdout

    source = flow.read_text(encoding="utf-8")
    flow.write_text(source.replace("Goodbye!", "Bye now!"), encoding="utf-8")
    failed = flowc("test", cwd=tmp_path)
    assert failed.returncode == 1
    assert "FAIL tests/booked.flowtest" in failed.stdout
    assert "-agent: Your consultation is booked. Goodbye!" in failed.stdout
    assert "+agent: Your consultation is booked. Bye now!" in failed.stdout
    line = next(i for i, text in enumerate(test_text.splitlines(), 1) if "Goodbye!" in text)
    assert f"tests/booked.flowtest:{line}: the transcript differs" in failed.stdout


def test_coverage_names_each_edge_never_taken_with_its_shortest_path(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    result = flowc(
        "test", "examples/tests/make_appointment_calendar_down.flowtest", "--coverage",
        "--coverage-json", str(report), cwd=EXAMPLES.parent,
    )
    assert result.returncode == 0, result.stdout
    assert "action MakeAppointment (examples/lib/appointments.flow): steps 2/7, edges 2/12" \
        in result.stdout
    assert "    never taken: line 39 request booking: on error -> exit Fail\n" in result.stdout
    assert ("      shortest path: line 23 collect preferred_time -> line 26 request slots -> "
            "line 32 talk -> line 33 collect choice -> line 37 if (false) -> "
            "line 39 request booking\n") in result.stdout
    [body] = json.loads(report.read_text(encoding="utf-8"))["bodies"]
    untaken = {u["edge"]: u["shortest_path"] for u in body["untaken"]}
    assert untaken["line 23 collect preferred_time: on no_answer -> exit Fail"] == [
        "line 23 collect preferred_time"
    ]
    assert untaken["line 37 if: if true -> line 23 collect preferred_time"] == [
        "line 23 collect preferred_time",
        "line 26 request slots",
        "line 32 talk",
        "line 33 collect choice",
        "line 37 if",
    ]


def test_the_example_tests_take_every_edge_of_every_example(tmp_path: Path) -> None:
    report = tmp_path / "coverage.json"
    result = flowc("test", "examples/tests", "--coverage-json", str(report), cwd=EXAMPLES.parent)
    assert result.returncode == 0, result.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["edges"]["taken"] == document["edges"]["total"]
    assert {(b["kind"], b["name"]) for b in document["bodies"]} >= {
        ("flow", "LegalIntake"), ("action", "MakeAppointment"), ("flow", "SupportLine"),
        ("action", "VerifyIdentity"), ("flow", "LeadCapture"), ("after call", "LeadCapture"),
        ("flow", "BankLine"),
    }


def test_junit_and_exit_statuses(tmp_path: Path) -> None:
    good = EXAMPLES / "tests" / "make_appointment_booked.flowtest"
    shutil.copy(good, tmp_path / "good.flowtest")
    text = good.read_text(encoding="utf-8").replace("../lib/", str(EXAMPLES / "lib") + "/")
    (tmp_path / "good.flowtest").write_text(text, encoding="utf-8")
    (tmp_path / "bad.flowtest").write_text(text.replace("bk-0001", "bk-0002", 1),
                                           encoding="utf-8")
    (tmp_path / "broken.flowtest").write_text(text.replace("stub slots", "stub slotz"),
                                              encoding="utf-8")
    junit = tmp_path / "results.xml"
    result = flowc("test", "--junit", str(junit), cwd=tmp_path)
    assert result.returncode == 1
    assert "1 passed, 1 failed, 1 error" in result.stdout
    assert "broken.flowtest:7:6: error[E0706]" in result.stdout
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    statuses = {case.get("classname"): [child.tag for child in case] for case in suite}
    assert statuses == {"bad.flowtest": ["failure"], "broken.flowtest": ["error"],
                        "good.flowtest": []}

    assert flowc("test", "good.flowtest", cwd=tmp_path).returncode == 0
    missing = flowc("test", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2 and "'nowhere' does not exist" in missing.stderr
    (tmp_path / "empty").mkdir()
    assert flowc("test", "empty", cwd=tmp_path).returncode == 2


def test_a_bare_flowc_test_runs_the_folders_the_projects_pyproject_names(
    tmp_path: Path,
) -> None:
    broken = record_a_booking(tmp_path, copy_example(tmp_path))
    fixtures = tmp_path / "fixtures"  # a test that fails on purpose, outside test-paths
    fixtures.mkdir()
    (fixtures / "broken.flowtest").write_text(
        broken.replace("../legal_intake_local.flow", "../missing.flow"), encoding="utf-8"
    )
    assert flowc("test", cwd=tmp_path).returncode == 1  # without the setting: every file

    (tmp_path / "pyproject.toml").write_text('[tool.flowc]\ntest-paths = ["tests"]\n')
    (tmp_path / "tests" / "deeper").mkdir()
    from_root = flowc("test", cwd=tmp_path)
    from_below = flowc("test", cwd=tmp_path / "tests" / "deeper")
    assert from_root.returncode == 0, from_root.stdout
    assert "1 passed, 0 failed, 0 errors" in from_root.stdout
    assert from_below.returncode == 0, from_below.stdout  # the nearest pyproject.toml
    assert flowc("test", "fixtures", cwd=tmp_path).returncode == 1  # named paths win

    (tmp_path / "pyproject.toml").write_text('[tool.flowc]\ntest-paths = "tests"\n')
    misconfigured = flowc("test", cwd=tmp_path)
    assert misconfigured.returncode == 2
    assert "[tool.flowc] test-paths must be a list of folder names" in misconfigured.stderr
    assert "Traceback" not in misconfigured.stderr
