"""The call stores (SQLite, Redis) against a real file and a real redis-server.

Most tests run once per store (the `store_url` fixture) and state what every
`CallStore` promises: compare-and-set on the version, one winner among
concurrent writers (tasks, store objects, OS processes), and `hung_up`, which
only ever goes from False to True. The rest pin down each store's own
behaviour: what it keeps where, and how it says that it is unavailable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import re
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TypeVar

import pytest
import redis
from flowc_runtime.serve.store import CallStore, Phase, StoredCall, StoreUnavailable, open_store
from flowc_runtime.serve.store_redis import RedisStore, without_password
from flowc_runtime.serve.store_sqlite import SqliteStore
from flowc_runtime.services import JSON

from tests.support.http_server import unused_port
from tests.support.redis_server import running_redis_server

T = TypeVar("T")


def a_call(call_id: str = "CA100", **changes: object) -> StoredCall:
    """A new call's record (version 1) with every field set, so a lost field shows."""
    reply: dict[str, JSON] = {
        "say": ["Quel jour vous convient ? — «demain»"],
        "gather": {"timeout": 5, "hints": None},
    }
    record = StoredCall(
        call_id=call_id,
        version=1,
        turn=3,
        phase=Phase.WAITING,
        build="build-7f3a",
        flow="booking",
        state="collect:date",
        reply=reply,
        caller_input={"speech": "next Thursday", "confidence": 0.92},
        lease_until=1_700_000_123.25,
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def with_store(url: str, scenario: Callable[[CallStore], Awaitable[T]]) -> T:
    """Runs `scenario` on a store opened from `url`, closing the store after."""

    async def go() -> T:
        store = open_store(url)
        try:
            return await scenario(store)
        finally:
            await store.close()

    return asyncio.run(go())


# -- what every store promises -------------------------------------------------------------


def test_a_created_call_loads_with_every_field(store_url: str) -> None:
    async def scenario(store: CallStore) -> list[StoredCall | None]:
        assert await store.create(a_call("CA1"))
        assert await store.create(a_call("CA2", hung_up=True, phase=Phase.ENDED, state=None))
        return [await store.load("CA1"), await store.load("CA2")]

    first, second = with_store(store_url, scenario)

    assert first == a_call("CA1")
    assert second == a_call("CA2", hung_up=True, phase=Phase.ENDED, state=None)


def test_an_unknown_call_loads_as_none(store_url: str) -> None:
    async def scenario(store: CallStore) -> StoredCall | None:
        await store.create(a_call("CA1"))
        return await store.load("CA404")

    assert with_store(store_url, scenario) is None


def test_creating_a_call_twice_is_refused_and_keeps_the_first(store_url: str) -> None:
    async def scenario(store: CallStore) -> tuple[bool, bool, StoredCall | None]:
        first = await store.create(a_call())
        second = await store.create(a_call(flow="other", turn=9))
        return first, second, await store.load("CA100")

    assert with_store(store_url, scenario) == (True, False, a_call())


def test_replace_at_the_next_version_writes_the_record(store_url: str) -> None:
    ran = a_call().next_version(phase=Phase.RUNNING, turn=4, reply={"say": ["Thursday it is"]})

    async def scenario(store: CallStore) -> tuple[StoredCall | None, StoredCall | None]:
        await store.create(a_call())
        return await store.replace(ran), await store.load("CA100")

    wrote, stored = with_store(store_url, scenario)

    assert wrote == ran
    assert stored == ran
    assert stored.version == 2


def test_replace_from_a_stale_version_fails_and_writes_nothing(store_url: str) -> None:
    """A writer that read version 1 after another wrote version 2 (a retried webhook)."""
    winner = a_call().next_version(state="winner")
    stale = a_call().next_version(state="stale")
    skipping = winner.next_version().next_version(state="skips version 3")

    async def scenario(
        store: CallStore,
    ) -> tuple[StoredCall | None, StoredCall | None, StoredCall | None]:
        await store.create(a_call())
        assert await store.replace(winner)
        return await store.replace(stale), await store.replace(skipping), await store.load("CA100")

    assert with_store(store_url, scenario) == (None, None, winner)


def test_replace_of_an_unknown_call_fails_and_creates_nothing(store_url: str) -> None:
    async def scenario(store: CallStore) -> tuple[StoredCall | None, StoredCall | None]:
        return await store.replace(a_call().next_version()), await store.load("CA100")

    assert with_store(store_url, scenario) == (None, None)


def test_of_concurrent_replaces_of_one_version_exactly_one_wins(store_url: str) -> None:
    contenders = [a_call().next_version(state=f"writer {n}") for n in range(8)]

    async def scenario(store: CallStore) -> tuple[list[bool], StoredCall | None]:
        await store.create(a_call())
        results = await asyncio.gather(*(store.replace(record) for record in contenders))
        return [result is not None for result in results], await store.load("CA100")

    results, stored = with_store(store_url, scenario)

    assert results.count(True) == 1
    assert stored == contenders[results.index(True)]


def test_mark_hung_up_keeps_the_version_so_the_running_turn_still_writes(store_url: str) -> None:
    """The status callback says the caller hung up while a process runs a turn: the
    runner's write (made from the record it read before) lands, and stays hung up."""
    running = a_call(phase=Phase.RUNNING)
    finished = running.next_version(phase=Phase.WAITING, turn=4)

    async def scenario(
        store: CallStore,
    ) -> tuple[StoredCall | None, StoredCall | None, StoredCall | None]:
        await store.create(running)
        await store.mark_hung_up("CA100")
        marked = await store.load("CA100")
        return marked, await store.replace(finished), await store.load("CA100")

    marked, wrote, stored = with_store(store_url, scenario)

    assert marked == dataclasses.replace(running, hung_up=True)
    # The writer learns from its write that the caller hung up meanwhile.
    assert wrote == dataclasses.replace(finished, hung_up=True)
    assert stored == dataclasses.replace(finished, hung_up=True)


def test_a_replace_can_set_hung_up_but_never_clears_it(store_url: str) -> None:
    hung_up = a_call().next_version(hung_up=True)
    then_without = hung_up.next_version(hung_up=False, phase=Phase.ENDED)

    async def scenario(store: CallStore) -> tuple[StoredCall | None, StoredCall | None]:
        await store.create(a_call())
        assert await store.replace(hung_up)
        after_setting = await store.load("CA100")
        assert await store.replace(then_without)
        return after_setting, await store.load("CA100")

    after_setting, after_clearing = with_store(store_url, scenario)

    assert after_setting == hung_up
    assert after_clearing == dataclasses.replace(then_without, hung_up=True)


def test_mark_hung_up_of_an_unknown_call_creates_nothing(store_url: str) -> None:
    async def scenario(store: CallStore) -> StoredCall | None:
        await store.mark_hung_up("CA404")
        return await store.load("CA404")

    assert with_store(store_url, scenario) is None


ROUNDS = 40


def test_two_processes_writing_one_call_win_each_version_once(store_url: str) -> None:
    """Two server processes (spawned, as uvicorn workers are) both try to write every
    version of one call, each after the version before it is stored."""
    with_store(store_url, lambda store: store.create(a_call()))
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2), spawn.Queue()
    writers = [
        spawn.Process(target=claim_versions, args=(store_url, name, start, results))
        for name in ("writer A", "writer B")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert [writer.exitcode for writer in writers] == [0, 0]
    won = dict(results.get(timeout=5) for _ in writers)

    versions = sorted(won["writer A"] + won["writer B"])
    assert versions == list(range(2, ROUNDS + 2))
    stored = with_store(store_url, lambda store: store.load("CA100"))
    assert stored is not None
    assert stored.version == ROUNDS + 1
    assert stored.state == ("writer A" if ROUNDS + 1 in won["writer A"] else "writer B")


def claim_versions(
    url: str, name: str, start: Barrier, results: Queue[tuple[str, list[int]]]
) -> None:
    """One process of the test above: reports the versions it won."""
    start.wait(timeout=30)
    results.put((name, with_store(url, lambda store: claim_each_version(store, name))))


async def claim_each_version(store: CallStore, name: str) -> list[int]:
    won = []
    for version in range(2, ROUNDS + 2):
        while (current := await store.load("CA100")) is None or current.version < version - 1:
            await asyncio.sleep(0.001)
        if await store.replace(dataclasses.replace(current, version=version, state=name)):
            won.append(version)
    return won


# -- opening a store -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite:calls.db", SqliteStore),
        ("sqlite:///var/lib/flowc/calls.db", SqliteStore),
        ("redis://127.0.0.1:6379/0", RedisStore),
        ("rediss://:secret@cache.example.com:6380/2", RedisStore),
    ],
)
def test_open_store_picks_the_store_the_url_names(url: str, kind: type[object]) -> None:
    store = open_store(url)
    try:
        assert isinstance(store, kind)
    finally:
        asyncio.run(store.close())


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("postgres://db/calls", "use sqlite:PATH (one machine) or redis://HOST:PORT/DB"),
        ("calls.db", "use sqlite:PATH"),
        ("sqlite:", "sqlite:PATH needs a file path"),
    ],
)
def test_open_store_explains_a_url_it_does_not_know(url: str, advice: str) -> None:
    with pytest.raises(ValueError, match=re.escape(advice)):
        open_store(url)


