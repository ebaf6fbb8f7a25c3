"""Fixtures shared by every test: real local HTTP, SMTP and Twilio servers."""

from tests.support.fixtures import http_server, smtp_server, twilio_server

__all__ = ["http_server", "smtp_server", "twilio_server"]
