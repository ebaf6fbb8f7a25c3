"""The call store: where a served call's state waits between two caller turns.

A webhook can reach any server process (several uvicorn workers, several
machines), and a process can die between two turns; so nothing about a call in
progress lives in a process. Each call is one `StoredCall` record, written with
compare-and-set on (call id, version): a writer names the version it read, and
the write happens only if the record is still at that version. Two processes
handling the same turn (a retried webhook) therefore cannot both win, and the
loser finds the winner's record instead of overwriting it.

Implementations (store_sqlite.py, store_redis.py) keep the record as one JSON
document (`StoredCall.to_json`) next to its version; `open_store(url)` picks one
from a `--store` URL. A store that cannot be reached or is locked raises
`StoreUnavailable` with the reason in words; the caller of the store decides
what the phone call hears, and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Protocol

from ..services import JSON


class StoreUnavailable(Exception):
    """The store cannot be read or written right now (down, locked, full); says why."""


class Phase(StrEnum):
    """Where a stored call is between webhooks."""

    WAITING = "waiting"  # suspended: at a collect (or a transfer), `state` says where
    RUNNING = "running"  # a process is running turn `turn`; its claim lapses at `lease_until`
    ENDED = "ended"  # over; `reply` is what the last turn answered


@dataclass(frozen=True, slots=True)
class StoredCall:
    """One call as the store keeps it.

    `turn` is the number of the turn the call waits for; every URL the server
    hands out for that turn carries it, so a retried webhook (same number) and a
    stale one (a lower number) are told apart from a new turn. `reply` is the
    answer given to turn `turn - 1`, kept so that a retry of that webhook gets
    the same answer without running a step twice. `caller_input` is the input
    of the turn being run (RUNNING), so another process can take it over when
    the runner's lease lapses. `build` fingerprints the compiled program the
    call started on (see builds.py) and `flow` names its flow as `MODULE:FLOW`.
    `hung_up` is set by the status callback
    while another process runs a turn; the runner ends the call when it sees it.
    """

    call_id: str
    version: int
    turn: int
    phase: Phase
    build: str
    flow: str
    state: str | None = None
    reply: dict[str, JSON] | None = None
    caller_input: dict[str, JSON] | None = None
    lease_until: float = 0.0
    hung_up: bool = False

    def to_json(self) -> str:
        # By hand rather than dataclasses.asdict, which deep-copies every value: this
        # runs twice a turn.
        fields = {name: getattr(self, name) for name in _FIELD_NAMES}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StoredCall:
        """Raises StoreUnavailable when the stored text is not a call record."""
        try:
            data = json.loads(text)
            data["phase"] = Phase(data["phase"])
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreUnavailable(f"a stored call record is unreadable: {exc}") from exc

    def next_version(self, **changes: object) -> StoredCall:
        """This record with `changes`, one version on: what a compare-and-set writes."""
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


_FIELD_NAMES = tuple(f.name for f in fields(StoredCall))


class CallStore(Protocol):
    """Compare-and-set storage of call records, shared by every server process."""

    async def load(self, call_id: str) -> StoredCall | None:
        """The call's record, or None when the store has never seen the call."""
        ...

    async def create(self, record: StoredCall) -> bool:
        """Stores a new call; False (and nothing written) if the call id exists."""
        ...

    async def replace(self, record: StoredCall) -> StoredCall | None:
        """Writes `record` if the stored one is at `record.version - 1` and returns it as
        stored (`hung_up` as the store has it: the status callback may have set it since
        the record was read); None when another process wrote first, and then nothing
        is written."""
        ...

    async def mark_hung_up(self, call_id: str) -> None:
        """Sets `hung_up` without a new version, so a running turn's write still lands."""
        ...

    async def renew(self, record: StoredCall) -> bool:
        """Writes `record` over the stored one of the same version, without a new version
        (a running turn extending its lease); False when the record has moved on."""
        ...

    async def close(self) -> None: ...


def open_store(url: str) -> CallStore:
    """The store a `--store` URL names: `sqlite:PATH` or `redis://HOST:PORT/DB`.

    Raises ValueError with the accepted forms for any other URL.
    """
    if url.startswith("sqlite:"):
        from .store_sqlite import SqliteStore

        path = url.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise ValueError("--store sqlite:PATH needs a file path, such as sqlite:calls.db")
        return SqliteStore(path)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .store_redis import RedisStore

        return RedisStore(url)
    raise ValueError(
        f"unknown store {url!r}: use sqlite:PATH (one machine) or redis://HOST:PORT/DB "
        "(several processes or machines)"
    )