# -- SQLite --------------------------------------------------------------------------------


def test_sqlite_keeps_the_record_json_as_it_is_written(tmp_path: Path) -> None:
    """A look into the file (sqlite3 calls.db 'select record ...') shows exactly the
    record; `hung_up` has its own column, so a hang-up leaves the text as written."""
    path = tmp_path / "calls.db"
    ran = a_call().next_version(phase=Phase.RUNNING)

    async def scenario(store: CallStore) -> None:
        await store.create(a_call())
        await store.replace(ran)
        await store.mark_hung_up("CA100")

    with_store(f"sqlite:{path}", scenario)

    with sqlite3.connect(path) as db:
        row = db.execute("SELECT id, version, hung_up, record FROM calls").fetchone()
        journal_mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert row == ("CA100", 2, 1, ran.to_json())
    assert journal_mode == "wal"


def test_sqlite_two_store_objects_on_one_file_see_one_winner(tmp_path: Path) -> None:
    """Two processes' stores on one file: each has its own connection."""
    path = tmp_path / "calls.db"
    first, second = SqliteStore(path), SqliteStore(path)

    async def scenario() -> tuple[list[bool], StoredCall | None]:
        created = await asyncio.gather(first.create(a_call()), second.create(a_call()))
        assert sorted(created) == [False, True]
        replaced = await asyncio.gather(
            first.replace(a_call().next_version(state="first")),
            second.replace(a_call().next_version(state="second")),
        )
        return [result is not None for result in replaced], await second.load("CA100")

    try:
        replaced, stored = asyncio.run(scenario())
    finally:
        asyncio.run(first.close())
        asyncio.run(second.close())

    assert sorted(replaced) == [False, True]
    assert stored is not None
    assert stored.state == ("first" if replaced[0] else "second")


