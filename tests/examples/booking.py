"""The example booking API (examples/booking_api.py) as a subprocess for tests."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import stop

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@contextmanager
def running_booking_api(api_key: str) -> Iterator[str]:
    """A fresh booking API (empty calendar) on a free port of 127.0.0.1; yields its URL."""
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "booking_api.py"), "--port", "0", "--api-key", api_key],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = re.search(r"listening on (http://127\.0\.0\.1:\d+)", server.stdout.readline())
        assert ready, "the booking API did not report its address"
        yield ready.group(1)
    finally:
        stop(server)
