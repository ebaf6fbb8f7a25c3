"""`flowc deploy twilio --number +1... --url https://...`: point a Twilio number at a server.

Twilio calls a number's voice webhook (VoiceUrl) when someone calls it and
reports the call's end to its StatusCallback. This sets both, through Twilio's
REST API with HTTP basic auth (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN):

    GET  {api}/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json?PhoneNumber=+1...
    POST {api}/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json
         VoiceUrl={url}/twilio/voice, VoiceMethod=POST,
         StatusCallback={url}/twilio/status, StatusCallbackMethod=POST

The first finds the number's SID (numbers are addressed by SID, not by
number); the second changes it. The API is https://api.twilio.com unless
TWILIO_BASE_URL or --api-url says otherwise (a proxy, a test server).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..http import describe_network_error
from .options import DEFAULT_API_URL

TIMEOUT_SECONDS = 15.0
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """The command cannot start: a missing credential, a malformed number or URL."""


class DeployError(Exception):
    """Twilio did not make the change: unreachable, refused, or no such number."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """What to point where, with whose credentials."""

    api_url: str
    account_sid: str
    auth_token: str
    number: str
    server_url: str

    @property
    def voice_url(self) -> str:
        return f"{self.server_url}/twilio/voice"

    @property
    def status_url(self) -> str:
        return f"{self.server_url}/twilio/status"

    @property
    def numbers_url(self) -> str:
        return f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers"


@dataclass(frozen=True, slots=True)
class Change:
    """One setting of the number, before and after."""

    name: str
    old: str | None
    new: str

    def __str__(self) -> str:
        if self.old == self.new:
            return f"{self.name}: {self.new} (unchanged)"
        return f"{self.name}: {self.old or '(none)'} -> {self.new}"


def point_number(deployment: Deployment, client: httpx.Client) -> list[Change]:
    """Points the number's voice URL and status callback at the server; what changed."""
    before = _find_number(deployment, client)
    after = _update_number(deployment, client, str(before["sid"]))
    return [
        Change("voice URL", _text(before.get("voice_url")), _confirmed(after, "voice_url")),
        Change(
            "status callback",
            _text(before.get("status_callback")),
            _confirmed(after, "status_callback"),
        ),
    ]


def _find_number(deployment: Deployment, client: httpx.Client) -> Mapping[str, object]:
    body = _request(
        client, "GET", f"{deployment.numbers_url}.json", params={"PhoneNumber": deployment.number}
    )
    listed = body.get("incoming_phone_numbers")
    matches = [
        number
        for number in (listed if isinstance(listed, list) else [])
        if isinstance(number, dict) and number.get("phone_number") == deployment.number
    ]
    if not matches or not isinstance(matches[0].get("sid"), str):
        raise DeployError(f"the account {deployment.account_sid} has no number {deployment.number}")
    found: Mapping[str, object] = matches[0]
    return found


def _update_number(deployment: Deployment, client: httpx.Client, sid: str) -> Mapping[str, object]:
    return _request(
        client,
        "POST",
        f"{deployment.numbers_url}/{sid}.json",
        data={
            "VoiceUrl": deployment.voice_url,
            "VoiceMethod": "POST",
            "StatusCallback": deployment.status_url,
            "StatusCallbackMethod": "POST",
        },
    )


def _request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
) -> Mapping[str, object]:
    try:
        response = client.request(method, url, params=params, data=data)
    except httpx.TimeoutException as error:
        raise DeployError(f"Twilio at {url} did not answer within {TIMEOUT_SECONDS:g} s") from error
    except httpx.HTTPError as error:
        raise DeployError(
            f"cannot reach Twilio at {url}: {describe_network_error(error)}"
        ) from error
    if not response.is_success:
        raise DeployError(f"Twilio refused {method} {url}: {_twilio_error(response)}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DeployError(f"Twilio answered {method} {url} with something other than JSON")
    return body


def _twilio_error(response: httpx.Response) -> str:
    """Twilio's error body ({"code", "message", "more_info", "status"}) in words."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = f"{response.status_code} {response.reason_phrase}".rstrip()
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return status
    details = [f"error {body['code']}" if body.get("code") is not None else status]
    if isinstance(body.get("more_info"), str):
        details.append(f"see {body['more_info']}")
    hint = (
        " (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)" if response.status_code == 401 else ""
    )
    return f"{body['message']}{hint} ({', '.join(details)})"


def _confirmed(resource: Mapping[str, object], name: str) -> str:
    value = _text(resource.get(name))
    if value is None:
        raise DeployError(f"Twilio's answer to the update has no {name}")
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# -- the command ----------------------------------------------------------------------


def run_deploy_command(args: argparse.Namespace) -> int:
    """`flowc deploy twilio`: exit 0 when the number points at the server, 1 when
    Twilio did not make the change, 2 for a usage error."""
    try:
        deployment = deployment_from(args, os.environ)
    except UsageError as error:
        print(f"flowc deploy: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    auth = httpx.BasicAuth(deployment.account_sid, deployment.auth_token)
    try:
        with httpx.Client(auth=auth, timeout=TIMEOUT_SECONDS) as client:
            changes = point_number(deployment, client)
    except DeployError as error:
        print(f"flowc deploy: {error}", file=sys.stderr)
        return EXIT_FAILED
    for change in changes:
        print(f"{deployment.number} {change}")
    return EXIT_OK


def deployment_from(args: argparse.Namespace, environ: Mapping[str, str]) -> Deployment:
    """The deployment the arguments and environment describe; UsageError if they cannot."""
    sid, token = (
        environ.get(name, "").strip() for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    )
    missing = [
        name
        for name, value in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token))
        if not value
    ]
    if missing:
        raise UsageError(f"set {' and '.join(missing)} to the Twilio account's credentials")
    if not ACCOUNT_SID.fullmatch(sid):
        raise UsageError("TWILIO_ACCOUNT_SID must be an account SID: AC and 32 hexadecimal digits")
    number = str(args.number).strip()
    if not E164.fullmatch(number):
        raise UsageError(f"--number must be in E.164 form, such as +15551234567, not {number!r}")
    api_url = args.api_url or environ.get("TWILIO_BASE_URL", "").strip() or DEFAULT_API_URL
    return Deployment(
        api_url=_base_url(api_url, "the Twilio API URL", allow_http=True),
        account_sid=sid,
        auth_token=token,
        number=number,
        server_url=_base_url(str(args.url), "--url", allow_http=args.allow_http),
    )


def _base_url(url: str, what: str, *, allow_http: bool) -> str:
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or parts.query or parts.fragment:
        needed = "an http:// or https://" if allow_http else "an https://"
        hint = "" if allow_http or parts.scheme != "http" else " (or pass --allow-http)"
        raise UsageError(f"{what} must be {needed} URL without a query, not {url!r}{hint}")
    return url.strip().rstrip("/")
