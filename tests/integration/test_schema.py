"""Migrations go up and down cleanly, and match the models, on the database under test."""

from __future__ import annotations

import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from store import migrate
from store.models import Base

TABLES = {
    "registers",
    "agencies",
    "people",
    "young_people",
    "networks",
    "network_members",
    "actions",
    "action_events",
    "audit_events",
    "outbox",
    "card_refs",
    "processed_events",
}


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sqlalchemy.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    await migrate.upgrade_async(database_url)
    assert await tables(database_url) == TABLES
    assert await migrate.current_revision(database_url) == migrate.head_revision()
    await migrate.downgrade_async(database_url, "base")
    assert await tables(database_url) == set()
    await migrate.upgrade_async(database_url)
    assert await tables(database_url) == TABLES


async def test_migrations_match_the_models(migrated_url: str) -> None:
    engine = create_async_engine(migrated_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []
