"""The call store in Redis, for servers on several machines (`--store redis://HOST:PORT/DB`).

Each call is one hash, `flowc:call:{call_id}`, with the fields `version`,
`record` (the JSON text of `StoredCall.to_json`) and `hung_up` ("0" or "1").
Every write is a Lua script, so checking the version and writing happen as one
step on the server whatever other clients do. A call's key expires
`ttl_seconds` after its last write, so abandoned calls do not fill the server.

`hung_up` has its own field: the status callback sets it without a new
version, and a turn's later `replace` never clears it (it only ever goes from
False to True). The field, not the copy inside the JSON text, is what `load`
reports.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .store import StoredCall, StoreUnavailable

WEEK_SECONDS = 7 * 24 * 3600

# KEYS[1] the call; ARGV version, record, hung_up, ttl.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'record', ARGV[2], 'hung_up', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS[1] the call; ARGV expected version, new version, record, hung_up, ttl.
# 0: not written; 1: written; 2: written, and the call has hung up.
_REPLACE = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'hung_up', '1') end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return redis.call('HGET', KEYS[1], 'hung_up') == '1' and 2 or 1
"""

# KEYS[1] the call; ARGV ttl. An unknown call stays unknown (no half-made hash).
# KEYS[1] the call; ARGV version, record, ttl.
_RENEW = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

_MARK_HUNG_UP = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'hung_up', '1')
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


class RedisStore:
    """A `CallStore` on the Redis server at `url` (redis://, rediss:// or unix://).

    `timeout_seconds` bounds connecting and each answer, so a server that is
    down or stuck is reported within seconds instead of holding the webhook.
    A dropped connection is retried once at once (a pooled connection goes
    stale when the server restarts); a timeout is not retried, since the
    script may have run.
    """

    def __init__(
        self, url: str, *, ttl_seconds: int = WEEK_SECONDS, timeout_seconds: float = 2.0
    ) -> None:
        self._shown_url = without_password(url)
        self._has_password = _has_password(url)
        self._ttl = ttl_seconds
        self._redis = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 1, (RedisConnectionError,)),
        )
        self._create = self._redis.register_script(_CREATE)
        self._replace = self._redis.register_script(_REPLACE)
        self._mark_hung_up = self._redis.register_script(_MARK_HUNG_UP)
        self._renew = self._redis.register_script(_RENEW)

    async def load(self, call_id: str) -> StoredCall | None:
        with self._reporting():
            record, hung_up = await self._redis.hmget(_key(call_id), ["record", "hung_up"])
        if record is None:
            return None
        assert isinstance(record, str)  # decode_responses=True
        return dataclasses.replace(StoredCall.from_json(record), hung_up=hung_up == "1")

    async def create(self, record: StoredCall) -> bool:
        args: list[str | int] = [
            record.version,
            record.to_json(),
            _flag(record.hung_up),
            self._ttl,
        ]
        with self._reporting():
            return bool(await self._create(keys=[_key(record.call_id)], args=args))

    async def replace(self, record: StoredCall) -> StoredCall | None:
        args: list[str | int] = [
            record.version - 1,
            record.version,
            record.to_json(),
            _flag(record.hung_up),
            self._ttl,
        ]
        with self._reporting():
            written = await self._replace(keys=[_key(record.call_id)], args=args)
        if not written:
            return None
        return dataclasses.replace(record, hung_up=written == 2)

    async def mark_hung_up(self, call_id: str) -> None:
        with self._reporting():
            await self._mark_hung_up(keys=[_key(call_id)], args=[self._ttl])

    async def renew(self, record: StoredCall) -> bool:
        args: list[str | int] = [record.version, record.to_json(), self._ttl]
        with self._reporting():
            return bool(await self._renew(keys=[_key(record.call_id)], args=args))

    async def close(self) -> None:
        """Closes the client and its connection pool."""
        await self._redis.aclose()

    @contextmanager
    def _reporting(self) -> Iterator[None]:
        """Turns redis-py's and the socket's errors into StoreUnavailable, in words."""
        try:
            yield
        except (RedisError, OSError) as exc:
            message = f"the call store {self._shown_url} {self._explain(exc)}"
            raise StoreUnavailable(message) from exc

    def _explain(self, exc: RedisError | OSError) -> str:
        if isinstance(exc, AuthenticationError):
            if self._has_password:
                return f"refused the user name or password ({exc})"
            return "asks for a password and the URL has none (redis://:PASSWORD@HOST:PORT/DB)"
        if isinstance(exc, RedisTimeoutError | TimeoutError):
            return "did not answer in time"
        cause = exc if isinstance(exc, OSError) else exc.__cause__ or exc.__context__
        if isinstance(cause, ConnectionRefusedError):
            return "cannot be reached: connection refused"
        if isinstance(cause, socket.gaierror):
            return f"cannot be reached: its host name is unknown ({cause.strerror})"
        if isinstance(exc, RedisConnectionError | OSError):
            return f"cannot be reached: {exc}"
        return f"failed: {exc}"


def without_password(url: str) -> str:
    """`url` as it may appear in a message or a log: any password taken out."""
    parts = urlsplit(url)
    user_info, at, host = parts.netloc.rpartition("@")
    user = user_info.partition(":")[0]
    netloc = f"{user}@{host}" if at and user else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    shown = f"{parts.scheme}://{netloc}{parts.path}"  # urlunsplit would drop unix:// 's "//"
    return f"{shown}?{query}" if query else shown


def _has_password(url: str) -> bool:
    parts = urlsplit(url)
    return parts.password is not None or "password" in dict(parse_qsl(parts.query))


def _key(call_id: str) -> str:
    return f"flowc:call:{call_id}"


def _flag(value: bool) -> str:
    return "1" if value else "0"
