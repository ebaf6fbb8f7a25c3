"""SLOW (about a minute, marker `slow`): an action library's releases, end to end, with real parts.

One scenario, run once for the module (`lifecycle`), each step's outcome kept for
the tests below to judge one by one:

1. `flowc publish` uploads booking-actions 1.0.0 (examples/libraries/booking-actions)
   with twine to a local pypiserver, with a password, as an organization's index;
2. a fresh venv installs it from that index with pip; a consumer project in
   another folder (`from booking_actions import MakeAppointment`) is checked,
   built and run against it, booking through the example booking API;
3. a breaking change (a new output, a renamed field) is refused as 1.1.0 and
   published as 2.0.0; `flowc diff` lists the changes from the index;
4. `flowc upgrade --check booking-actions==2.0.0` names the consumer's broken use
   sites before anything is installed; after `pip install -U`, `flowc check` does;
5. an index that is down, and an upload with a wrong password, are clear errors.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from examples.run_demo import CALLER_TURNS, start_booking_api
from tests.libraries.support import (
    LocalIndex,
    Venv,
    copy_library,
    flowc,
    publisher_env,
    require_modules,
    running_pypiserver,
    set_version,
)
from tests.support.http_server import unused_port
from tests.support.processes import stop

pytestmark = pytest.mark.slow

API_KEY = "library-test-key"
CONSUMER_FLOW = """\
from booking_actions import MakeAppointment

