"""services_from_env: which service each variable turns on, and each bad value's message."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from flowc_runtime.config import ConfigError, close_services, services_from_env
from flowc_runtime.http import HttpxClient
from flowc_runtime.messaging import Outbox, OutboxEmail, OutboxSms, SmtpMailer, TwilioSms
from flowc_runtime.services import Services
from flowc_runtime.understanding import RuleBasedUnderstanding

from tests.support.smtp_server import LocalSmtpServer
from tests.support.twilio_server import LocalTwilio


def send_both(services: Services) -> None:
    async def go() -> None:
        await services.mailer.send_email("a@example.com", "Subject", "Body")
        await services.sms.send_sms("+15550001111", "Text")
        await close_services(services)

    asyncio.run(go())


def test_nothing_configured_sends_everything_to_one_outbox() -> None:
    services = services_from_env({})

    send_both(services)

    assert isinstance(services.http, HttpxClient)
    assert isinstance(services.understanding, RuleBasedUnderstanding)
    outbox = services.mailer
    assert isinstance(outbox, Outbox)
    assert services.sms is outbox
    assert outbox.messages == [
        OutboxEmail("a@example.com", "Subject", "Body"),
        OutboxSms("+15550001111", "Text"),
    ]


def test_outbox_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"

    send_both(services_from_env({"FLOWC_OUTBOX_FILE": str(path)}))

    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_smtp_variables_send_email_over_smtp(smtp_server: LocalSmtpServer) -> None:
    services = services_from_env(
        {
            "FLOWC_SMTP_HOST": smtp_server.host,
            "FLOWC_SMTP_PORT": str(smtp_server.port),
            "FLOWC_SMTP_USER": smtp_server.username,
            "FLOWC_SMTP_PASSWORD": smtp_server.password,
            "FLOWC_SMTP_FROM": "agent@example.com",
            "FLOWC_SMTP_STARTTLS": "false",
        }
    )

    send_both(services)

    assert isinstance(services.mailer, SmtpMailer)
    [received] = smtp_server.messages
    assert (received.sender, received.authenticated_as) == ("agent@example.com", "flowc")
    assert isinstance(services.sms, Outbox)  # SMS not configured: still the outbox


def test_twilio_variables_send_sms_through_twilio(twilio_server: LocalTwilio) -> None:
    services = services_from_env(
        {
            "TWILIO_ACCOUNT_SID": twilio_server.account_sid,
            "TWILIO_AUTH_TOKEN": twilio_server.auth_token,
            "TWILIO_FROM_NUMBER": twilio_server.from_number,
            "TWILIO_BASE_URL": twilio_server.url,
        }
    )

    send_both(services)

    assert isinstance(services.sms, TwilioSms)
    assert [sms.body for sms in twilio_server.messages] == ["Text"]
    assert isinstance(services.mailer, Outbox)


def test_env_reads_the_given_mapping_and_empty_means_unset() -> None:
    services = services_from_env({"CALENDAR_API_KEY": "k-1", "FLOWC_SMTP_HOST": ""})

    assert services.env("CALENDAR_API_KEY") == "k-1"
    assert services.env("MISSING") is None
    assert isinstance(services.mailer, Outbox)


def test_default_country_code_reaches_understanding() -> None:
    services = services_from_env({"FLOWC_DEFAULT_COUNTRY_CODE": "44"})
    now = services.clock()

    assert services.understanding.understand("phone", "2079460000", None, now) == "+442079460000"


def test_default_region_and_locale_reach_understanding() -> None:
    services = services_from_env({"FLOWC_DEFAULT_REGION": "GB", "FLOWC_LOCALE": "de_DE"})
    now = services.clock()

    assert services.understanding.understand("phone", "020 7946 0000", None, now) == (
        "+442079460000"
    )
    assert services.understanding.understand("number", "1.200,50", None, now) == 1200.5


SMTP = {"FLOWC_SMTP_HOST": "mail.example.com", "FLOWC_SMTP_FROM": "agent@example.com"}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+1555"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {**SMTP, "FLOWC_SMTP_PORT": "smtp"},
            "FLOWC_SMTP_PORT must be a port number from 1 to 65535, not 'smtp'",
        ),
        (
            {**SMTP, "FLOWC_SMTP_PORT": "70000"},
            "FLOWC_SMTP_PORT must be a port number from 1 to 65535, not '70000'",
        ),
        (
            {**SMTP, "FLOWC_SMTP_STARTTLS": "maybe"},
            "FLOWC_SMTP_STARTTLS must be true or false (or 1/0, yes/no, on/off), not 'maybe'",
        ),
        (
            {**SMTP, "FLOWC_SMTP_TLS": "1", "FLOWC_SMTP_STARTTLS": "1"},
            "FLOWC_SMTP_TLS and FLOWC_SMTP_STARTTLS are both on: use TLS from the start "
            "(usually port 465) or upgrade with STARTTLS (usually port 587), not both",
        ),
        (
            {**SMTP, "FLOWC_SMTP_USER": "agent"},
            "FLOWC_SMTP_USER is set but FLOWC_SMTP_PASSWORD is not: SMTP login needs both",
        ),
        (
            {"FLOWC_SMTP_HOST": "mail.example.com"},
            "FLOWC_SMTP_HOST is set but FLOWC_SMTP_FROM is not: "
            "set it to the address emails are sent from",
        ),
        (
            {**SMTP, "FLOWC_SMTP_FROM": "agent"},
            "FLOWC_SMTP_FROM must be an email address, not 'agent'",
        ),
        (
            {"TWILIO_ACCOUNT_SID": "AC1"},
            "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
            "together; not set: TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER",
        ),
        (
            {**TWILIO, "TWILIO_BASE_URL": "api.twilio.com"},
            "TWILIO_BASE_URL must be an http:// or https:// URL, not 'api.twilio.com'",
        ),
        (
            {"FLOWC_OUTBOX_FILE": "/no/such/folder/outbox.jsonl"},
            "FLOWC_OUTBOX_FILE is '/no/such/folder/outbox.jsonl', "
            "but the folder '/no/such/folder' does not exist",
        ),
        (
            {"FLOWC_DEFAULT_COUNTRY_CODE": "+1"},
            "FLOWC_DEFAULT_COUNTRY_CODE must be a country calling code of 1 to 3 digits "
            "without '+' (such as 1 or 44), not '+1'",
        ),
        (
            {"FLOWC_DEFAULT_COUNTRY_CODE": "999"},
            "FLOWC_DEFAULT_COUNTRY_CODE: no telephone numbering plan is known for '999'",
        ),
        (
            {"FLOWC_DEFAULT_REGION": "XX"},
            "FLOWC_DEFAULT_REGION: no telephone numbering plan is known for 'XX'",
        ),
        (
            {"FLOWC_UNDERSTANDING": "llm"},
            "FLOWC_UNDERSTANDING must be rules or semantic, not 'llm'",
        ),
    ],
)
def test_unusable_values_are_config_errors_in_words(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        services_from_env(environ)

    assert str(raised.value) == message


def test_smtp_login_as_sender_when_it_is_an_address() -> None:
    services = services_from_env(
        {
            "FLOWC_SMTP_HOST": "mail.example.com",
            "FLOWC_SMTP_USER": "agent@example.com",
            "FLOWC_SMTP_PASSWORD": "pw",
            "FLOWC_SMTP_TLS": "yes",
        }
    )

    assert isinstance(services.mailer, SmtpMailer)
    assert (services.mailer.sender, services.mailer.port) == ("agent@example.com", 465)
    asyncio.run(close_services(services))


def test_the_clock_reads_the_callers_time_zone() -> None:
    now = services_from_env({"FLOWC_TIMEZONE": "America/New_York"}).clock()

    assert now.tzinfo is not None
    assert now.tzname() in {"EST", "EDT"}


def test_without_a_time_zone_the_clock_reads_the_machines_zone() -> None:
    now = services_from_env({}).clock()

    assert now.utcoffset() == datetime.now().astimezone().utcoffset()


def test_an_unknown_time_zone_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="FLOWC_TIMEZONE must name a time zone"):
        services_from_env({"FLOWC_TIMEZONE": "Mars/Olympus_Mons"})
