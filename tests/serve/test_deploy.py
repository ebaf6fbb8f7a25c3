"""`flowc deploy twilio`, as a real subprocess, against a local IncomingPhoneNumbers API.

The stand-in implements the two endpoints the command uses as Twilio documents
them: HTTP basic auth with the account SID and auth token; the list filtered by
PhoneNumber; the update of VoiceUrl, VoiceMethod, StatusCallback and
StatusCallbackMethod answering the changed resource; Twilio's error body
`{"code", "message", "more_info", "status"}` on failure.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest
from flowc_runtime.services import JSON

from tests.support.http_server import LocalHttpServer, RecordedRequest, Reply, unused_port
from tests.support.twilio_server import ACCOUNT_SID, AUTH_TOKEN

NUMBER, OTHER_NUMBER = "+15551234567", "+15557654321"
NUMBERS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers"
_NUMBER_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/IncomingPhoneNumbers(/(?P<sid>PN[0-9a-f]+))?\.json$"
)
# The form fields an update may set, and the resource's names for them.
_SETTABLE = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


def _twilio_error(status: int, code: int, message: str) -> Reply:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    body = {"code": code, "message": message, "more_info": more_info, "status": status}
    return Reply.json(body, status=status)


class LocalNumbers:
    """The account's phone numbers (`numbers`, by SID) behind Twilio's REST API."""

    def __init__(self) -> None:
        self.numbers: dict[str, dict[str, JSON]] = {
            "PN" + "1" * 32: _resource("PN" + "1" * 32, NUMBER, "https://old.example.com/voice"),
            "PN" + "2" * 32: _resource(
                "PN" + "2" * 32, OTHER_NUMBER, "https://other.example.com/v"
            ),
        }
        self.http = LocalHttpServer(self._respond)

    @property
    def url(self) -> str:
        return self.http.url

    def _respond(self, request: RecordedRequest) -> Reply:
        match = _NUMBER_PATH.match(request.path)
        if match is None or match["account"] != ACCOUNT_SID:
            return _twilio_error(404, 20404, "The requested resource was not found")
        if not _has_valid_credentials(request):
            return _twilio_error(401, 20003, "Authenticate")
        if request.method == "GET" and match["sid"] is None:
            return self._list(request.query.get("PhoneNumber", []))
        if request.method == "POST" and match["sid"] in self.numbers:
            return self._update(self.numbers[match["sid"]], parse_qs(request.body.decode()))
        return _twilio_error(404, 20404, "The requested resource was not found")

    def _list(self, wanted: list[str]) -> Reply:
        listed: list[JSON] = [
            number
            for number in self.numbers.values()
            if not wanted or number["phone_number"] in wanted
        ]
        return Reply.json(
            {"incoming_phone_numbers": listed, "page": 0, "page_size": 50, "next_page_uri": None}
        )

    def _update(self, number: dict[str, JSON], form: dict[str, list[str]]) -> Reply:
        for field, values in form.items():
            if field in _SETTABLE:
                number[_SETTABLE[field]] = values[0]
        return Reply.json(number)


def _resource(sid: str, phone_number: str, voice_url: str) -> dict[str, JSON]:
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "phone_number": phone_number,
        "friendly_name": phone_number,
        "voice_url": voice_url,
        "voice_method": "POST",
        "status_callback": "",
        "status_callback_method": "POST",
        "uri": f"{NUMBERS_PATH}/{sid}.json",
    }


def _has_valid_credentials(request: RecordedRequest) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


@pytest.fixture
def twilio() -> Iterator[LocalNumbers]:
    numbers = LocalNumbers()
    numbers.http.start()
    try:
        yield numbers
    finally:
        numbers.http.stop()


@dataclass(frozen=True)
class Deploy:
    status: int
    stdout: list[str]
    stderr: str


def flowc_deploy(*arguments: str, environment: dict[str, str]) -> Deploy:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-m", "flowc.cli", "deploy", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return Deploy(result.returncode, result.stdout.splitlines(), result.stderr)


def account(twilio: LocalNumbers, **changes: str) -> dict[str, str]:
    """The environment of a deployment to the local API, with `changes` on top."""
    environment = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": twilio.url,
    }
    return {**environment, **changes}


def test_deploy_points_the_number_at_the_server(twilio: LocalNumbers) -> None:
    result = flowc_deploy(
        "twilio",
        "--number",
        NUMBER,
        "--url",
        "https://flows.example.com/",
        environment=account(twilio),
    )

    assert (result.status, result.stderr) == (0, "")
    assert result.stdout == [
        f"{NUMBER} voice URL: https://old.example.com/voice -> https://flows.example.com/twilio/voice",
        f"{NUMBER} status callback: (none) -> https://flows.example.com/twilio/status",
    ]
    listing, update = twilio.http.requests
    assert (listing.method, listing.path, listing.query) == (
        "GET",
        f"{NUMBERS_PATH}.json",
        {"PhoneNumber": [NUMBER]},
    )
    assert (update.method, update.path) == ("POST", f"{NUMBERS_PATH}/PN{'1' * 32}.json")
    assert parse_qs(update.body.decode()) == {
        "VoiceUrl": ["https://flows.example.com/twilio/voice"],
        "VoiceMethod": ["POST"],
        "StatusCallback": ["https://flows.example.com/twilio/status"],
        "StatusCallbackMethod": ["POST"],
    }
    assert twilio.numbers["PN" + "2" * 32]["voice_url"] == "https://other.example.com/v"


def test_deploying_again_says_nothing_changed(twilio: LocalNumbers) -> None:
    arguments = ("twilio", "--number", NUMBER, "--url", "https://flows.example.com")
    flowc_deploy(*arguments, environment=account(twilio))

    again = flowc_deploy(*arguments, environment=account(twilio))

    assert again.status == 0
    assert again.stdout == [
        f"{NUMBER} voice URL: https://flows.example.com/twilio/voice (unchanged)",
        f"{NUMBER} status callback: https://flows.example.com/twilio/status (unchanged)",
    ]


def test_an_http_url_needs_allow_http_and_api_url_overrides_the_environment(
    twilio: LocalNumbers,
) -> None:
    elsewhere = f"http://127.0.0.1:{unused_port()}"
    arguments = ("twilio", "--number", NUMBER, "--url", "http://127.0.0.1:8080")

    refused = flowc_deploy(*arguments, environment=account(twilio))
    allowed = flowc_deploy(
        *arguments,
        "--allow-http",
        "--api-url",
        twilio.url,
        environment=account(twilio, TWILIO_BASE_URL=elsewhere),
    )

    assert refused.status == 2
    assert "--url must be an https:// URL" in refused.stderr
    assert "(or pass --allow-http)" in refused.stderr
    assert allowed.status == 0
    assert twilio.numbers["PN" + "1" * 32]["voice_url"] == "http://127.0.0.1:8080/twilio/voice"


def test_a_number_the_account_does_not_have_changes_nothing(twilio: LocalNumbers) -> None:
    result = flowc_deploy(
        "twilio",
        "--number",
        "+15550001111",
        "--url",
        "https://x.example",
        environment=account(twilio),
    )

    assert result.status == 1
    assert result.stderr == f"flowc deploy: the account {ACCOUNT_SID} has no number +15550001111\n"
    assert [request.method for request in twilio.http.requests] == ["GET"]


def test_wrong_credentials_show_twilios_error_in_words(twilio: LocalNumbers) -> None:
    result = flowc_deploy(
        "twilio",
        "--number",
        NUMBER,
        "--url",
        "https://x.example",
        environment=account(twilio, TWILIO_AUTH_TOKEN="wrong"),
    )

    assert result.status == 1
    assert result.stderr == (
        f"flowc deploy: Twilio refused GET {twilio.url}{NUMBERS_PATH}.json: Authenticate "
        "(check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) "
        "(error 20003, see https://www.twilio.com/docs/errors/20003)\n"
    )


def test_an_unreachable_api_is_one_line() -> None:
    api = f"http://127.0.0.1:{unused_port()}"
    environment = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": api,
    }
    result = flowc_deploy(
        "twilio", "--number", NUMBER, "--url", "https://x.example", environment=environment
    )

    assert result.status == 1
    assert result.stderr == (
        f"flowc deploy: cannot reach Twilio at {api}{NUMBERS_PATH}.json: connection refused\n"
    )


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (
            ("--number", NUMBER),
            {"TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            "set TWILIO_ACCOUNT_SID to the Twilio account's credentials",
        ),
        (
            ("--number", "5551234567"),
            {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            "--number must be in E.164 form, such as +15551234567, not '5551234567'",
        ),
        (
            ("--number", NUMBER),
            {"TWILIO_ACCOUNT_SID": "sid", "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            "TWILIO_ACCOUNT_SID must be an account SID: AC and 32 hexadecimal digits",
        ),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    arguments: tuple[str, ...], environment: dict[str, str], message: str
) -> None:
    result = flowc_deploy(
        "twilio", *arguments, "--url", "https://x.example", environment=environment
    )

    assert result.status == 2
    assert result.stderr == f"flowc deploy: error: {message}\n"


def test_only_twilio_is_a_provider() -> None:
    result = flowc_deploy("telnyx", "--number", NUMBER, "--url", "https://x", environment={})

    assert result.status == 2
    assert "invalid choice: 'telnyx'" in result.stderr
