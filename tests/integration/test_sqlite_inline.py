"""SQLite calls run on the event loop's thread, but waiting for another
process's write lock never blocks the loop (the bot keeps answering)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with database.transaction() as session:
        await session.execute(text("create table notes (body text)"))
    return database


async def test_a_transaction_waiting_for_the_write_lock_leaves_the_loop_free(
    db: Database, tmp_path: Path
) -> None:
    other_process = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.transaction() as session:
            await session.execute(text("insert into notes values ('after the lock')"))

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done(), "the write should be waiting for the lock"
    assert ticks >= 10, f"the event loop was blocked while waiting (only {ticks} ticks)"
    other_process.execute("COMMIT")
    await asyncio.wait_for(writing, timeout=5)
    ticking.cancel()
    other_process.close()

    async with db.reader() as session:
        rows = (await session.execute(text("select body from notes"))).scalars().all()
    assert rows == ["after the lock"]
    await db.dispose()


async def test_a_rolled_back_unit_of_work_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text("insert into notes values ('half done')"))
            raise RuntimeError("the command failed half way")
    async with db.reader() as session:
        count = (await session.execute(text("select count(*) from notes"))).scalar_one()
    assert count == 0
    await db.dispose()
