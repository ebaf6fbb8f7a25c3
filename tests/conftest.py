"""Shared by every test: real local HTTP, SMTP and Twilio servers; the CI profile."""

import os

from hypothesis import settings

from tests.support.fixtures import http_server, smtp_server, twilio_server

__all__ = ["http_server", "smtp_server", "twilio_server"]

# CI (a loaded 2-core machine, CI=true) runs the property tests with a fixed
# seed and no per-example deadline, so a slow moment never fails a build and a
# failure reproduces; local runs keep exploring new random examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
