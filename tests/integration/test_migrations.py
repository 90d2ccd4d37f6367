"""Alembic migrations on the database under test: up, down, up again, and in
step with the models."""

from __future__ import annotations

from typing import Any

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
    "cetrs",
    "rating_changes",
    "keyworker_changes",
    "imported_events",
    "admissions",
    "job_locks",
    "meetings",
    "meeting_outcomes",
    "action_events",
    "audit_events",
    "outbox",
    "card_refs",
    "processed_events",
    "teams_conversations",
    "action_grants",
    "support_changes",
    "consent_events",
    "membership_review_items",
    "link_revocations",
}


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sqlalchemy.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


async def differences(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_a_new_database_has_no_revision(database_url: str) -> None:
    assert await table_names(database_url) == set()
    assert await migrate.current_revision(database_url) is None
    assert migrate.head_revision() is not None


async def test_upgrade_to_head_creates_every_table(database_url: str) -> None:
    await migrate.upgrade_async(database_url)
    assert await table_names(database_url) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES  # the models know no other table
    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    await migrate.upgrade_async(database_url)
    await migrate.upgrade_async(database_url)
    assert await table_names(database_url) == TABLES | {"alembic_version"}
    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_downgrade_to_base_removes_everything_and_upgrade_works_again(
    database_url: str,
) -> None:
    await migrate.upgrade_async(database_url)
    await migrate.downgrade_async(database_url, "base")
    assert await table_names(database_url) <= {"alembic_version"}
    assert await migrate.current_revision(database_url) is None

    await migrate.upgrade_async(database_url)
    assert await table_names(database_url) == TABLES | {"alembic_version"}
    assert await migrate.current_revision(database_url) == migrate.head_revision()
    assert await differences(database_url) == []


async def test_the_models_match_the_migrations(migrated_url: str) -> None:
    diff = await differences(migrated_url)
    assert diff == [], "\n".join(map(str, diff))


async def test_the_outbox_indexes_exist(migrated_url: str) -> None:
    """The relay's claim query and the idempotency key rely on these."""
    engine = create_async_engine(migrated_url)
    try:
        async with engine.connect() as conn:

            def inspect(c: Any) -> tuple[list[Any], list[Any]]:
                inspector = sqlalchemy.inspect(c)
                return inspector.get_indexes("outbox"), inspector.get_unique_constraints("outbox")

            indexes, uniques = await conn.run_sync(inspect)
    finally:
        await engine.dispose()
    by_name = {i["name"]: i["column_names"] for i in indexes}
    assert by_name["ix_outbox_status_next"] == ["status", "next_attempt_at"]
    unique_columns = [u["column_names"] for u in uniques] + [
        i["column_names"] for i in indexes if i.get("unique")
    ]
    assert ["idempotency_key"] in unique_columns


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    """`readyz` and every command's start read the head from the migration
    files without loading Alembic; it must be the head Alembic finds."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert migrate.head_revision() == head
