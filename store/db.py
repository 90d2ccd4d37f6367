"""Engine and unit of work.

``Database.transaction()`` is the one unit of work: a state change, its audit
event and its outbox rows commit together or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import ConnectionLost
from store import sqlite_inline


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 driver opens transactions lazily and mishandles SAVEPOINT;
    # take transaction control ourselves (SQLAlchemy's documented recipe) so
    # that a rolled-back unit of work really leaves nothing behind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: the database never corrupts; a power cut may lose the last
    # commits. PostgreSQL is the choice where that matters (see README).
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Erased means gone (`teamaround records purge|erase`): deleted and
    # overwritten content is zeroed in the file's free pages, not left there.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get("outside_transaction"):
        return  # a statement SQLite refuses inside one (Database.scrub)
    # IMMEDIATE: take the write lock up front, so two writers queue (busy
    # timeout) instead of failing when a read transaction upgrades to a write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An async engine and its session factory."""

    async def scrub(self) -> None:
        """After an erasure has committed: on SQLite, copy the write-ahead log
        into the database file (whose freed space ``secure_delete`` zeroes)
        and truncate it, so erased text survives in no journal. PostgreSQL
        needs VACUUM for the same (README)."""
        if self.dialect != "sqlite":
            return
        async with self.engine.connect() as connection:
            outside = await connection.execution_options(outside_transaction=True)
            await outside.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._max_overflow = 0
        # Parameters stay out of error messages (and so out of logs): they
        # hold what people typed.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "postgresql":
            # No pre-ping: it costs a round trip on every checkout (half of a
            # small transaction's overhead). A dropped connection instead
            # surfaces as ConnectionLost, SQLAlchemy discards the pool's older
            # connections, and the dispatcher runs the command again.
            kwargs.update(pool_size=10, max_overflow=10, pool_recycle=1800)
            self._max_overflow = 10
        elif parsed.database not in (None, "", ":memory:"):
            # SQLite has one writer at a time. One connection per process makes
            # transactions queue fairly in the event loop, instead of in
            # SQLite's busy handler (which backs off up to 100 ms per try).
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
            path = str(parsed.database)
            kwargs["async_creator"] = lambda: sqlite_inline.connect(path)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL: statements without BEGIN and COMMIT, for units that only
        # read (see ``transaction``). SQLite keeps its usual transactions.
        self._autocommit = (
            async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
            if self.dialect == "postgresql"
            else None
        )

    @asynccontextmanager
    async def transaction(self, *, reads_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any exception.

        ``reads_only``: the unit reads, and writes at most single statements
        that stand on their own (linking someone's platform id, noting where
        a delivery goes). On PostgreSQL it then runs without BEGIN and COMMIT,
        two round trips fewer; under READ COMMITTED every statement sees its
        own snapshot anyway, so its reads are the same as in a transaction.
        Its writes are flushed at the end, and kept even if it then fails.
        """
        try:
            if reads_only and self._autocommit is not None:
                async with self._autocommit() as session:
                    yield session
                    await session.flush()
                return
            async with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise ConnectionLost("the database connection was lost") from exc
            raise

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; closing it ends (rolls back) its transaction
        while leaving loaded objects readable."""
        async with self._sessions() as session:
            yield session

    def pool_use(self) -> tuple[int, int, int, int]:
        """Connections in use, idle in the pool, the pool's size, and how many
        more it may open beyond it (for the metrics)."""
        pool: Any = self.engine.pool
        try:
            return pool.checkedout(), pool.checkedin(), pool.size(), self._max_overflow
        except AttributeError:  # a pool that keeps no count (SQLite in memory)
            return 0, 0, 0, 0

    async def dispose(self) -> None:
        await self.engine.dispose()
