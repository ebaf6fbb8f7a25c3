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
4. Stops the booking API and exits with flowc's status.

Nothing leaves this machine: SMTP and Twilio settings are removed from flowc's
environment, so the SMS and the after-call email go to the runtime's local
outbox, which the transcript shows.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
PROJECT = EXAMPLES.parent
FLOW_FILE = EXAMPLES / "legal_intake_local.flow"
FLOW_NAME = "LegalIntakeLocal"
EVENT_LOG = PROJECT / "build" / "demo" / "events.jsonl"
CALLER = "+15550001111"

# The caller's side of the conversation, one turn per prompt. The booking API
# offers the first two free office-hour slots from the time asked for, so asking
# for 2 PM on Thursday 14 March 2030 is answered with 14:00 and 15:00 that day.
CALLER_TURNS = (
    "Jane Doe",
    "March 14th 2030 at 2 PM",
    "The 3 PM one, please",
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


def run_call(booking_api_url: str, api_key: str) -> int:
    """Run the scripted call through the `flowc` command line; its status."""
    EVENT_LOG.parent.mkdir(parents=True, exist_ok=True)
    # Without SMTP or Twilio settings the runtime keeps messages in its local outbox.
    local_env = {k: v for k, v in os.environ.items() if not k.startswith(DELIVERY_SETTINGS)}
    env = {**local_env, "CALENDAR_API_KEY": api_key, "BOOKING_API_URL": booking_api_url}
    command = [
        sys.executable, "-m", "flowc.cli", "run", str(FLOW_FILE),
        "--flow", FLOW_NAME, "--caller", CALLER, "--log", str(EVENT_LOG),
    ]  # fmt: skip
    conversation = "".join(f"{turn}\n" for turn in CALLER_TURNS)
    return subprocess.run(command, input=conversation, text=True, env=env, check=False).returncode


def main() -> int:
    api_key = os.environ.get("CALENDAR_API_KEY") or secrets.token_urlsafe(16)
    server, url = start_booking_api(api_key)
    print(f"run_demo: booking API at {url}; calling {FLOW_NAME} as {CALLER}\n", flush=True)
    try:
        status = run_call(url, api_key)
    finally:
        server.terminate()
        server.wait()
    log = EVENT_LOG.relative_to(PROJECT)
    print(f"\nrun_demo: flowc exited with status {status}; event log: {log}")
    return status


if __name__ == "__main__":
    sys.exit(main())
