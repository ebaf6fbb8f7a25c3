"""pytest fixtures for real local servers; tests/conftest.py makes them global.

Each fixture starts its server on 127.0.0.1 on a free port before the test and
stops it after, so tests never share state and never touch the network.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .http_server import LocalHttpServer, running_http_server
from .smtp_server import LocalSmtpServer, running_smtp_server
from .twilio_server import LocalTwilio, running_twilio


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    """A scriptable HTTP server: `http_server.route("GET", "/x", Reply.json(...))`,
    then point requests at `http_server.url + "/x"`; see `requests` and `hits()`."""
    with running_http_server() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    """An aiosmtpd server at `smtp_server.host`/`.port`; received mail in `.messages`;
    login optional (`.username`/`.password`); `.refuse_recipients = True` -> 550."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def twilio_server() -> Iterator[LocalTwilio]:
    """Twilio's Messages API at `twilio_server.url` for the account
    `.account_sid`/`.auth_token` sending from `.from_number`; sent SMS in
    `.messages`; bad credentials -> 401 (20003), a bad 'To' -> 400 (21211)."""
    with running_twilio() as twilio:
        yield twilio
