"""Email and SMS: SMTP (`SmtpMailer`), Twilio (`TwilioSms`), and the local `Outbox`.

The senders hand a message over and report any refusal as a `DeliveryError`
whose message says, in words, who refused what and why; the `send` steps turn
that into their error path. The `Outbox` is what a call uses when nothing is
configured: it keeps every message in memory (the transcript shows them) and
can append them to a JSON-lines file.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from types import TracebackType
from typing import Literal

import aiosmtplib
import httpx

from .http import describe_network_error, exception_chain
from .services import DeliveryError

# Deliberately loose: one @, something on both sides, no spaces or angle
# brackets. The receiving server is the judge of anything subtler.
_EMAIL_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _require_email_address(to: str) -> None:
    if not _EMAIL_ADDRESS.match(to):
        raise DeliveryError(f"not an email address: {to!r}")


def _one_line(text: str) -> str:
    """A header value: templates may put newlines in a subject; headers cannot hold them."""
    return " ".join(text.split())


class SmtpMailer:
    """`Mailer` over SMTP with aiosmtplib, one connection per message.

    `use_tls` is implicit TLS from the first byte (usually port 465);
    `starttls` upgrades a plain connection (usually port 587): True requires it,
    False never does it, None uses it when the server offers it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        starttls: bool | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self._username = username
        self._password = password
        self._use_tls = use_tls
        self._starttls = starttls
        self._timeout_seconds = timeout_seconds

    async def send_email(self, to: str, subject: str, body: str) -> None:
        _require_email_address(to)
        message = self._message(to, subject, body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._starttls,
                timeout=self._timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{self._server_name()} {_smtp_problem(error)}") from error

    def _message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = _one_line(subject)
        message["Date"] = formatdate(localtime=True)
        # The sender may carry a display name: "Smith Law <agent@smithlaw.example>".
        sender_domain = parseaddr(self.sender)[1].rpartition("@")[2]
        message["Message-ID"] = make_msgid(domain=sender_domain or None)
        message.set_content(body)  # UTF-8, transfer-encoded as needed
        return message

    def _server_name(self) -> str:
        return f"SMTP server {self.host}:{self.port}"


def _smtp_problem(error: aiosmtplib.SMTPException | OSError) -> str:
    """The rest of a sentence that begins with the server's name."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refusals = "; ".join(
            f"{refused.recipient}: {refused.code} {refused.message}" for refused in error.recipients
        )
        return f"refused the recipient ({refusals})"
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return f"refused the sender {error.sender}: {error.code} {error.message}"
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return f"rejected the login: {error.code} {error.message}"
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return f"did not answer in time ({error.message})"
    if isinstance(error, aiosmtplib.SMTPConnectError | OSError):
        if any(isinstance(cause, ConnectionRefusedError) for cause in exception_chain(error)):
            return "is unreachable: connection refused"
        return f"is unreachable: {error}"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"refused the message: {error.code} {error.message}"
    return f"could not take the message: {error}"


class TwilioSms:
    """`SmsSender` over Twilio's Messages REST API.

    POSTs To/From/Body as a form to `{base_url}/2010-04-01/Accounts/{sid}/Messages.json`
    with HTTP basic auth (account SID, auth token). `base_url` points it at a
    Twilio-compatible server (tests, a proxy). Pass an `httpx.AsyncClient` to
    share one; otherwise it makes its own, closed by `aclose()`.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        base_url: str = "https://api.twilio.com",
        client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._account_sid = account_sid
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient()
        self._timeout_seconds = timeout_seconds

    async def __aenter__(self) -> TwilioSms:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self._account_sid}/Messages.json"

    async def send_sms(self, to: str, text: str) -> None:
        try:
            response = await self._client.post(
                self.messages_url,
                auth=self._auth,
                data={"To": to, "From": self.from_number, "Body": text},
                timeout=self._timeout_seconds,
            )
        except httpx.TimeoutException as error:
            raise DeliveryError(
                f"Twilio at {self.base_url} did not answer within {self._timeout_seconds} s"
            ) from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            problem = (
                describe_network_error(error) if isinstance(error, httpx.HTTPError) else str(error)
            )
            raise DeliveryError(f"could not reach Twilio at {self.base_url}: {problem}") from error
        if not response.is_success:
            raise DeliveryError(f"Twilio refused the SMS to {to}: {_twilio_error(response)}")


def _twilio_error(response: httpx.Response) -> str:
    """Twilio's own explanation from its error body, else the HTTP status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = body.get("code")
        return f"{body['message']} (error {code})" if code is not None else body["message"]
    return f"{response.status_code} {response.reason_phrase}".rstrip()


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    to: str
    subject: str
    body: str
    kind: Literal["email"] = "email"


@dataclass(frozen=True, slots=True)
class OutboxSms:
    to: str
    text: str
    kind: Literal["sms"] = "sms"


OutboxMessage = OutboxEmail | OutboxSms


class Outbox:
    """`Mailer` and `SmsSender` that keeps messages instead of sending them.

    It refuses nothing. With a `path`, each message is also appended to that
    file as one JSON object per line; only failing to write there (a disk
    problem, not a refusal) raises a DeliveryError, after the message is kept.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.messages: list[OutboxMessage] = []

    async def send_email(self, to: str, subject: str, body: str) -> None:
        self._keep(OutboxEmail(to=to, subject=subject, body=body))

    async def send_sms(self, to: str, text: str) -> None:
        self._keep(OutboxSms(to=to, text=text))

    def _keep(self, message: OutboxMessage) -> None:
        self.messages.append(message)
        if self.path is None:
            return
        line = json.dumps({"kind": message.kind, **asdict(message)}, ensure_ascii=False)
        try:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        except OSError as error:
            raise DeliveryError(
                f"the {message.kind} was kept, but the outbox file {self.path} "
                f"could not be written: {error.strerror or error}"
            ) from error
