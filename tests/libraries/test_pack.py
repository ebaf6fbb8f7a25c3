"""`flowc pack`: what the wheel and sdist hold; drafts; and what a library project must give.

The example library is packed once (conftest.py, a real `flowc pack` with
setuptools behind `build`); small projects in tmp show drafts and mistakes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from flowc.pipeline import check_files

from tests.libraries.conftest import MakeLibrary, Packed
from tests.libraries.support import flowc, require_modules

PUBLISHED = """\
action Greet {
  meta {
    title: "Greet"
    integration: "Front desk"
    publish: organization
  }
  input who: text
  output Done
  talk "Hello {{who}}."
  run h = Helper()
    on Done -> Done
}
"""
HELPER = """\
action Helper {
  meta { publish: draft }
  output Done
  talk "Helping."
  exit Done
}
"""
DRAFT_ONLY = """\
action Sketch {
  output Done
  talk "Not yet."
  exit Done
}
"""


def test_the_wheel_holds_sources_generated_modules_and_the_manifest(packed_example: Packed) -> None:
    assert {
        "booking_actions/__init__.py",
        "booking_actions/appointments.flow",
        "booking_actions/appointments.py",
        "booking_actions/identity.flow",
        "booking_actions/identity.py",
        "booking_actions/flowc-manifest.json",
        "booking_actions-1.0.0.dist-info/METADATA",
    } <= packed_example.names()
    with tarfile.open(packed_example.sdist) as sdist:
        names = sdist.getnames()
    assert "booking_actions-1.0.0/booking_actions/appointments.flow" in names
    assert "booking_actions-1.0.0/booking_actions/flowc-manifest.json" in names


def test_the_manifest_describes_every_action(packed_example: Packed) -> None:
    manifest = json.loads(
        (packed_example.site / "booking_actions" / "flowc-manifest.json").read_text()
    )
    assert (manifest["library"], manifest["version"]) == ("booking-actions", "1.0.0")
    actions = {a["name"]: a for a in manifest["actions"]}
    assert sorted(actions) == ["MakeAppointment", "VerifyIdentity"]
    book = actions["MakeAppointment"]
    assert {k: book[k] for k in ("title", "integration", "icon", "version", "publish")} == {
        "title": "Make Appointment",
        "integration": "Legal Calendar",
        "icon": "calendar",
        "version": "1.0.0",
        "publish": "marketplace",
    }
    assert book["inputs"][2] == {
        "name": "api_key",
        "type": "secret",
        "default": 'env("CALENDAR_API_KEY")',
        "configurable": True,
        "label": "Booking API key",
    }
    assert book["outputs"][0] == {
        "name": "Success",
        "fields": [
            {"name": "booking_id", "type": "text"},
            {"name": "meeting_link", "type": "text"},
        ],
    }
    assert book["fingerprint"].startswith("sha256:")
    assert book["fingerprint"] != actions["VerifyIdentity"]["fingerprint"]


def test_a_generated_module_imports_with_the_runtime_alone(packed_example: Packed) -> None:
    probe = (
        "import sys, booking_actions.appointments as m; "
        "print(m.ACTION_MakeAppointment.name, 'flowc' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=packed_example.site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "MakeAppointment False\n"


def test_drafts_are_left_out(make_library: MakeLibrary, tmp_path: Path) -> None:
    require_modules("build")
    library = make_library({"greet.flow": f'from "helper.flow" import Helper\n{PUBLISHED}',
                            "helper.flow": HELPER, "sketch.flow": DRAFT_ONLY})  # fmt: skip
    result = flowc("pack", library, "-o", tmp_path / "dist", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("acme_actions/flowc-manifest.json"))
    assert [a["name"] for a in manifest["actions"]] == ["Greet"]
    # helper.flow ships: the published Greet runs its draft; sketch.flow is only a draft.
    assert {"acme_actions/greet.flow", "acme_actions/helper.flow"} <= names
    assert "acme_actions/sketch.flow" not in names
    assert "acme_actions/sketch.py" not in names


def test_a_draft_imported_from_outside_its_library_is_an_error(
    make_library: MakeLibrary, tmp_path: Path
) -> None:
    library = make_library(
        {"greet.flow": f'from "helper.flow" import Helper\n{PUBLISHED}', "helper.flow": HELPER}
    )
    consumer = tmp_path / "consumer.flow"
    consumer.write_text(
        'from acme_actions import Greet, Helper\n\nflow Desk {\n  talk "Hello."\n'
        "  run h = Helper()\n    on Done -> greet\n"
        "  greet:\n  run g = Greet(who = call.caller)\n    on Done -> bye\n"
        '  bye:\n  end "Bye."\n}\n'
    )
    result = flowc("check", consumer.name, cwd=tmp_path, env={"PYTHONPATH": str(library)})
    assert result.returncode == 1
    assert result.stdout.startswith(
        "consumer.flow:1:33: error[E0801]: 'Helper' is a draft of the library 'acme_actions': "
        "only the library's own files may use it\n"
    )
    assert "note: 'Helper' is declared here, without `publish: organization`" in result.stdout
    assert "help: its author publishes it with `publish: organization`" in result.stdout
    assert result.stdout.rstrip().endswith("1 error, 0 warnings")


def test_the_library_itself_may_import_its_drafts_by_package(
    make_library: MakeLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = make_library(
        {"greet.flow": f"from acme_actions import Helper\n{PUBLISHED}", "helper.flow": HELPER}
    )
    monkeypatch.syspath_prepend(str(library))
    result = check_files([str(library / "acme_actions" / "greet.flow")])
    assert [d.code for d in result.diagnostics] == []


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        (
            '[project]\nname = "acme-actions"\n',
            "pyproject.toml:1:1: error[E0802]: [project] gives no 'version'",
        ),
        (
            '[project]\nname = "acme-actions"\nversion = "one"\n',
            "pyproject.toml:3:1: error[E0802]: 'one' is not a version",
        ),
        (
            '[project]\nname = "acme-actions"\ndynamic = ["version"]\n',
            "pyproject.toml:1:1: error[E0802]: the version is dynamic: flowc compares versions "
            "before building, so it must be written",
        ),
        ('[tool.x]\nname = "acme-actions"\n', "pyproject.toml:1:1: error[E0802]: pyproject.toml "
         "has no [project] table"),
    ],
)  # fmt: skip
def test_a_library_project_needs_a_name_and_a_version(
    make_library: MakeLibrary, tmp_path: Path, pyproject: str, expected: str
) -> None:
    library = make_library({"greet.flow": PUBLISHED}, pyproject=pyproject)
    result = flowc("pack", "lib", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(f"lib/{expected}\n"), result.stdout
    assert result.stderr == ""
    assert not (library / "dist").exists()


def test_a_library_of_drafts_has_nothing_to_publish(
    make_library: MakeLibrary, tmp_path: Path
) -> None:
    make_library({"sketch.flow": DRAFT_ONLY})
    result = flowc("pack", "lib", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "lib/pyproject.toml:6:1: error[E0804]: acme-actions has no action to publish: "
        "every action of the library is a draft\n"
    )


def test_a_library_that_does_not_check_is_not_packed(
    make_library: MakeLibrary, tmp_path: Path
) -> None:
    unconnected = PUBLISHED.replace("    on Done -> Done\n", "")
    library = make_library({"greet.flow": f'from "helper.flow" import Helper\n{unconnected}',
                            "helper.flow": HELPER})  # fmt: skip
    result = flowc("pack", "lib", cwd=tmp_path)
    assert result.returncode == 1
    assert "\nlib/acme_actions/greet.flow:11:3: error[E0301]: " in result.stdout
    assert result.stdout.rstrip().endswith("1 error, 1 warning")
    assert not (library / "dist").exists()


def test_a_folder_that_is_no_library_is_a_usage_error(tmp_path: Path) -> None:
    result = flowc("pack", "nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("flowc: error: 'nowhere' is not a folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = flowc("pack", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("flowc: error: 'empty' is not a library project: cannot read")
