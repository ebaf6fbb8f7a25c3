"""A local stand-in for Twilio's Messages REST API, on a real HTTP server.

It implements the one endpoint the runtime uses,
`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, the way Twilio documents
it: HTTP basic auth with the account SID and auth token, form fields To, From
and Body; 201 with the message resource as JSON on success; on failure a 4xx
with Twilio's error body `{"code", "message", "more_info", "status"}`.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

from .http_server import LocalHttpServer, RecordedRequest, Reply

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+15550009999"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")


@dataclass(frozen=True, slots=True)
class SentSms:
    to: str
    from_: str
    body: str
    sid: str


def _twilio_error(status: int, code: int, message: str) -> Reply:
    return Reply.json(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


class LocalTwilio:
    """`url` is the base URL to give `TwilioSms`; `messages` holds accepted SMS."""

    account_sid = ACCOUNT_SID
    auth_token = AUTH_TOKEN
    from_number = FROM_NUMBER

    def __init__(self) -> None:
        self.messages: list[SentSms] = []
        self._sids = (f"SM{n:032x}" for n in itertools.count(1))
        self._http = LocalHttpServer(self._respond)

    @property
    def url(self) -> str:
        return self._http.url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._http.requests

    def start(self) -> None:
        self._http.start()

    def stop(self) -> None:
        self._http.stop()

    def _respond(self, request: RecordedRequest) -> Reply:
        match = _MESSAGES_PATH.match(request.path)
        if request.method != "POST" or match is None:
            return _twilio_error(404, 20404, "The requested resource was not found")
        if match["sid"] != ACCOUNT_SID or not _has_valid_credentials(request):
            return _twilio_error(401, 20003, "Authenticate")
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        return self._create_message(form)

    def _create_message(self, form: dict[str, str]) -> Reply:
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not _E164.match(to):
            return _twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if from_ != FROM_NUMBER:
            return _twilio_error(
                400,
                21606,
                "The 'From' phone number provided is not a valid message-capable "
                "Twilio phone number for this destination.",
            )
        if not body:
            return _twilio_error(400, 21602, "Message body is required.")
        sent = SentSms(to=to, from_=from_, body=body, sid=next(self._sids))
        self.messages.append(sent)
        return Reply.json(
            {
                "sid": sent.sid,
                "account_sid": ACCOUNT_SID,
                "to": to,
                "from": from_,
                "body": body,
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}.json",
            },
            status=201,
        )


def _has_valid_credentials(request: RecordedRequest) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


@contextmanager
def running_twilio() -> Iterator[LocalTwilio]:
    twilio = LocalTwilio()
    twilio.start()
    try:
        yield twilio
    finally:
        twilio.stop()
