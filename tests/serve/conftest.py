"""Fixtures for the serve tests: a real Redis server, and a store URL for each kind of store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.line import LineApi
from tests.support.redis_server import running_redis_server


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The URL of database 0 of a fresh `redis-server` that lives for one test."""
    with running_redis_server() as server:
        yield server.url


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A `--store` URL of an empty store, once for each implementation."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'calls.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture(scope="module")
def api() -> Iterator[LineApi]:
    """The local API the test flows call (tests/serve/line.py), one per test module."""
    line_api = LineApi().start()
    yield line_api
    line_api.stop()

