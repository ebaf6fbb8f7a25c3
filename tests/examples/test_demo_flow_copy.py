"""legal_intake_local.flow (the demo's flow) stays LegalIntake of legal_intake.flow
except for its name and the one argument that points MakeAppointment at the local API."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOCAL_ARGUMENT = ', calendar_url = env("BOOKING_API_URL") as text'


def without_comments(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    return [line for line in lines if not line.lstrip().startswith("#")]


def test_the_demo_flow_differs_from_legal_intake_only_in_name_and_calendar_url() -> None:
    local = without_comments(EXAMPLES / "legal_intake_local.flow")
    assert sum(LOCAL_ARGUMENT in line for line in local) == 1
    as_original = [
        line.replace(LOCAL_ARGUMENT, "").replace("flow LegalIntakeLocal", "flow LegalIntake")
        for line in local
    ]
    assert as_original == without_comments(EXAMPLES / "legal_intake.flow")