flow Intake {
  on no_answer -> goodbye

  talk "Thank you for calling."
  collect name: text
    prompt "May I have your full name?"

  run book = MakeAppointment(client_name = name, calendar_url = env("BOOKING_API_URL") as text)
    on Success -> confirmed
    on Fail -> goodbye
    on NotInterested -> goodbye

  confirmed:
  end "You are booked, reference {{book.booking_id}}. Goodbye!"

  goodbye:
  end "Goodbye."
}
"""

Result = subprocess.CompletedProcess[str]


@dataclass
class Lifecycle:
    index: LocalIndex
    consumer: Path
    catalog_html: Path
    published_v1: Result
    installed_v1: Result
    check_v1: Result
    build_v1: Result
    run_v1: Result
    catalog_v1: Result
    republished_v1: Result
    refused_minor: Result
    published_v2: Result
    diff: Result
    upgrade_check: Result
    installed_after_check: str
    upgraded: Result
    check_v2: Result
    index_down: Result
    upload_refused: Result


def make_breaking_change(library: Path) -> None:
    """MakeAppointment gets an output Cancelled and renames Success's booking_id to
    reference; its tests follow, so the marketplace review still passes."""
    flow = library / "booking_actions" / "appointments.flow"
    text = flow.read_text(encoding="utf-8")
    for old, new in [
        ("output Success(booking_id: text,", "output Success(reference: text,"),
        ("  output NotInterested\n", "  output NotInterested\n  output Cancelled\n"),
        ('"neither"]', '"neither", "cancel"]'),
        ('  if choice == "neither" -> ask_time\n',
         '  if choice == "neither" -> ask_time\n  if choice == "cancel" -> Cancelled\n'),
        ("exit Success(booking_id =", "exit Success(reference ="),
    ]:  # fmt: skip
        assert old in text, old
        text = text.replace(old, new)
    flow.write_text(text, encoding="utf-8")
    for test in (library / "tests").glob("*.flowtest"):
        test.write_text(test.read_text().replace("booking_id =", "reference ="))


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lifecycle]:
    require_modules("build", "twine")
    work = tmp_path_factory.mktemp("releases")
    with running_pypiserver(work / "index") as index:
        yield _play(index, work)


def _play(index: LocalIndex, work: Path) -> Lifecycle:
    credentials = publisher_env()
    repository = ("--repository", index.url)
    v1 = copy_library(work / "v1")
    published_v1 = flowc("publish", v1, *repository, cwd=work, env=credentials)
    if published_v1.returncode != 0:
        pytest.fail(f"publishing 1.0.0 failed:\n{published_v1.stdout}{published_v1.stderr}")

    venv = Venv.create(work / "venv")
    installed_v1 = venv.pip("install", "--index-url", index.simple, "booking-actions==1.0.0")
    consumer = work / "consumer"
    consumer.mkdir()
    (consumer / "intake.flow").write_text(CONSUMER_FLOW, encoding="utf-8")
    in_venv = {"python": venv.python, "cwd": consumer}
    check_v1 = flowc("check", "intake.flow", **in_venv)
    build_v1 = flowc("build", "intake.flow", "-o", "out", **in_venv)
    server, booking_url = start_booking_api(API_KEY)
    try:
        run_v1 = flowc(
            "run", "intake.flow", **in_venv,
            env={"CALENDAR_API_KEY": API_KEY, "BOOKING_API_URL": booking_url},
            stdin="".join(f"{turn}\n" for turn in CALLER_TURNS),
        )  # fmt: skip
    finally:
        stop(server)
    catalog_html = work / "catalog.html"
    catalog_v1 = flowc("catalog", "--format", "html", "-o", catalog_html, **in_venv)

    republished_v1 = flowc("publish", v1, *repository, cwd=work, env=credentials)
    breaking = copy_library(work / "breaking")
    make_breaking_change(breaking)
    set_version(breaking, "1.1.0")
    refused_minor = flowc("publish", breaking, *repository, cwd=work, env=credentials)
    set_version(breaking, "2.0.0")
    published_v2 = flowc("publish", breaking, *repository, cwd=work, env=credentials)
    diff = flowc(
        "diff", "booking-actions==1.0.0", "booking-actions==2.0.0", "--index-url", index.simple,
        cwd=work,
    )  # fmt: skip

    upgrade_check = flowc(
        "upgrade", "--check", "booking-actions==2.0.0", **in_venv,
        env={"PIP_INDEX_URL": index.simple},
    )  # fmt: skip
    shown = venv.pip("show", "booking-actions").stdout.splitlines()
    versions = [line.removeprefix("Version:").strip() for line in shown if "Version:" in line]
    installed_after_check = versions[0] if versions else "(not installed)"
    upgraded = venv.pip("install", "--upgrade", "--index-url", index.simple, "booking-actions")
    check_v2 = flowc("check", "intake.flow", **in_venv)

    set_version(breaking, "2.0.1")
    nobody = f"http://127.0.0.1:{unused_port()}/"
    index_down = flowc("publish", breaking, "--repository", nobody, cwd=work, env=credentials)
    wrong_password = {**credentials, "TWINE_PASSWORD": "not the password"}
    upload_refused = flowc("publish", breaking, *repository, cwd=work, env=wrong_password)
    return Lifecycle(
        index, consumer, catalog_html, published_v1, installed_v1, check_v1, build_v1, run_v1,
        catalog_v1, republished_v1, refused_minor, published_v2, diff, upgrade_check,
        installed_after_check, upgraded, check_v2, index_down, upload_refused,
    )  # fmt: skip


def output(result: Result) -> str:
    return result.stdout + result.stderr


def test_publish_uploads_the_wheel_and_the_sdist_to_the_index(lifecycle: Lifecycle) -> None:
    assert "first release of booking-actions" in lifecycle.published_v1.stdout
    assert "published booking-actions 1.0.0" in lifecycle.published_v1.stdout
    served = sorted(p.name for p in lifecycle.index.packages.iterdir())
    assert "booking_actions-1.0.0-py3-none-any.whl" in served
    assert "booking_actions-1.0.0.tar.gz" in served


def test_a_fresh_venv_installs_the_library_from_the_index(lifecycle: Lifecycle) -> None:
    assert lifecycle.installed_v1.returncode == 0, output(lifecycle.installed_v1)
    assert "Successfully installed booking-actions-1.0.0" in lifecycle.installed_v1.stdout


def test_the_consumer_checks_builds_and_runs_against_the_installed_library(
    lifecycle: Lifecycle,
) -> None:
    assert lifecycle.check_v1.returncode == 0, output(lifecycle.check_v1)
    assert lifecycle.check_v1.stdout == ""
    assert lifecycle.build_v1.returncode == 0, output(lifecycle.build_v1)
    # The library's modules come compiled in its wheel: the flow imports them, by the
    # name they are installed as, and the build writes only the flow's own module.
    out = lifecycle.consumer / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py")) == ["intake.py"]
    assert "import booking_actions.appointments as" in (out / "intake.py").read_text("utf-8")
    run = lifecycle.run_v1
    assert run.returncode == 0, output(run)
    assert "agent: Which one would you prefer?" in run.stdout
    assert "agent: You are booked, reference BK-0001. Goodbye!" in run.stdout
    assert run.stdout.rstrip().endswith("end: ended")


def test_publishing_the_same_version_again_is_refused(lifecycle: Lifecycle) -> None:
    result = lifecycle.republished_v1
    assert result.returncode == 1, output(result)
    assert "error[E0803]: version 1.0.0 is not after 1.0.0, the latest on" in result.stdout
    assert 'help: write `version = "1.0.1"`' in result.stdout


def test_a_breaking_change_is_refused_as_a_minor_release_naming_each_change(
    lifecycle: Lifecycle,
) -> None:
    result = lifecycle.refused_minor
    assert result.returncode == 1, output(result)
    assert "pyproject.toml:10:1: error[E0803]: version 1.1.0 is a minor release, but the " \
        "changes since 1.0.0 need a major one" in result.stdout  # fmt: skip
    assert "MakeAppointment: field 'booking_id' of output 'Success' was removed (or renamed) " \
        "(needs major)" in result.stdout  # fmt: skip
    assert "MakeAppointment: new output 'Cancelled': every run of MakeAppointment must " \
        "connect it (needs major)" in result.stdout  # fmt: skip
    assert "MakeAppointment: new field 'reference'" not in result.stdout, "minor: not named"
    assert 'help: write `version = "2.0.0"`' in result.stdout
    assert not any("1.1.0" in p.name for p in lifecycle.index.packages.iterdir())


def test_the_breaking_change_is_published_as_a_major_release(lifecycle: Lifecycle) -> None:
    result = lifecycle.published_v2
    assert result.returncode == 0, output(result)
    assert "since booking-actions 1.0.0:" in result.stdout
    assert "  major: MakeAppointment: new output 'Cancelled'" in result.stdout
    assert "published booking-actions 2.0.0" in result.stdout


def test_diff_between_two_releases_on_the_index(lifecycle: Lifecycle) -> None:
    result = lifecycle.diff
    assert result.returncode == 0, output(result)
    assert result.stdout.splitlines() == [
        "booking-actions 1.0.0 -> booking-actions 2.0.0",
        "  major: MakeAppointment: field 'booking_id' of output 'Success' was removed (or renamed)",
        "  major: MakeAppointment: new output 'Cancelled': every run of MakeAppointment must "
        "connect it",
        "  minor: MakeAppointment: new field 'reference' on output 'Success'",
        "needs a major release",
    ]


def test_upgrade_check_names_the_broken_use_sites_without_installing(
    lifecycle: Lifecycle,
) -> None:
    result = lifecycle.upgrade_check
    assert result.returncode == 1, output(result)
    assert result.stdout.startswith("booking-actions 2.0.0 (installed: booking-actions 1.0.0)\n")
    assert "intake.flow:10:3: error[E0301]" in result.stdout
    assert "'Cancelled'" in result.stdout
    assert "intake.flow:16:41: error[E0502]" in result.stdout
    assert "upgrading to booking-actions 2.0.0 breaks 2 use sites" in result.stdout
    assert lifecycle.installed_after_check == "1.0.0"


def test_after_the_upgrade_check_names_the_same_use_sites(lifecycle: Lifecycle) -> None:
    assert lifecycle.upgraded.returncode == 0, output(lifecycle.upgraded)
    result = lifecycle.check_v2
    assert result.returncode == 1, output(result)
    errors = [line for line in result.stdout.splitlines() if ": error[" in line]
    assert [e.split(": error[")[0] for e in errors] == ["intake.flow:10:3", "intake.flow:16:41"]
    assert result.stdout.rstrip().endswith("2 errors, 0 warnings")


def test_an_index_that_is_down_is_a_clear_error(lifecycle: Lifecycle) -> None:
    result = lifecycle.index_down
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("flowc: error: the package index http://127.0.0.1:")
    assert "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_upload_with_a_wrong_password_is_a_clear_error(lifecycle: Lifecycle) -> None:
    result = lifecycle.upload_refused
    assert result.returncode == 2, output(result)
    assert result.stderr.startswith(f"flowc: error: {lifecycle.index.url} refused the upload: ")
    assert "403" in result.stderr or "401" in result.stderr
    assert "Traceback" not in output(result)


def test_the_catalog_lists_the_installed_library(lifecycle: Lifecycle) -> None:
    assert lifecycle.catalog_v1.returncode == 0, output(lifecycle.catalog_v1)
    html = lifecycle.catalog_html.read_text(encoding="utf-8")
    assert 'data-action="MakeAppointment"' in html
    assert "booking-actions 1.0.0" in html
