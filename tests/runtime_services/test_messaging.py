"""SmtpMailer against a real aiosmtpd server, TwilioSms against a local Twilio, the Outbox."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable
from pathlib import Path

import pytest
from flowc_runtime.messaging import Outbox, OutboxEmail, OutboxSms, SmtpMailer, TwilioSms
from flowc_runtime.services import DeliveryError

from tests.support.http_server import LocalHttpServer, Reply, unused_port
from tests.support.smtp_server import LocalSmtpServer
from tests.support.twilio_server import LocalTwilio


def deliver(sending: Awaitable[None]) -> None:
    async def go() -> None:
        await sending

    asyncio.run(go())


def refusal(sending: Awaitable[None]) -> str:
    with pytest.raises(DeliveryError) as raised:
        deliver(sending)
    return str(raised.value)


def mailer_for(
    server: LocalSmtpServer, username: str | None = None, password: str | None = None
) -> SmtpMailer:
    return SmtpMailer(
        server.host, server.port, "agent@smithlaw.example", username=username, password=password
    )


# --- SMTP -------------------------------------------------------------------------


def test_smtp_delivers_a_utf8_message(smtp_server: LocalSmtpServer) -> None:
    mailer = mailer_for(smtp_server)

    deliver(mailer.send_email("assistant@smithlaw.example", "Call from Zoë", "Réservé ✓\nBye"))

    [received] = smtp_server.messages
    assert received.sender == "agent@smithlaw.example"
    assert received.recipients == ["assistant@smithlaw.example"]
    assert received.message["Subject"] == "Call from Zoë"
    assert received.message["To"] == "assistant@smithlaw.example"
    assert received.message["Message-ID"].endswith("@smithlaw.example>")
    assert received.body == "Réservé ✓\nBye\n"
    assert received.authenticated_as is None


def test_smtp_sender_with_a_display_name(smtp_server: LocalSmtpServer) -> None:
    mailer = SmtpMailer(smtp_server.host, smtp_server.port, "Smith Law <agent@smithlaw.example>")

    deliver(mailer.send_email("a@example.com", "Hi", "Body"))

    [received] = smtp_server.messages
    assert received.sender == "agent@smithlaw.example"
    assert received.message["From"] == "Smith Law <agent@smithlaw.example>"
    assert received.message["Message-ID"].endswith("@smithlaw.example>")


def test_smtp_logs_in_when_given_credentials(smtp_server: LocalSmtpServer) -> None:
    mailer = mailer_for(smtp_server, username=smtp_server.username, password=smtp_server.password)

    deliver(mailer.send_email("a@example.com", "Hi", "Body"))

    assert smtp_server.messages[0].authenticated_as == smtp_server.username


def test_smtp_wrong_password_is_a_delivery_error(smtp_server: LocalSmtpServer) -> None:
    mailer = mailer_for(smtp_server, username=smtp_server.username, password="wrong")

    message = refusal(mailer.send_email("a@example.com", "Hi", "Body"))

    assert message.startswith(f"SMTP server 127.0.0.1:{smtp_server.port} rejected the login: 535")
    assert smtp_server.messages == []


def test_subject_with_newlines_becomes_one_header_line(smtp_server: LocalSmtpServer) -> None:
    deliver(mailer_for(smtp_server).send_email("a@example.com", "Line one\nBcc: x@y.z", "b"))

    received = smtp_server.messages[0]
    assert received.message["Subject"] == "Line one Bcc: x@y.z"
    assert received.recipients == ["a@example.com"]


def test_smtp_refused_recipient_is_a_delivery_error(smtp_server: LocalSmtpServer) -> None:
    smtp_server.refuse_recipients = True

    message = refusal(mailer_for(smtp_server).send_email("nobody@example.com", "Hi", "Body"))

    assert message == (
        f"SMTP server 127.0.0.1:{smtp_server.port} refused the recipient "
        "(nobody@example.com: 550 mailbox unavailable)"
    )


def test_smtp_unreachable_is_a_delivery_error() -> None:
    port = unused_port()
    mailer = SmtpMailer("127.0.0.1", port, "agent@example.com", timeout_seconds=2)

    message = refusal(mailer.send_email("a@example.com", "Hi", "Body"))

    assert message == f"SMTP server 127.0.0.1:{port} is unreachable: connection refused"


def test_smtp_server_that_never_greets_times_out() -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        mailer = SmtpMailer("127.0.0.1", port, "agent@example.com", timeout_seconds=0.2)

        message = refusal(mailer.send_email("a@example.com", "Hi", "Body"))

    assert message.startswith(f"SMTP server 127.0.0.1:{port} did not answer in time")


@pytest.mark.parametrize("address", ["", "jane", "jane@", "@example.com", "a b@example.com"])
def test_not_an_email_address_is_refused_before_connecting(address: str) -> None:
    mailer = SmtpMailer("127.0.0.1", unused_port(), "agent@example.com")

    assert refusal(mailer.send_email(address, "Hi", "Body")) == f"not an email address: {address!r}"


# --- Twilio -----------------------------------------------------------------------


def twilio_for(server: LocalTwilio, *, auth_token: str | None = None) -> TwilioSms:
    return TwilioSms(
        server.account_sid,
        auth_token or server.auth_token,
        server.from_number,
        base_url=server.url,
    )


def send_sms(sms: TwilioSms, to: str, text: str) -> None:
    async def go() -> None:
        async with sms:
            await sms.send_sms(to, text)

    asyncio.run(go())


def test_twilio_accepts_a_message(twilio_server: LocalTwilio) -> None:
    send_sms(twilio_for(twilio_server), "+15550001111", "Your consultation is confirmed ✓")

    [sent] = twilio_server.messages
    assert (sent.to, sent.from_, sent.body) == (
        "+15550001111",
        twilio_server.from_number,
        "Your consultation is confirmed ✓",
    )
    [request] = twilio_server.requests
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_twilio_rejection_carries_twilios_message(twilio_server: LocalTwilio) -> None:
    with pytest.raises(DeliveryError) as raised:
        send_sms(twilio_for(twilio_server), "555", "Hi")

    assert str(raised.value) == (
        "Twilio refused the SMS to 555: Invalid 'To' Phone Number: 555 (error 21211)"
    )
    assert twilio_server.messages == []


def test_twilio_auth_failure(twilio_server: LocalTwilio) -> None:
    with pytest.raises(DeliveryError) as raised:
        send_sms(twilio_for(twilio_server, auth_token="wrong"), "+15550001111", "Hi")

    assert str(raised.value) == "Twilio refused the SMS to +15550001111: Authenticate (error 20003)"


def test_twilio_error_without_json_body_names_the_status(http_server: LocalHttpServer) -> None:
    sms = TwilioSms("AC1", "token", "+15550009999", base_url=http_server.url)
    http_server.route("POST", "/2010-04-01/Accounts/AC1/Messages.json", Reply.text("", status=502))

    with pytest.raises(DeliveryError) as raised:
        send_sms(sms, "+15550001111", "Hi")

    assert str(raised.value) == "Twilio refused the SMS to +15550001111: 502 Bad Gateway"


def test_twilio_unreachable() -> None:
    base_url = f"http://127.0.0.1:{unused_port()}"
    sms = TwilioSms("AC1", "token", "+15550009999", base_url=base_url)

    with pytest.raises(DeliveryError) as raised:
        send_sms(sms, "+15550001111", "Hi")

    assert str(raised.value) == f"could not reach Twilio at {base_url}: connection refused"


def test_twilio_too_slow(http_server: LocalHttpServer) -> None:
    path = "/2010-04-01/Accounts/AC1/Messages.json"
    http_server.route("POST", path, Reply.json({}, status=201, delay_seconds=2.0))
    sms = TwilioSms("AC1", "token", "+1555", base_url=http_server.url, timeout_seconds=0.2)

    with pytest.raises(DeliveryError) as raised:
        send_sms(sms, "+15550001111", "Hi")

    assert str(raised.value) == f"Twilio at {http_server.url} did not answer within 0.2 s"


# --- Outbox -----------------------------------------------------------------------


def test_outbox_keeps_emails_and_sms_in_order() -> None:
    outbox = Outbox()

    deliver(outbox.send_sms("+15550001111", "Booked"))
    deliver(outbox.send_email("a@example.com", "Call", "Booking: b-1"))

    assert outbox.messages == [
        OutboxSms(to="+15550001111", text="Booked"),
        OutboxEmail(to="a@example.com", subject="Call", body="Booking: b-1"),
    ]


def test_outbox_appends_json_lines_to_its_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"kind": "sms", "to": "+1", "text": "earlier run"}\n', encoding="utf-8")
    outbox = Outbox(path)

    deliver(outbox.send_email("zoë@example.com", "Réservé", "✓"))
    deliver(outbox.send_sms("+15550001111", "Hi"))

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"kind": "sms", "to": "+1", "text": "earlier run"},
        {"kind": "email", "to": "zoë@example.com", "subject": "Réservé", "body": "✓"},
        {"kind": "sms", "to": "+15550001111", "text": "Hi"},
    ]


def test_outbox_file_that_cannot_be_written_keeps_the_message(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "no-such-dir" / "outbox.jsonl")

    message = refusal(outbox.send_sms("+15550001111", "Hi"))

    assert message.startswith("the sms was kept, but the outbox file ")
    assert message.endswith("could not be written: No such file or directory")
    assert outbox.messages == [OutboxSms(to="+15550001111", text="Hi")]
