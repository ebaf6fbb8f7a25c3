"""The registry of codes (compiler/codes.py) against the catalogue and the compiler's sources.

docs/diagnostics.md documents each code under the heading `### CODE: title`, in
the section of its phase; a code in one and not the other is a mistake either
way. Codes are written only in the registry: elsewhere a literal "E0101" would
be a code nobody registered or documented.
"""

from __future__ import annotations

import re
from pathlib import Path

from flowc import codes
from flowc.codes import Phase, Severity, all_codes

ROOT = Path(__file__).parents[2]
CATALOGUE = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
CODE_LITERAL = re.compile(r"""["'][EW]\d{4}["']""")


def documented() -> dict[str, tuple[str, str]]:
    """Each documented code -> (its heading's title, the `## ` section it is under)."""
    found: dict[str, tuple[str, str]] = {}
    section = ""
    for line in CATALOGUE.splitlines():
        if line.startswith("## "):
            section = line.removeprefix("## ")
        elif match := re.match(r"### ([EW]\d{4}): (.+)$", line):
            found[match.group(1)] = (match.group(2), section)
    return found


def test_every_registered_code_is_documented_under_its_heading_in_its_phase() -> None:
    expected = {c: (code.summary, code.phase.value) for c, code in all_codes().items()}
    assert documented() == expected


def test_every_phase_has_its_section_in_the_catalogue() -> None:
    sections = {line.removeprefix("## ") for line in CATALOGUE.splitlines()}
    assert {phase.value for phase in Phase} <= sections


def test_warnings_and_only_warnings_have_the_warning_severity() -> None:
    for code in all_codes().values():
        is_warning = code.phase is Phase.WARNINGS
        assert (code.severity is Severity.WARNING) == is_warning, code


def test_the_goldens_show_each_code_with_its_registered_severity() -> None:
    goldens = [*(ROOT / "tests").glob("checker/cases/*.expected")]
    goldens += (ROOT / "tests").glob("parser/golden/*.expected")
    shown = "".join(path.read_text(encoding="utf-8") for path in goldens)
    for severity, code in set(re.findall(r": (error|warning)\[([EW]\d{4})\]", shown)):
        assert codes.lookup(code).severity == severity, code


def test_codes_are_written_nowhere_in_the_compiler_but_the_registry() -> None:
    literals = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sorted((ROOT / "compiler").rglob("*.py"))
        if path.name != "codes.py"
        for match in CODE_LITERAL.findall(path.read_text(encoding="utf-8"))
    ]
    assert literals == []


def test_a_code_is_its_id_and_links_to_its_heading() -> None:
    assert codes.UNDEFINED_LABEL == "E0102"
    assert f"{codes.UNDEFINED_LABEL}" == "E0102"
    assert codes.UNDEFINED_LABEL.anchor == "docs/diagnostics.md#e0102-undefined-label"
    assert codes.lookup("E0605").anchor == "docs/diagnostics.md#e0605-calloutcome-during-the-call"
