"""The SupportLine and LeadCapture examples as calls: `flowc run` (a real subprocess)
with scripted caller turns, against a real local HTTP server standing in for the
customer-records, ticket and CRM APIs. Messages go to the runtime's outbox file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.http_server import LocalHttpServer, Reply

PROJECT = Path(__file__).resolve().parents[2]
CALLER = "+15550002222"
# Settings that would send real email or SMS; without them messages go to the outbox.
DELIVERY_SETTINGS = ("FLOWC_SMTP_", "TWILIO_")


@dataclass(frozen=True)
class Call:
    transcript: list[str]
    outbox: list[dict[str, Any]]
    status: int


def place_call(
    flow_file: str, flow: str, turns: list[str], env: dict[str, str], tmp_path: Path
) -> Call:
    outbox_file = tmp_path / "outbox.jsonl"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(DELIVERY_SETTINGS)}
    result = subprocess.run(
        [sys.executable, "-m", "flowc.cli", "run", flow_file, "--flow", flow, "--caller", CALLER],
        cwd=PROJECT,
        input="".join(f"{turn}\n" for turn in turns),
        env={**clean_env, **env, "FLOWC_OUTBOX_FILE": str(outbox_file)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stderr == "", result.stderr
    outbox = outbox_file.read_text().splitlines() if outbox_file.exists() else []
    return Call(result.stdout.splitlines(), [json.loads(m) for m in outbox], result.returncode)


# --- LeadCapture: examples/lead_capture.flow and its Python scoring in examples/leads.py

LEAD_ANSWERS = ["Sam Lee", "sam at acme dot com"]


def call_sales(server: LocalHttpServer, answers: list[str], tmp_path: Path) -> Call:
    env = {"CRM_API_URL": server.url, "CRM_API_TOKEN": "crm-token"}
    return place_call("examples/lead_capture.flow", "LeadCapture", answers, env, tmp_path)


def test_a_hot_lead_who_declines_a_specialist_is_emailed(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/api/leads", Reply.json({"id": "L-7"}))
    answers = [*LEAD_ANSWERS, "fifty", "about five thousand", "this month", "yes", "no"]
    call = call_sales(http_server, answers, tmp_path)
    assert call.status == 0
    offer_declined = "agent: No problem. A specialist will email you at sam@acme.com today."
    assert offer_declined in call.transcript
    assert call.transcript[-3:] == [
        "agent: Thanks for your time. Goodbye!",
        "email to sales@northwind.example: Lead Sam Lee (hot)",
        "end: ended",
    ]
    (crm,) = http_server.requests
    assert crm.headers["authorization"] == "crm-token"
    assert crm.json() == {
        "name": "Sam Lee",
        "email": "sam@acme.com",
        "phone": CALLER,
        "score": 89,
        "tier": "hot",
        "outcome": "ended",
    }
    email = call.outbox[-1]
    assert email["body"] == "Score: 89\nCRM record: L-7\nCall ended: ended"


def test_a_hot_lead_who_wants_a_specialist_is_transferred(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/api/leads", Reply.json({"id": "L-8"}))
    answers = [*LEAD_ANSWERS, "200", "20,000", "this month", "yes", "yes please"]
    call = call_sales(http_server, answers, tmp_path)
    assert call.transcript[-3:] == [
        "transfer to +15552220100",
        "email to sales@northwind.example: Lead Sam Lee (hot)",
        "end: transferred",
    ]
    assert http_server.requests[0].json()["outcome"] == "transferred"


def test_an_early_lead_gets_the_guides_and_the_crm_failure_is_reported(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/api/leads", Reply.status(503))
    answers = [*LEAD_ANSWERS, "three", "a hundred", "just exploring", "no"]
    call = call_sales(http_server, answers, tmp_path)
    assert (
        "agent: Thanks, Sam Lee. I'll email our getting-started guides to sam@acme.com."
        in call.transcript
    )
    sms, email = call.outbox
    assert sms["to"] == CALLER
    assert email["subject"] == "Lead Sam Lee (nurture)"
    assert email["body"] == "Score: 24\nCRM record: not saved\nCall ended: ended"


# --- SupportLine: examples/support.flow using VerifyIdentity from examples/lib/identity.flow

IDENTITY = ["March 3rd 1985", "1234"]


def call_support(server: LocalHttpServer, answers: list[str], tmp_path: Path) -> Call:
    env = {
        "RECORDS_API_URL": server.url,
        "RECORDS_API_TOKEN": "records-token",
        "TICKETS_API_URL": server.url,
        "TICKETS_API_TOKEN": "tickets-token",
    }
    return place_call("examples/support.flow", "SupportLine", answers, env, tmp_path)


def test_a_verified_caller_gets_a_ticket_by_sms(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/verify", Reply.json({"matched": True, "customer_id": "C-42"}))
    http_server.route("POST", "/api/tickets", Reply.json({"id": "T-1001", "eta_hours": 4}))
    call = call_support(http_server, [*IDENTITY, "My internet keeps dropping", "no"], tmp_path)
    assert call.status == 0
    assert call.transcript[-4:] == [
        "sms to +15550002222: Acme ticket T-1001: we'll be in touch within 4 hours.",
        "agent: You'll hear from us within 4 hours. Goodbye!",
        "email to support-desk@acme.example: Support call from +15550002222: ended",
        "end: ended",
    ]
    verify, ticket = http_server.requests
    assert verify.headers["x-api-token"] == "records-token"
    assert verify.json() == {"phone": CALLER, "birth_date": "1985-03-03", "last_four": "1234"}
    assert ticket.headers["authorization"] == "tickets-token"
    assert ticket.json() == {
        "customer": "C-42",
        "summary": "My internet keeps dropping",
        "service_down": False,
        "callback": CALLER,
    }
    assert call.outbox[-1]["body"] == "Ticket: T-1001\nIssue: My internet keeps dropping"


def test_a_caller_whose_details_never_match_gets_a_second_try_then_is_refused(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/verify", Reply.json({"matched": False, "customer_id": ""}))
    call = call_support(http_server, [*IDENTITY, *IDENTITY], tmp_path)
    assert "agent: Sorry, those details don't match our records. Let's try once more." in (
        call.transcript
    )
    assert call.transcript[-3].startswith("agent: I'm sorry, I couldn't verify your identity.")
    assert http_server.hits("POST", "/verify") == 2
    assert call.outbox[-1]["body"] == "Ticket: none\nIssue: not given"


def test_an_outage_goes_to_an_engineer_and_a_ticket_failure_to_the_team(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("POST", "/verify", Reply.json({"matched": True, "customer_id": "C-42"}))
    http_server.route(
        "POST", "/api/tickets", Reply.json({"id": "T-1002", "eta_hours": 1}), Reply.status(500)
    )
    outage = call_support(http_server, [*IDENTITY, "Nothing works", "yes"], tmp_path)
    assert outage.transcript[-3::2] == ["transfer to +15559870000", "end: transferred"]
    failed = call_support(http_server, [*IDENTITY, "Slow", "no"], tmp_path)
    assert "agent: I'm sorry, I couldn't open a ticket just now." in failed.transcript
    assert failed.transcript[-3::2] == ["transfer to +15559870001", "end: transferred"]
