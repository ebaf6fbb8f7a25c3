"""`flowc diff`'s classification, change by change: each case is two versions of one action.

The interfaces come from real library folders (checked as `flowc diff` checks
them); the bump rules are the issue's: a use that may no longer check is major,
something new that old uses need not know is minor, the rest is patch.
"""

from __future__ import annotations

import pytest
from flowc.library.manifest import LibraryInterface, check_library
from flowc.library.project import read_project
from flowc.library.semver import (
    Bump,
    bump_between,
    interface_changes,
    required_bump,
    smallest_version,
)
from packaging.version import Version

from tests.libraries.conftest import MakeLibrary

META = """\
  meta {
    title: "Book a slot"
    integration: "Calendar"
    description: "Books the slot the caller chooses in the shared calendar."
    icon: "calendar"
    publish: organization
  }
"""
INPUTS = """\
  input who: text
  input base_url: text = "https://calendar.example.com" configurable "Calendar API base URL"
"""
OUTPUTS = """\
  output Done(booking_id: text)
  output Failed
"""
BODY = """\
  if who == "" -> Failed
  exit Done(booking_id = who)
"""


def action(meta: str = META, inputs: str = INPUTS, outputs: str = OUTPUTS, body: str = BODY) -> str:
    return f"action Book {{\n{meta}\n{inputs}\n{outputs}\n{body}}}\n"


BASE = action()

CASES = {
    "new output": (
        action(
            outputs=OUTPUTS + "  output Busy\n", body=BODY.replace('"" -> Failed', '"" -> Busy')
        ),
        [(Bump.MAJOR, "new output 'Busy': every run of Book must connect it")],
    ),
    "removed output": (
        action(outputs="  output Done(booking_id: text)\n", body="  exit Done(booking_id = who)\n"),
        [(Bump.MAJOR, "output 'Failed' was removed (or renamed)")],
    ),
    "renamed field": (
        action(
            outputs=OUTPUTS.replace("booking_id", "reference"),
            body=BODY.replace("booking_id", "reference"),
        ),
        [
            (Bump.MAJOR, "field 'booking_id' of output 'Done' was removed (or renamed)"),
            (Bump.MINOR, "new field 'reference' on output 'Done'"),
        ],
    ),
    "changed field type": (
        action(
            outputs=OUTPUTS.replace("booking_id: text", "booking_id: number"),
            body=BODY.replace("booking_id = who", "booking_id = 7"),
        ),
        [(Bump.MAJOR, "field 'booking_id' of output 'Done' changed type from text to number")],
    ),
    "new input without a default": (
        action(inputs=INPUTS + "  input day: date\n"),
        [(Bump.MAJOR, "new input 'day' has no default: every use must pass it")],
    ),
    "new input with a default": (
        action(inputs=INPUTS + '  input note: text = "none"\n'),
        [(Bump.MINOR, "new input 'note' with a default")],
    ),
    "changed input type": (
        action(inputs=INPUTS.replace("who: text", "who: phone"), body=BODY.replace(
            'if who == "" -> Failed', 'if who == "+15550000000" -> Failed'
        ).replace("booking_id = who", 'booking_id = "x"')),
        [(Bump.MAJOR, "input 'who' changed type from text to phone")],
    ),
    "input no longer configurable": (
        action(inputs=INPUTS.replace(' configurable "Calendar API base URL"', "")),
        [
            (Bump.MAJOR, "input 'base_url' stopped being configurable: a use passing it breaks"),
            (Bump.PATCH, "input 'base_url' label 'Calendar API base URL' became None"),
        ],
    ),
    "input lost its default": (
        action(inputs=INPUTS.replace(' = "https://calendar.example.com"', "")),
        [(Bump.MAJOR, "input 'base_url' lost its default: every use must pass it")],
    ),
    "removed input": (
        action(inputs="  input who: text\n"),
        [(Bump.MAJOR, "input 'base_url' was removed")],
    ),
    "new field": (
        action(
            outputs=OUTPUTS.replace("booking_id: text", "booking_id: text, link: text"),
            body=BODY.replace("booking_id = who", 'booking_id = who, link = "x"'),
        ),
        [(Bump.MINOR, "new field 'link' on output 'Done'")],
    ),
    "the action's own version": (
        action(meta=META.replace("    publish:", '    version: "1.1.0"\n    publish:')),
        [],  # it follows the library's
    ),
    "changed description": (
        action(meta=META.replace("the shared calendar", "our calendar")),
        [(Bump.PATCH, "meta 'description' 'Books the slot the caller chooses in the shared "
                      "calendar.' became 'Books the slot the caller chooses in our calendar.'")],
    ),
    "a changed default": (
        action(inputs=INPUTS.replace("calendar.example.com", "cal.example.com")),
        [(Bump.PATCH, "input 'base_url' default \"https://calendar.example.com\" became "
                      "\"https://cal.example.com\"")],
    ),
    "the body alone": (action(body='  talk "Booking."\n' + BODY), []),
    "demoted to a draft": (
        action(meta=META.replace("publish: organization", "publish: draft")) + BASE.replace(
            "action Book", "action Other"),
        [(Bump.MAJOR, "the action was removed (or became a draft)")],
    ),
}  # fmt: skip


def interface(make_library: MakeLibrary, text: str, folder: str) -> LibraryInterface:
    return check_library(read_project(make_library({"book.flow": text}, folder=folder))).interface


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_change_is_classified(make_library: MakeLibrary, case: str) -> None:
    new_text, expected = CASES[case]
    old = interface(make_library, BASE, "old")
    new = interface(make_library, new_text, "new")
    changes = interface_changes(old, new)
    book = [(c.bump, c.description) for c in changes if c.action == "Book"]
    assert book == expected
    assert required_bump(changes) == max((bump for bump, _ in expected), default=None)


def test_new_metadata_is_minor(make_library: MakeLibrary) -> None:
    old = interface(make_library, action(meta=META.replace('    icon: "calendar"\n', "")), "old")
    new = interface(make_library, BASE, "new")
    assert [str(c) for c in interface_changes(old, new)] == [
        "minor: Book: new meta 'icon': 'calendar'"
    ]


def test_a_new_action_is_minor(make_library: MakeLibrary) -> None:
    old = interface(make_library, BASE, "old")
    new = interface(make_library, BASE + BASE.replace("action Book", "action Cancel"), "new")
    assert [str(c) for c in interface_changes(old, new)] == ["minor: Cancel: new action"]


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "1.0.1", Bump.PATCH),
        ("1.0.0", "1.1.0", Bump.MINOR),
        ("1.4.2", "2.0.0", Bump.MAJOR),
        ("0.9.3", "1.0.0", Bump.MAJOR),
        ("1.0.0", "1.0.0", None),
        ("1.2.0", "1.1.9", None),
    ],
)
def test_the_bump_between_two_versions(old: str, new: str, bump: Bump | None) -> None:
    assert bump_between(Version(old), Version(new)) == bump


def test_the_smallest_version_for_each_bump() -> None:
    old = Version("1.4.2")
    assert [str(smallest_version(old, b)) for b in Bump] == ["1.4.3", "1.5.0", "2.0.0"]
