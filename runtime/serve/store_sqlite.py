"""The call store in one SQLite file, for servers on one machine (`--store sqlite:PATH`).

The file is in WAL mode so that several server processes (uvicorn workers) can
open it at once: readers never wait for the writer, and writers take turns,
each waiting up to the busy timeout for the others. Every write is one
statement in autocommit mode, so the compare-and-set (`UPDATE ... WHERE
version = ?`) is atomic across processes without an explicit transaction.

`hung_up` has its own column, next to the JSON record: the status callback sets
it without a new version, and a turn's later `replace` never clears it (it only
ever goes from False to True). The column, not the copy inside the JSON text,
is what `load` reports.

sqlite3 blocks. A statement on an uncontended WAL file takes tens of
microseconds, less than handing it to a thread and back, so each statement is
first tried on the event loop's own connection, which never waits
(`timeout=0`). When another process holds the write lock, that try fails at
once without running anything, and the statement goes to a worker thread of
the store's own, whose connection waits up to the busy timeout: a locked store
never stalls the event loop. (The worker also creates the file and its table.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from .store import StoredCall, StoreUnavailable

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    hung_up INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    updated REAL
)
"""

# What SQLite's primary result codes mean for whoever runs the server.
_REASONS = {
    sqlite3.SQLITE_BUSY: "is locked by another process",
    sqlite3.SQLITE_LOCKED: "is locked by another connection",
    sqlite3.SQLITE_NOTADB: "is not a SQLite database",
    sqlite3.SQLITE_CORRUPT: "is damaged",
    sqlite3.SQLITE_FULL: "cannot grow because the disk is full",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened",
    sqlite3.SQLITE_READONLY: "is read-only",
    sqlite3.SQLITE_PERM: "is not accessible",
    sqlite3.SQLITE_IOERR: "cannot be read or written",
}


class SqliteStore:
    """A `CallStore` in the SQLite file `path`, created (with its table) on first use.

    `busy_timeout_seconds` is how long a write waits for another process's
    write before the store reports itself locked.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_seconds: float = 5.0) -> None:
        self._path = Path(path)
        self._busy_timeout = busy_timeout_seconds
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowc-sqlite")
        self._db: sqlite3.Connection | None = None  # the worker thread's
        self._fast: sqlite3.Connection | None = None  # the event loop's, opened once the file is

    async def load(self, call_id: str) -> StoredCall | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT record, hung_up FROM calls WHERE id = ?", (call_id,)
            ).fetchone()
        )
        if row is None:
            return None
        record, hung_up = row
        return dataclasses.replace(StoredCall.from_json(record), hung_up=bool(hung_up))

    async def create(self, record: StoredCall) -> bool:
        return await self._write(
            "INSERT INTO calls (id, version, hung_up, record, updated) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (record.call_id, record.version, record.hung_up, record.to_json(), time.time()),
        )

    async def replace(self, record: StoredCall) -> StoredCall | None:
        """MAX keeps a hang-up that the status callback recorded since the writer read."""
        parameters = (
            record.version,
            record.to_json(),
            record.hung_up,
            time.time(),
            record.call_id,
            record.version - 1,
        )
        row = await self._run(
            lambda db: db.execute(
                "UPDATE calls SET version = ?, record = ?, hung_up = MAX(hung_up, ?), updated = ?"
                " WHERE id = ? AND version = ? RETURNING hung_up",
                parameters,
            ).fetchone()
        )
        return None if row is None else dataclasses.replace(record, hung_up=bool(row[0]))

    async def mark_hung_up(self, call_id: str) -> None:
        await self._write(
            "UPDATE calls SET hung_up = 1, updated = ? WHERE id = ?", (time.time(), call_id)
        )

    async def renew(self, record: StoredCall) -> bool:
        return await self._write(
            "UPDATE calls SET record = ?, updated = ? WHERE id = ? AND version = ?",
            (record.to_json(), time.time(), record.call_id, record.version),
        )

    async def close(self) -> None:
        """Closes the connections, the worker's on its own thread, then ends that thread."""
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        await asyncio.get_running_loop().run_in_executor(self._worker, self._disconnect)
        self._worker.shutdown()

    async def _write(self, sql: str, parameters: tuple[object, ...]) -> bool:
        """Runs one statement, committed at once; True iff it changed a row."""
        return await self._run(lambda db: db.execute(sql, parameters).rowcount == 1)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the event loop's connection, or on the worker thread's when the file
        is busy; SQLite's errors as StoreUnavailable."""
        if self._fast is not None:
            try:
                return work(self._fast)
            except (sqlite3.ProgrammingError, sqlite3.IntegrityError):
                raise  # as in _call
            except sqlite3.DatabaseError as exc:
                code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                if code not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise StoreUnavailable(self._explain(exc)) from exc
        result = await asyncio.get_running_loop().run_in_executor(self._worker, self._call, work)
        if self._fast is None:
            self._fast = self._open_fast()
        return result

    def _open_fast(self) -> sqlite3.Connection:
        """The event loop's connection, on a file the worker has set up (WAL, table)."""
        db = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return work(self._connection())
        except (sqlite3.ProgrammingError, sqlite3.IntegrityError):
            raise  # a mistake in this module's SQL, not a store that is unavailable
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(self._explain(exc)) from exc

    def _connection(self) -> sqlite3.Connection:
        """The open connection; a failed first open is tried again on the next call."""
        if self._db is None:
            self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        # SQLite only says "unable to open database file" for a missing folder.
        if not self._path.parent.is_dir():
            raise StoreUnavailable(
                f"the call store {self._path} cannot be opened: "
                f"the folder {self._path.parent} does not exist"
            )
        db = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None)
        try:
            self._use_wal(db)
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _use_wal(self, db: sqlite3.Connection) -> None:
        """Switches the file to WAL, waiting up to the busy timeout for another process.

        SQLite answers "database is locked" at once, without the busy timeout, to
        one of two connections that switch a file at the same moment (uvicorn
        workers starting together on a new file); so the switch is tried again.
        """
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(0.005)

    def _disconnect(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _explain(self, exc: sqlite3.DatabaseError) -> str:
        # Extended result codes (SQLITE_IOERR_WRITE, ...) keep the primary code in the low
        # byte; an error that sqlite3 raises itself has no code at all.
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        reason = _REASONS.get(code, "failed")
        return f"the call store {self._path} {reason} ({exc})"
