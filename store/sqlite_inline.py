"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call (make a cursor, execute, fetch, close) on a worker
thread and wakes the event loop for each result. Through SQLAlchemy that is
four hops per statement, about 0.5 ms on our 2-core machine, while the
statement itself takes a few microseconds: the hand-offs were most of a slash
command's cost.

``InlineConnection`` is aiosqlite's connection with one change: calls that
cannot wait run directly on the event loop's thread. Calls that can wait for
another process's lock (``BEGIN`` and ``PRAGMA``; with WAL nothing else waits
for a lock once the write lock is held) still go to the worker thread, so a
busy database never blocks the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

_MAY_WAIT_FOR_A_LOCK = ("BEGIN", "PRAGMA")


def _may_wait(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    if getattr(fn, "__name__", "") not in ("execute", "executescript"):
        return False
    sql = args[0] if args and isinstance(args[0], str) else ""
    return sql.lstrip().upper().startswith(_MAY_WAIT_FOR_A_LOCK)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, running lock-free calls on the caller's thread."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _may_wait(fn, args):
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def connect(path: str) -> InlineConnection:
    """Open ``path`` (the worker thread opens it; later calls may run on the
    event loop's thread, hence ``check_same_thread=False``)."""
    connection = InlineConnection(
        partial(sqlite3.connect, path, check_same_thread=False), iter_chunk_size=64
    )
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite
    await connection
    return connection
