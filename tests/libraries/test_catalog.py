"""`flowc catalog`: the Add Action menu of a project, in text, JSON, and HTML that Chromium renders.

The project has an action of its own (a draft: the project's own may use it) and
sees the packed example library as installed (its unpacked wheel on PYTHONPATH,
where importlib.metadata finds its .dist-info).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flowc.checker.meta import ICONS
from flowc.library.catalog import GLYPHS

from tests.libraries.conftest import Packed
from tests.libraries.support import flowc, require

OWN_ACTION = """\
action TakeMessage {
  meta {
    title: "Take a message"
    integration: "Front desk"
    description: "Records a message for the team."
    icon: "message"
  }
  output Taken(text: text)
  on no_answer -> Taken(text = "")
  collect words: text
    prompt "What is your message?"
  exit Taken(text = words)
}
"""
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    folder.mkdir()
    (folder / "messages.flow").write_text(OWN_ACTION, encoding="utf-8")
    return folder


def catalog(project: Path, packed: Packed, *argv: str) -> subprocess.CompletedProcess[str]:
    return flowc("catalog", *argv, cwd=project, env={"PYTHONPATH": str(packed.site)})


def test_every_icon_of_the_set_has_its_glyph() -> None:
    assert set(GLYPHS) == set(ICONS)


def test_the_text_menu_groups_actions_by_integration(project: Path, packed_example: Packed) -> None:
    result = catalog(project, packed_example)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line and not line.startswith(" ")] == [
        "Customer Records",
        "Front desk",
        "Legal Calendar",
    ]
    assert "  📅 Make Appointment (MakeAppointment 1.0.0, booking-actions 1.0.0)" in lines
    assert "  📨 Take a message (TakeMessage, this project)" in lines
    assert '      field  api_key: secret = env("CALENDAR_API_KEY") "Booking API key"' in lines
    assert "      input  client_name: text" in lines
    assert "      output Success(booking_id: text, meeting_link: text)" in lines


def test_the_json_menu(project: Path, packed_example: Packed) -> None:
    result = catalog(project, packed_example, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    by_integration = {g["name"]: [a["name"] for a in g["actions"]] for g in data["integrations"]}
    assert by_integration == {
        "Customer Records": ["VerifyIdentity"],
        "Front desk": ["TakeMessage"],
        "Legal Calendar": ["MakeAppointment"],
    }
    (own,) = data["integrations"][1]["actions"]
    assert (own["publish"], own["library"]) == ("draft", None)


def test_the_html_menu_renders_in_chromium(
    project: Path, packed_example: Packed, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require("chromium", chromium is not None, "apt-get install chromium")
    assert chromium is not None
    page = tmp_path / "catalog.html"
    result = catalog(project, packed_example, "--format", "html", "-o", str(page))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {page}\n"
    browser = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr
    assert "<title>Actions for desk</title>" in dom.stdout
    for name in ("MakeAppointment", "VerifyIdentity", "TakeMessage"):
        assert f'data-action="{name}"' in dom.stdout
    assert "<h3><span" in dom.stdout and "Make Appointment</h3>" in dom.stdout
    assert "Fields you set" in dom.stdout
    shot = tmp_path / "catalog.png"
    taken = subprocess.run(
        [*browser, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert taken.returncode == 0, taken.stderr
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 10_000, "a page with content, not a blank one"
