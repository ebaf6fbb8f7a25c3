"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives.

It accepts AUTH PLAIN/LOGIN without TLS for the account `USERNAME`/`PASSWORD`
(logging in is optional, as on many relays), records every accepted message
as a parsed `email.message.EmailMessage`, and can be told to refuse recipients
with a 550 reply.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .http_server import unused_port

USERNAME = "flowc"
PASSWORD = "s3cret"
REFUSAL = "550 mailbox unavailable"


@dataclass(frozen=True, slots=True)
class ReceivedEmail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    authenticated_as: str | None

    @property
    def body(self) -> str:
        """The text body with SMTP's CRLF line ends turned back into newlines."""
        content = self.message.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")


class RecordingHandler:
    """aiosmtpd handler: refuses recipients while `refuse_recipients` is set."""

    def __init__(self) -> None:
        self.messages: list[ReceivedEmail] = []
        self.refuse_recipients = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_recipients:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data  # what _authenticate returned on success
        self.messages.append(
            ReceivedEmail(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                message=parsed,
                authenticated_as=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    ):
        return AuthResult(success=True, auth_data=auth_data.login)
    return AuthResult(success=False, handled=False)


class LocalSmtpServer:
    """`host`, `port`; `messages` received; set `refuse_recipients` to get 550s."""

    username = USERNAME
    password = PASSWORD

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.host = "127.0.0.1"
        # aiosmtpd's Controller probes its own port once started, so it cannot be
        # given port 0: take a free port from the OS and hand it over.
        self.port = unused_port()
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            authenticator=_authenticate,
            auth_require_tls=False,
        )

    @property
    def messages(self) -> list[ReceivedEmail]:
        return self.handler.messages

    @property
    def refuse_recipients(self) -> bool:
        return self.handler.refuse_recipients

    @refuse_recipients.setter
    def refuse_recipients(self, refuse: bool) -> None:
        self.handler.refuse_recipients = refuse

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@contextmanager
def running_smtp_server() -> Iterator[LocalSmtpServer]:
    server = LocalSmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