def test_sqlite_stores_opening_one_new_file_at_the_same_moment_all_work(tmp_path: Path) -> None:
    """Server processes starting together on a new file all switch it to WAL; SQLite
    refuses one of two simultaneous switches without waiting, so the store retries."""

    async def open_together(path: Path) -> list[bool]:
        stores = [SqliteStore(path) for _ in range(4)]
        try:
            return list(await asyncio.gather(*(store.create(a_call()) for store in stores)))
        finally:
            await asyncio.gather(*(store.close() for store in stores))

    for attempt in range(50):
        created = asyncio.run(open_together(tmp_path / f"calls-{attempt}.db"))
        assert sorted(created) == [False, False, False, True]


def test_sqlite_in_a_folder_that_does_not_exist_is_unavailable(tmp_path: Path) -> None:
    """Nothing is created; once the folder exists, the same store opens the file."""
    folder = tmp_path / "missing"
    store = SqliteStore(folder / "calls.db")

    async def scenario() -> None:
        message = await unavailable_message(store.load("CA100"))
        assert message == (
            f"the call store {folder / 'calls.db'} cannot be opened: "
            f"the folder {folder} does not exist"
        )
        folder.mkdir()
        assert await store.create(a_call())
        await store.close()

    asyncio.run(scenario())


def test_sqlite_locked_by_another_connection_is_unavailable_then_recovers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "calls.db"
    store = SqliteStore(path, busy_timeout_seconds=0.1)
    other = sqlite3.connect(path, isolation_level=None)

    async def scenario() -> None:
        await store.create(a_call())
        other.execute("BEGIN EXCLUSIVE")
        began = time.monotonic()
        message = await unavailable_message(store.replace(a_call().next_version()))
        assert time.monotonic() - began < 2
        assert message == (
            f"the call store {path} is locked by another process (database is locked)"
        )
        other.execute("ROLLBACK")
        assert await store.replace(a_call().next_version())
        await store.close()

    try:
        asyncio.run(scenario())
    finally:
        other.close()


def test_sqlite_file_locked_before_the_store_first_opens_it_is_unavailable(
    tmp_path: Path,
) -> None:
    """Switching a file to WAL needs it unlocked: a store that cannot is reported too."""
    path = tmp_path / "calls.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE unrelated (x)")
    other.execute("BEGIN EXCLUSIVE")
    store = SqliteStore(path, busy_timeout_seconds=0.1)

    async def scenario() -> str:
        try:
            return await unavailable_message(store.load("CA100"))
        finally:
            await store.close()

    try:
        assert "is locked by another process" in asyncio.run(scenario())
    finally:
        other.close()


def test_sqlite_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    path.write_text("call_id,phase\nCA100,waiting\n" * 50)

    message = with_store(f"sqlite:{path}", lambda store: unavailable_message(store.load("x")))

    assert message == f"the call store {path} is not a SQLite database (file is not a database)"


