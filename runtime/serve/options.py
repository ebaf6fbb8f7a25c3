"""The options of `flowc serve`/`flowc-serve`, `flowc call` and `flowc deploy`.

Only argument definitions, so that a command line can offer every command
without importing the web server, the WebSocket or the HTTP client libraries
that running one of them needs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .switchboard import Timing

STATE_FOLDER = ".flowc"  # beside the served flow: the default store and build archive
DIAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
DEFAULT_API_URL = "https://api.twilio.com"
# Temporal (`--engine temporal`, the workers): the namespace, and the base of the task queues.
DEFAULT_NAMESPACE = "default"
DEFAULT_TASK_QUEUE = "flowc"


def add_built_modules_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR, --flow MODULE:FLOW and --python-path: how `flowc-serve` and `flowc-worker`
    name the modules `flowc build` wrote and the flow calls start at."""
    parser.add_argument("dir", metavar="DIR", help="the folder `flowc build -o` wrote")
    parser.add_argument(
        "--flow", required=True, metavar="MODULE:FLOW", help="the flow calls start at"
    )
    parser.add_argument(
        "--python-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of the Python modules `code` steps call (repeatable)",
    )


def built_modules_problem(build_dir: Path, flow: str) -> str | None:
    """What is wrong with DIR and --flow as `add_built_modules_arguments` reads them, if
    anything (a folder that is not there, a --flow without its module)."""
    if not build_dir.is_dir():
        return f"'{build_dir}' is not a folder of built modules"
    if ":" not in flow:
        return f"--flow takes MODULE:FLOW (such as support:SupportLine), not {flow!r}"
    return None


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The options `flowc serve` and `flowc-serve` share."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="call store: sqlite:PATH or redis://HOST:PORT/DB "
        f"(default: sqlite:{STATE_FOLDER}/calls.db beside the flow)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the base URL Twilio calls, when the server is behind a proxy or tunnel",
    )
    parser.add_argument("--log", metavar="FILE", help="append the calls' event log here")
    parser.add_argument(
        "--transport",
        choices=("gather", "relay"),
        default="gather",
        help="gather: TwiML webhooks (default); relay: Twilio ConversationRelay over WebSocket",
    )
    parser.add_argument(
        "--builds",
        metavar="DIR",
        help=f"archive of served builds (default: {STATE_FOLDER}/builds beside the flow)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the store"
    )
    parser.add_argument(
        "--hold-after",
        type=float,
        default=Timing.hold_after,
        metavar="SECONDS",
        help="answer a webhook with a hold phrase when its turn runs longer than this",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=Timing.lease,
        metavar="SECONDS",
        help="how long a turn's claim outlives a server that died running it, before "
        "another server takes the turn over",
    )
    parser.add_argument(
        "--insecure-no-signature",
        action="store_true",
        help="accept requests without a valid X-Twilio-Signature (local experiments only)",
    )
    parser.add_argument(
        "--engine",
        choices=("store", "temporal"),
        default="store",
        help="store: turns run here on the call store (default); temporal: each call is a "
        "Temporal workflow, run by `flowc worker` processes",
    )
    add_temporal_options(parser, required=False)


def add_temporal_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """Where the Temporal server is: `flowc serve --engine temporal` and the workers."""
    parser.add_argument(
        "--temporal",
        required=required,
        metavar="HOST:PORT",
        help="the Temporal server's frontend, such as 127.0.0.1:7233",
    )
    parser.add_argument(
        "--namespace", default=DEFAULT_NAMESPACE, metavar="NS", help="the Temporal namespace"
    )
    parser.add_argument(
        "--task-queue",
        default=DEFAULT_TASK_QUEUE,
        metavar="QUEUE",
        help=f"the base of the calls' task queues, one per build (default: {DEFAULT_TASK_QUEUE})",
    )


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Place a call to a server that answers Twilio Voice webhooks, as Twilio would: "
        "each line of standard input is one caller turn (an empty line is silence, the "
        "end of input hangs up); the transcript goes to standard output."
    )
    parser.add_argument(
        "url",
        metavar="URL",
        help="the incoming-call webhook, e.g. http://127.0.0.1:8080/twilio/voice",
    )
    parser.add_argument(
        "--from", dest="caller", default="+15550000000", metavar="NUMBER", help="the caller (From)"
    )
    parser.add_argument(
        "--to",
        dest="callee",
        default="+15550000001",
        metavar="NUMBER",
        help="the number called (To)",
    )
    parser.add_argument(
        "--auth-token", metavar="TOKEN", help="sign requests with this (default: TWILIO_AUTH_TOKEN)"
    )
    parser.add_argument(
        "--status-url",
        metavar="URL",
        help="where the status callback goes (default: URL with the path /twilio/status)",
    )
    parser.add_argument(
        "--dial-status",
        choices=DIAL_STATUSES,
        default="completed",
        help="how every <Dial> ends (default: completed)",
    )
    parser.add_argument(
        "--speech-rate",
        type=_speech_rate,
        default=15.0,
        metavar="CHARS",
        help="ConversationRelay: how fast the agent's words are spoken, in characters a "
        "second (default: 15)",
    )
    parser.add_argument(
        "--relay-pause",
        type=_seconds,
        default=0.5,
        metavar="SECONDS",
        help="ConversationRelay: the quiet after the agent's words that gives the caller the "
        "turn (default: 0.5)",
    )
    parser.add_argument(
        "--relay-wait",
        type=_seconds,
        default=15.0,
        metavar="SECONDS",
        help="ConversationRelay: how long the caller waits for the agent to say something "
        "before speaking anyway (default: 15)",
    )


def add_deploy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Point a phone number's voice webhook and status callback at a flowc server "
        "(credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)."
    )
    parser.add_argument("provider", choices=("twilio",), help="the telephony provider")
    parser.add_argument(
        "--number", required=True, metavar="NUMBER", help="the phone number, as +15551234567"
    )
    parser.add_argument(
        "--url",
        required=True,
        metavar="URL",
        help="the server's public base URL; calls go to URL/twilio/voice",
    )
    parser.add_argument(
        "--allow-http", action="store_true", help="accept an http:// URL (Twilio warns against it)"
    )
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help=f"Twilio's REST API (default: TWILIO_BASE_URL, else {DEFAULT_API_URL})",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError(f"a number of seconds from 0 to 600, not {text!r}")
    return value


def _speech_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError(f"a number of characters a second above 0, not {text!r}")
    return value
