"""Real services for driving calls in tests: httpx, the local outbox, rule-based
understanding, a fixed clock and an explicit environment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flowc_runtime.http import HttpxClient
from flowc_runtime.messaging import Outbox
from flowc_runtime.services import Services
from flowc_runtime.understanding import RuleBasedUnderstanding

FIXED_NOW = datetime(2030, 3, 11, 9, 30, tzinfo=UTC)


def local_services(
    environment: Mapping[str, str] | None = None, outbox: Outbox | None = None
) -> Services:
    box = outbox or Outbox()
    variables = dict(environment or {})
    return Services(
        http=HttpxClient(),
        mailer=box,
        sms=box,
        understanding=RuleBasedUnderstanding(),
        clock=lambda: FIXED_NOW,
        env=variables.get,
    )
