"""Migration 0005 fills the report history in from what a register already
held, so that a quarter before the upgrade still reports sensibly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from store import migrate
from store.models import Agency, KeyworkerChange, Person, RatingChange, Register, YoungPerson

JOINED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RATED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
# 23:30 UTC on 30 Jun is 00:30 on 1 Jul in London (summer time).
REMOVED = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


def table_at_0004(model: type[Any], columns: set[str]) -> sa.Table:
    """The model's table with only ``columns``: as it was at 0004, before
    later migrations added columns (with defaults an insert would send)."""
    return sa.Table(
        model.__tablename__,
        sa.MetaData(),
        *(column._copy() for column in model.__table__.columns if column.name in columns),
    )


async def test_history_is_backfilled_from_the_current_state(database_url: str) -> None:
    await migrate.upgrade_async(database_url, "0004")
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                Register.__table__.insert().values(
                    id=1, name="North", area="", timezone="Europe/London", created_at=JOINED
                )
            )
            await conn.execute(
                Agency.__table__.insert().values(
                    id=1, name="Keyworking", kind="keyworking", created_at=JOINED
                )
            )
            person_at_0004 = table_at_0004(
                Person,
                {"id", "email", "name", "agency_id", "role", "active", "created_at", "updated_at"},
            )
            await conn.execute(
                person_at_0004.insert().values(
                    id=7,
                    email="kim@example.org",
                    name="Kim",
                    agency_id=1,
                    role="Keyworker",
                    active=True,
                    created_at=JOINED,
                    updated_at=JOINED,
                )
            )
            common = {
                "register_id": 1,
                "age_band": "under-18",
                "ehcp": False,
                "consent_basis": "consent",
                "consent_date": date(2026, 3, 1),
                "created_at": JOINED,
                "rated_at": RATED,
                "keyworker_id": None,
                "archived_at": None,
                "archive_reason": None,
            }
            await conn.execute(
                table_at_0004(YoungPerson, {*common, "id", "reference", "rating"}).insert(),
                [
                    {
                        **common,
                        "id": 1,
                        "reference": "YP-1",
                        "rating": "amber",
                        "rated_at": RATED,
                        "keyworker_id": 7,
                    },
                    {
                        **common,
                        "id": 2,
                        "reference": "YP-2",
                        "rating": "green",
                        "archived_at": REMOVED,
                        "archive_reason": "Stepped down - outcomes met",
                    },
                    {
                        **common,
                        "id": 3,
                        "reference": "YP-3",
                        "rating": None,
                        "archived_at": REMOVED,
                        "archive_reason": "Consent withdrawn",
                    },
                ],
            )
            await conn.execute(
                RatingChange.__table__.insert().values(
                    young_person_id=2, rating="green", rationale="Settled", at=RATED
                )
            )
        await migrate.upgrade_async(database_url, "0005")
        async with engine.connect() as conn:
            keyworkers = (
                await conn.execute(
                    select(
                        KeyworkerChange.young_person_id,
                        KeyworkerChange.keyworker_id,
                        KeyworkerChange.at,
                    )
                )
            ).all()
            ratings = (
                await conn.execute(
                    select(
                        RatingChange.young_person_id, RatingChange.rating, RatingChange.at
                    ).order_by(RatingChange.young_person_id)
                )
            ).all()
            left = (
                await conn.execute(
                    select(
                        YoungPerson.reference, YoungPerson.left_on, YoungPerson.leaving_reason
                    ).order_by(YoungPerson.id)
                )
            ).all()
        # Back down and up again: nothing is left behind or doubled.
        await migrate.downgrade_async(database_url, "0004")
        await migrate.upgrade_async(database_url, "0005")
        async with engine.connect() as conn:
            again = (await conn.execute(select(RatingChange.id))).all()
    finally:
        await engine.dispose()
    assert keyworkers == [(1, 7, JOINED)]  # from the day they joined
    assert ratings == [(1, "amber", RATED), (2, "green", RATED)]  # YP-2 kept its own
    assert left == [
        ("YP-1", None, None),
        ("YP-2", date(2026, 7, 1), "stepped-down"),  # the London day
        ("YP-3", date(2026, 7, 1), "removed"),
    ]
    assert len(again) == 2