async def unavailable_message(operation: Awaitable[object]) -> str:
    with pytest.raises(StoreUnavailable) as raised:
        await operation
    return str(raised.value)


# -- Redis ---------------------------------------------------------------------------------


def test_redis_keeps_each_call_as_a_hash_with_the_record_json(redis_url: str) -> None:
    ran = a_call().next_version(phase=Phase.RUNNING)

    async def scenario(store: CallStore) -> None:
        await store.create(a_call())
        await store.replace(ran)
        await store.mark_hung_up("CA100")

    with_store(redis_url, scenario)

    with redis.Redis.from_url(redis_url, decode_responses=True) as server:
        assert server.keys("*") == ["flowc:call:CA100"]
        assert server.hgetall("flowc:call:CA100") == {
            "version": "2",
            "record": ran.to_json(),
            "hung_up": "1",
        }


def test_redis_keys_expire_and_every_write_renews_the_ttl(redis_url: str) -> None:
    store = RedisStore(redis_url, ttl_seconds=600)
    server = redis.Redis.from_url(redis_url)

    async def scenario() -> list[int]:
        ttls = []
        for write in (
            store.create(a_call()),
            store.replace(a_call().next_version()),
            store.mark_hung_up("CA100"),
        ):
            await write
            ttls.append(int(server.ttl("flowc:call:CA100")))
            server.expire("flowc:call:CA100", 5)
        await store.close()
        return ttls

    try:
        ttls = asyncio.run(scenario())
    finally:
        server.close()

    assert all(590 < ttl <= 600 for ttl in ttls), ttls


def test_redis_where_nothing_listens_is_unavailable_within_seconds() -> None:
    """The message names the server, never its password."""
    port = unused_port()
    store = RedisStore(f"redis://:hunter2@127.0.0.1:{port}/0")

    async def scenario() -> str:
        try:
            return await unavailable_message(store.load("CA100"))
        finally:
            await store.close()

    began = time.monotonic()
    message = asyncio.run(scenario())

    assert time.monotonic() - began < 5
    assert (
        message
        == f"the call store redis://127.0.0.1:{port}/0 cannot be reached: connection refused"
    )


def test_redis_that_accepts_but_never_answers_is_unavailable_after_the_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        store = RedisStore(url, timeout_seconds=0.3)

        async def scenario() -> str:
            try:
                return await unavailable_message(store.create(a_call()))
            finally:
                await store.close()

        began = time.monotonic()
        message = asyncio.run(scenario())

    assert time.monotonic() - began < 2
    assert message == f"the call store {url} did not answer in time"


def test_redis_with_a_password_says_whether_the_url_lacks_it_or_has_a_wrong_one() -> None:
    with running_redis_server("--requirepass", "s3cret") as server:
        host = f"127.0.0.1:{server.port}"

        def message(url: str) -> str:
            return with_store(url, lambda store: unavailable_message(store.load("CA100")))

        assert message(f"redis://{host}/0") == (
            f"the call store redis://{host}/0 asks for a password and the URL has none "
            "(redis://:PASSWORD@HOST:PORT/DB)"
        )
        wrong = message(f"redis://:guess@{host}/0")
        assert wrong.startswith(
            f"the call store redis://{host}/0 refused the user name or password"
        )
        assert "guess" not in wrong
        assert with_store(f"redis://:s3cret@{host}/0", lambda store: store.create(a_call()))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://cache:6379/0"),
        ("redis://flowc:s3cret@cache:6379/0", "redis://flowc@cache:6379/0"),
        (
            "rediss://cache:6380/1?password=s3cret&ssl_cert_reqs=none",
            "rediss://cache:6380/1?ssl_cert_reqs=none",
        ),
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=2"),
    ],
)
def test_a_redis_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_renew_rewrites_the_record_at_its_version_and_refuses_once_it_moved_on(
    store_url: str,
) -> None:
    """A running turn extends its lease without a new version, so its final write lands;
    a renewal after another process stored a newer version writes nothing."""
    running = a_call(phase=Phase.RUNNING)
    renewed = dataclasses.replace(running, lease_until=running.lease_until + 60)
    moved_on = running.next_version(phase=Phase.WAITING)

    async def scenario(store: CallStore) -> tuple[bool, StoredCall | None, bool, bool]:
        await store.create(running)
        first = await store.renew(renewed)
        after_renewal = await store.load("CA100")
        stored = await store.replace(moved_on) is not None
        return first, after_renewal, stored, await store.renew(renewed)

    first, after_renewal, stored, late = with_store(store_url, scenario)

    assert first and after_renewal == renewed and after_renewal.version == running.version
    assert stored and not late
