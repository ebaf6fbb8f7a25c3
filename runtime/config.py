"""The runtime's services from environment variables (listed in docs/runtime.md).

- Email goes over SMTP when FLOWC_SMTP_HOST is set, else to the local outbox.
- SMS goes through Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
  TWILIO_FROM_NUMBER are all set, else to the local outbox.
- The outbox keeps messages in memory; FLOWC_OUTBOX_FILE also appends them
  to a JSON-lines file.
- The clock reads the time in FLOWC_TIMEZONE, else in the machine's zone.
- Values are said in FLOWC_LOCALE (default en_US), money in FLOWC_CURRENCY (default
  USD): runtime/formats.py; the understanding reads figures and dates in that locale
  too, phone numbers in FLOWC_DEFAULT_REGION's (or FLOWC_DEFAULT_COUNTRY_CODE's)
  numbering plan, and FLOWC_UNDERSTANDING=semantic adds the offline sentence model.

A value that cannot be used (a port that is not a number, half a Twilio
account) is a `ConfigError` naming the variable, raised before any call starts.
An empty variable counts as unset, as env files often leave them.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .formats import formats_of
from .http import HttpxClient
from .messaging import Outbox, SmtpMailer, TwilioSms
from .semantic import SemanticUnavailable, SemanticUnderstanding
from .services import Services, Understanding
from .understanding import RuleBasedUnderstanding

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
TWILIO_VARIABLES = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


class ConfigError(Exception):
    """An environment variable has a value the runtime cannot use; the message says which."""


def services_from_env(environ: Mapping[str, str] = os.environ) -> Services:
    """Every service a call needs, configured from `environ`; `env("NAME")` in a
    flow reads the same mapping. Close it with `close_services` when done."""
    outbox = Outbox(_outbox_path(environ))
    mailer = _smtp_mailer(environ)
    sms = _twilio_sms(environ)
    try:
        # Checked here, before any call starts; each call reads them as `env()` reads.
        formats_of(_setting(environ, "FLOWC_LOCALE"), _setting(environ, "FLOWC_CURRENCY"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Services(
        http=HttpxClient(),
        mailer=mailer or outbox,
        sms=sms or outbox,
        understanding=understanding_from_env(environ),
        clock=_clock(environ),
        env=environ.get,
    )


def understanding_from_env(environ: Mapping[str, str]) -> Understanding:
    """The rules, with the settings that tune them; FLOWC_UNDERSTANDING=semantic puts
    the offline sentence model (the `semantic` extra) behind them for options."""
    country = _setting(environ, "FLOWC_DEFAULT_COUNTRY_CODE")
    if country is not None and not re.fullmatch(r"[1-9][0-9]{0,2}", country):
        raise ConfigError(
            f"FLOWC_DEFAULT_COUNTRY_CODE must be a country calling code of 1 to 3 digits "
            f"without '+' (such as 1 or 44), not {country!r}"
        )
    region = _setting(environ, "FLOWC_DEFAULT_REGION")
    kind = (_setting(environ, "FLOWC_UNDERSTANDING") or "rules").lower()
    if kind not in ("rules", "semantic"):
        raise ConfigError(f"FLOWC_UNDERSTANDING must be rules or semantic, not {kind!r}")
    try:
        rules = RuleBasedUnderstanding(
            country if region is None else None,
            default_region=region,
            locale=_setting(environ, "FLOWC_LOCALE") or "en_US",
        )
    except ValueError as exc:
        # libphonenumber knows no region of that calling code, or no such region.
        setting = "FLOWC_DEFAULT_REGION" if region is not None else "FLOWC_DEFAULT_COUNTRY_CODE"
        raise ConfigError(f"{setting}: {exc}") from None
    if kind == "rules":
        return rules
    try:
        return SemanticUnderstanding(rules)
    except SemanticUnavailable as exc:
        raise ConfigError(f"FLOWC_UNDERSTANDING=semantic: {exc}") from None


async def close_services(services: Services) -> None:
    """Close the connection pools of the HTTP client and the Twilio sender."""
    if isinstance(services.http, HttpxClient):
        await services.http.aclose()
    if isinstance(services.sms, TwilioSms):
        await services.sms.aclose()


def _clock(environ: Mapping[str, str]) -> Callable[[], datetime]:
    """The time in the callers' zone: "today" and "tomorrow" are their days, not UTC's.

    FLOWC_TIMEZONE names an IANA zone; without it, the machine's local zone.
    """
    name = _setting(environ, "FLOWC_TIMEZONE")
    if name is None:
        return _local_now
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"FLOWC_TIMEZONE must name a time zone such as America/New_York, not {name!r}"
        ) from exc
    return functools.partial(datetime.now, zone)


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    value = _setting(environ, name)
    if value is None:
        return None
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false (or 1/0, yes/no, on/off), not {value!r}")


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _setting(environ, name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, not {value!r}")
    return int(value)


def _smtp_mailer(environ: Mapping[str, str]) -> SmtpMailer | None:
    host = _setting(environ, "FLOWC_SMTP_HOST")
    if host is None:
        return None
    implicit_tls = _flag(environ, "FLOWC_SMTP_TLS") or False
    starttls = _flag(environ, "FLOWC_SMTP_STARTTLS")
    if implicit_tls and starttls:
        raise ConfigError(
            "FLOWC_SMTP_TLS and FLOWC_SMTP_STARTTLS are both on: use TLS from the start "
            "(usually port 465) or upgrade with STARTTLS (usually port 587), not both"
        )
    username = _setting(environ, "FLOWC_SMTP_USER")
    password = _setting(environ, "FLOWC_SMTP_PASSWORD")
    if (username is None) != (password is None):
        given, missing = (
            ("FLOWC_SMTP_USER", "FLOWC_SMTP_PASSWORD")
            if password is None
            else ("FLOWC_SMTP_PASSWORD", "FLOWC_SMTP_USER")
        )
        raise ConfigError(f"{given} is set but {missing} is not: SMTP login needs both")
    return SmtpMailer(
        host,
        _port(environ, "FLOWC_SMTP_PORT", 465 if implicit_tls else 25),
        _smtp_sender(environ, username),
        username=username,
        password=password,
        use_tls=implicit_tls,
        starttls=starttls,
    )


def _smtp_sender(environ: Mapping[str, str], username: str | None) -> str:
    sender = _setting(environ, "FLOWC_SMTP_FROM")
    if sender is None and username is not None and "@" in username:
        return username
    if sender is None:
        raise ConfigError(
            "FLOWC_SMTP_HOST is set but FLOWC_SMTP_FROM is not: "
            "set it to the address emails are sent from"
        )
    if "@" not in sender:
        raise ConfigError(f"FLOWC_SMTP_FROM must be an email address, not {sender!r}")
    return sender


def _twilio_sms(environ: Mapping[str, str]) -> TwilioSms | None:
    values = {name: _setting(environ, name) for name in TWILIO_VARIABLES}
    missing = [name for name, value in values.items() if value is None]
    if len(missing) == len(TWILIO_VARIABLES):
        return None
    if missing:
        raise ConfigError(
            "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
            f"together; not set: {', '.join(missing)}"
        )
    base_url = _setting(environ, "TWILIO_BASE_URL") or "https://api.twilio.com"
    if not re.match(r"https?://[^/\s]+", base_url):
        raise ConfigError(f"TWILIO_BASE_URL must be an http:// or https:// URL, not {base_url!r}")
    sid, token, number = (str(values[name]) for name in TWILIO_VARIABLES)
    return TwilioSms(sid, token, number, base_url=base_url)


def _outbox_path(environ: Mapping[str, str]) -> Path | None:
    value = _setting(environ, "FLOWC_OUTBOX_FILE")
    if value is None:
        return None
    path = Path(value)
    if not path.parent.is_dir():
        raise ConfigError(
            f"FLOWC_OUTBOX_FILE is {value!r}, but the folder {str(path.parent)!r} does not exist"
        )
    return path
