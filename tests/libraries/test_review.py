"""`flowc review`: the marketplace's bar, finding by finding, and `flowc publish` enforcing it.

The findings are diagnostics at the line they are about; the tests are the
library's own .flowtest files, run by compiler/testing (as `flowc test` runs them).
"""

from __future__ import annotations

from pathlib import Path

from tests.libraries.conftest import MakeLibrary
from tests.libraries.support import (
    copy_library,
    flowc,
    publisher_env,
    require_modules,
    running_pypiserver,
)

CARELESS = """\
action Lookup {
  meta {
    title: "Lookup"
    integration: "Records"
    description: "Finds it."
    icon: "rocket"
    publish: marketplace
  }
  input token: secret = "sk-live-1234" configurable "API token"
  input region: text = "eu" configurable
  input records_url: text = "https://records.example.com"
  output Found(id: text)
  on error -> Found(id = "none")
  request r = GET "https://records.example.com/v1/lookup"
    headers { "Authorization": "Bearer abc", "X-Token": token }
    expect { id: text }
  exit Found(id = r.id)
}
"""

FINDINGS = [
    "lib/acme_actions/lookup.flow:1:8: error[E0816]: marketplace action 'Lookup' has no tests",
    "lib/acme_actions/lookup.flow:2:3: error[E0810]: marketplace action 'Lookup' gives no "
    "version in its meta",
    "lib/acme_actions/lookup.flow:5:18: error[E0812]: the description of 'Lookup' is 9 "
    "characters: a re-user choosing from the menu needs at least 40",
    "lib/acme_actions/lookup.flow:6:11: error[E0811]: 'rocket' is not an icon of the Add "
    "Action menu",
    "lib/acme_actions/lookup.flow:9:25: error[E0814]: the default of secret input 'token' is "
    "written in the action: every re-user would send the author's secret",
    "lib/acme_actions/lookup.flow:10:3: error[E0813]: configurable input 'region' of 'Lookup' "
    "has no label",
    "lib/acme_actions/lookup.flow:11:3: error[E0815]: input 'records_url' of 'Lookup' fixes the "
    "address https://records.example.com",
    "lib/acme_actions/lookup.flow:14:19: error[E0815]: request 'r' of 'Lookup' calls an address "
    "written in the action",
    "lib/acme_actions/lookup.flow:15:32: error[E0814]: 'Authorization' is written in the "
    "action: every re-user would send the author's secret",
]


def test_the_example_library_passes_the_review(tmp_path: Path) -> None:
    library = copy_library(tmp_path / "booking-actions")
    result = flowc("review", library, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (
        "booking-actions 1.0.0: the marketplace review passed "
        "(MakeAppointment; 2 of 2 tests passed)\n"
    )


def test_each_finding_is_a_diagnostic_at_its_line(
    make_library: MakeLibrary, tmp_path: Path
) -> None:
    make_library({"lookup.flow": CARELESS})
    result = flowc("review", "lib", cwd=tmp_path)
    assert result.returncode == 1
    headlines = [line for line in result.stdout.splitlines() if ": error[" in line]
    assert headlines == FINDINGS
    assert "= note: icons: alert, bell, calendar," in result.stdout
    assert '= help: write `configurable "Region"`' in result.stdout
    assert '`input token: secret = env("TOKEN") configurable "Token"`' in result.stdout
    assert result.stdout.endswith(
        "9 errors, 0 warnings\nacme-actions 1.0.0: the marketplace review did not pass "
        "(0 of 0 tests passed)\n"
    )


def test_a_failing_test_of_an_action_is_a_finding(tmp_path: Path) -> None:
    library = copy_library(tmp_path / "booking-actions")
    test = library / "tests" / "make_appointment_api_down.flowtest"
    test.write_text(test.read_text().replace("availability lookup failed", "it is down"))
    result = flowc("review", library, cwd=tmp_path)
    assert result.returncode == 1
    assert "appointments.flow:2:8: error[E0817]: 1 test of 'MakeAppointment' did not pass" in (
        result.stdout
    )
    assert "make_appointment_api_down.flowtest: failed" in result.stdout
    assert 'Fail(reason = "it is down")' in result.stdout
    assert result.stdout.endswith("did not pass (1 of 2 tests passed)\n")


def test_publish_refuses_a_library_that_fails_the_review(
    make_library: MakeLibrary, tmp_path: Path
) -> None:
    require_modules("build", "twine")
    make_library({"lookup.flow": CARELESS})
    with running_pypiserver(tmp_path / "index") as index:
        result = flowc(
            "publish", "lib", "--repository", index.url, cwd=tmp_path, env=publisher_env()
        )
        served = list(index.packages.iterdir())
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if ": error[" in line] == FINDINGS
    assert served == []


def test_organization_actions_are_not_reviewed(make_library: MakeLibrary, tmp_path: Path) -> None:
    make_library({"lookup.flow": CARELESS.replace("marketplace", "organization")})
    result = flowc("review", "lib", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == (
        "acme-actions 1.0.0: no action is published to the marketplace; nothing to review\n"
    )


def test_a_test_that_does_not_parse_is_a_finding_at_its_first_line(tmp_path: Path) -> None:
    library = copy_library(tmp_path / "booking-actions")
    (library / "tests" / "broken.flowtest").write_text(
        'action MakeAppointment from "../booking_actions/appointments.flow"\nstub slots: 200 {\n'
    )
    result = flowc("review", library, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"{library}/tests/broken.flowtest:1:1: error[E0817]: the test broken.flowtest does not "
        "check: whatever action it tests cannot pass the review\n"
    )
    assert "error[E0701]: the answer's JSON body is not valid JSON" in result.stdout, "a note"
    assert result.stdout.count("error[E0817]") == 1
    assert result.stdout.endswith("did not pass (2 of 3 tests passed)\n")
