"""PostgreSQL connections dropped under the bot (a restart, a failover, an
idle timeout) cost nobody their command: it runs once more on a new
connection, and nothing is done twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from store.models import Action
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"
CH = "yp-dsr-0042"


async def drop_every_other_connection(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        dropped = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await engine.dispose()
    return int(dropped or 0)


async def test_a_command_after_the_database_dropped_our_connections_still_works(
    harness: Harness, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    h = harness
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)

    assert await drop_every_other_connection(h.app.settings.database_url) >= 1

    reply = await h.say(KIM, "/action assign @kim.lee Book the review by in 2 weeks", channel=CH)
    assert "Action #1 is with Kim Lee" in text_of(reply)
    async with h.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Action)) == 1
