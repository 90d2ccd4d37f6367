"""Migration 0007 folds agency names into a unique key: agencies that were
one agency spelt two ways (possible on SQLite, whose lower() folds only A-Z)
become one, and their people move with them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from store import migrate

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_agencies_spelt_two_ways_are_merged_and_keyed(database_url: str) -> None:
    await migrate.upgrade_async(database_url, "0006")
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO agencies (id, name, kind, created_at) VALUES "
                    "(1, 'Équipe Santé', 'nhs', :at), (2, 'ÉQUIPE  SANTÉ', 'other', :at), "
                    "(3, 'CAMHS', 'nhs', :at)"
                ),
                {"at": AT},
            )
            for person_id, agency_id in ((7, 1), (8, 2), (9, 3)):
                await conn.execute(
                    sa.text(
                        "INSERT INTO people (id, email, name, agency_id, role, active, "
                        "created_at, updated_at) VALUES (:id, :email, 'P', :agency, '', true, "
                        ":at, :at)"
                    ),
                    {
                        "id": person_id,
                        "email": f"p{person_id}@example.org",
                        "agency": agency_id,
                        "at": AT,
                    },
                )
        await migrate.upgrade_async(database_url)
        async with engine.connect() as conn:
            agencies = (
                await conn.execute(sa.text("SELECT id, name, name_key FROM agencies ORDER BY id"))
            ).all()
            people = (
                await conn.execute(sa.text("SELECT id, agency_id FROM people ORDER BY id"))
            ).all()
        assert [tuple(a) for a in agencies] == [
            (1, "Équipe Santé", "équipe santé"),
            (3, "CAMHS", "camhs"),
        ]
        assert [tuple(p) for p in people] == [(7, 1), (8, 1), (9, 3)]
        async with engine.connect() as conn:
            with pytest.raises(sa.exc.IntegrityError):  # the key is unique
                await conn.execute(
                    sa.text(
                        "INSERT INTO agencies (name, name_key, kind, created_at) "
                        "VALUES ('Equipe', 'équipe santé', 'other', :at)"
                    ),
                    {"at": AT},
                )
            await conn.rollback()
        await migrate.downgrade_async(database_url, "0006")
        await migrate.upgrade_async(database_url)
    finally:
        await engine.dispose()
