"""The demo behind `make run`: one scripted call that books a legal consultation.

1. Starts examples/booking_api.py on a free port of 127.0.0.1, with the API
   key $CALENDAR_API_KEY (a fresh random one when unset), and waits until it
   is listening.
2. Runs `flowc run examples/legal_intake_local.flow --flow LegalIntakeLocal`
   with the caller's turns below on standard input (one turn a line) and the
   environment the flow reads: CALENDAR_API_KEY (MakeAppointment's api_key
   default) and BOOKING_API_URL (the calendar_url that legal_intake_local.flow
   passes; see the comment at its top for why that copy of LegalIntake exists).
3. flowc prints the transcript; the event log goes to build/demo/events.jsonl.
4. Serves the same flow as a phone line, `flowc serve` on 127.0.0.1 with Twilio
   request signatures checked (a fresh random auth token) and the call store in
   build/demo/calls.db, then places the same call to it with `flowc call`, the
   local stand-in for Twilio: signed webhooks, TwiML followed, the status
   callback at the end. The SMS and the email the server sent are shown from
   its event log (build/demo/served.jsonl), which only the server sees.
5. Stops both servers and exits with the first failing status (0 when all went well).

Nothing leaves this machine: SMTP and Twilio settings are removed from flowc's
environment, so the SMS and the after-call email go to the runtime's local
outbox, which the transcript shows.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
PROJECT = EXAMPLES.parent
FLOW_FILE = EXAMPLES / "legal_intake_local.flow"
FLOW_NAME = "LegalIntakeLocal"
DEMO = PROJECT / "build" / "demo"
EVENT_LOG = DEMO / "events.jsonl"
SERVED_LOG = DEMO / "served.jsonl"
CALLER = "+15550001111"

# The caller's side of the conversation, one turn per prompt. The booking API
# offers the first two free office-hour slots from the time asked for, so asking
# for 2 PM on Thursday 14 March 2030 is answered with 14:00 and 15:00 that day.
CALLER_TURNS = (
    "Jane Doe",
    "March 14th 2030 at 2 PM",
    "The 3 PM one, please",
)

# The call placed to `flowc serve`: another day, as the first call booked 15:00 on the 14th.
SERVED_CALLER_TURNS = (
    "John Roe",
    "March 15th 2030 at 10 AM",
    "The 11 AM one, please",
)

# Environment variables that would make the runtime send real email or SMS.
DELIVERY_SETTINGS = ("FLOWC_SMTP_", "TWILIO_")
READY_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def start_booking_api(api_key: str) -> tuple[subprocess.Popen[str], str]:
    """The running server and its base URL; it reports its port once it is listening."""
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "booking_api.py"), "--port", "0", "--api-key", api_key],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None  # stdout=PIPE above
    ready = READY_LINE.search(server.stdout.readline())
    if ready is None:
        server.kill()
        server.wait()
        sys.exit("run_demo: the booking API did not start (see its message above)")
    return server, ready.group(1)


def flow_environment(booking_api_url: str, api_key: str) -> dict[str, str]:
    """What the flow reads; without SMTP or Twilio settings, messages stay in the outbox."""
    local_env = {k: v for k, v in os.environ.items() if not k.startswith(DELIVERY_SETTINGS)}
    return {**local_env, "CALENDAR_API_KEY": api_key, "BOOKING_API_URL": booking_api_url}


def run_call(booking_api_url: str, api_key: str) -> int:
    """Run the scripted call through the `flowc` command line; its status."""
    DEMO.mkdir(parents=True, exist_ok=True)
    env = flow_environment(booking_api_url, api_key)
    command = [
        sys.executable, "-m", "flowc.cli", "run", str(FLOW_FILE),
        "--flow", FLOW_NAME, "--caller", CALLER, "--log", str(EVENT_LOG),
    ]  # fmt: skip
    conversation = "".join(f"{turn}\n" for turn in CALLER_TURNS)
    return subprocess.run(command, input=conversation, text=True, env=env, check=False).returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(url: str, server: subprocess.Popen[str]) -> bool:
    """True once GET /healthz answers 200; False if the server exited or 30 s passed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    return False


def serve_and_call(booking_api_url: str, api_key: str) -> int:
    """`flowc serve` the flow, `flowc call` it with the same turns; the call's status."""
    for stale in (SERVED_LOG, DEMO / "calls.db"):
        stale.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    env = {**flow_environment(booking_api_url, api_key), "TWILIO_AUTH_TOKEN": token}
    url = f"http://127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "flowc.cli", "serve", str(FLOW_FILE), "--flow", FLOW_NAME,
            "--port", url.rsplit(":", 1)[1], "--store", f"sqlite:{DEMO / 'calls.db'}",
            "--builds", str(DEMO / "builds"), "--log", str(SERVED_LOG),
        ],
        env=env,
        text=True,
    )  # fmt: skip
    try:
        if not wait_until_healthy(url, server):
            print("run_demo: flowc serve did not start (see its message above)")
            return 1
        print(f"\nrun_demo: flowc serve answers at {url}; flowc call places the call\n", flush=True)
        conversation = "".join(f"{turn}\n" for turn in SERVED_CALLER_TURNS)
        status = subprocess.run(
            [sys.executable, "-m", "flowc.cli", "call", f"{url}/twilio/voice", "--from", CALLER],
            input=conversation,
            text=True,
            env=env,
            check=False,
        ).returncode
    finally:
        server.terminate()
        server.wait()
    print()
    for event in map(json.loads, SERVED_LOG.read_text(encoding="utf-8").splitlines()):
        if event["event"] == "message_sent":
            detail = event.get("text") or event.get("subject")
            print(f"run_demo: the server sent {event['medium']} to {event['to']}: {detail}")
    return status


def main() -> int:
    api_key = os.environ.get("CALENDAR_API_KEY") or secrets.token_urlsafe(16)
    server, url = start_booking_api(api_key)
    print(f"run_demo: booking API at {url}; calling {FLOW_NAME} as {CALLER}\n", flush=True)
    try:
        status = run_call(url, api_key)
        log = EVENT_LOG.relative_to(PROJECT)
        print(f"\nrun_demo: flowc run exited with status {status}; event log: {log}")
        served = serve_and_call(url, api_key)
    finally:
        server.terminate()
        server.wait()
    log = SERVED_LOG.relative_to(PROJECT)
    print(f"\nrun_demo: flowc call exited with status {served}; the server's event log: {log}")
    return status or served


if __name__ == "__main__":
    sys.exit(main())
