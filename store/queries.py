"""Query functions shared by the features (keyword-only, explicit session)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, raiseload

from store.models import (
    Action,
    Agency,
    Network,
    NetworkMember,
    Person,
    ProcessedEvent,
    Register,
    YoungPerson,
)


async def person_by_email(session: AsyncSession, *, email: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.email == email.strip().lower()))


async def person_by_platform_id(
    session: AsyncSession, *, platform: str, user_id: str
) -> Person | None:
    column = {"slack": Person.slack_user_id, "teams": Person.teams_user_id}.get(platform)
    if column is None:
        return None
    return await session.scalar(select(Person).where(column == user_id))


async def people_by_handle(session: AsyncSession, *, handle: str) -> Sequence[Person]:
    """People whose email local part is the handle (``@sam.patel``)."""
    pattern = f"{handle.lower()}@%"
    return (await session.scalars(select(Person).where(Person.email.like(pattern)))).all()


async def agency_by_name(session: AsyncSession, *, name: str) -> Agency | None:
    return await session.scalar(
        select(Agency).where(func.lower(Agency.name) == name.strip().lower())
    )


async def all_agencies(session: AsyncSession) -> Sequence[Agency]:
    return (await session.scalars(select(Agency).order_by(Agency.name))).all()


async def register_by_name(session: AsyncSession, *, name: str) -> Register | None:
    return await session.scalar(select(Register).where(Register.name == name))


async def first_register(session: AsyncSession) -> Register | None:
    return await session.scalar(select(Register).order_by(Register.id).limit(1))


async def young_person_by_ref(
    session: AsyncSession, *, register_id: int, reference: str
) -> YoungPerson | None:
    return await session.scalar(
        select(YoungPerson).where(
            YoungPerson.register_id == register_id,
            func.upper(YoungPerson.reference) == reference.strip().upper(),
        )
    )


async def open_network_for(session: AsyncSession, *, young_person_id: int) -> Network | None:
    return await session.scalar(
        select(Network).where(Network.young_person_id == young_person_id, Network.status == "open")
    )


async def network_by_space(
    session: AsyncSession, *, platform: str, space_id: str
) -> Network | None:
    return await session.scalar(
        select(Network).where(Network.space_platform == platform, Network.space_id == space_id)
    )


async def network_by_space_for(
    session: AsyncSession, *, platform: str, space_id: str, person_id: int
) -> tuple[Network, bool] | None:
    """The network living in a space and whether ``person_id`` is an active
    member of it, in one round trip."""
    member = (
        select(NetworkMember.id)
        .where(
            NetworkMember.network_id == Network.id,
            NetworkMember.person_id == person_id,
            NetworkMember.removed_at.is_(None),
        )
        .exists()
    )
    row = (
        await session.execute(
            select(Network, member).where(
                Network.space_platform == platform, Network.space_id == space_id
            )
        )
    ).first()
    return None if row is None else (row[0], bool(row[1]))


async def active_members(session: AsyncSession, *, network_id: int) -> Sequence[NetworkMember]:
    return (
        await session.scalars(
            select(NetworkMember)
            .where(NetworkMember.network_id == network_id, NetworkMember.removed_at.is_(None))
            .order_by(NetworkMember.added_at, NetworkMember.id)
        )
    ).all()


async def membership(
    session: AsyncSession, *, network_id: int, person_id: int
) -> NetworkMember | None:
    return await session.scalar(
        select(NetworkMember).where(
            NetworkMember.network_id == network_id, NetworkMember.person_id == person_id
        )
    )


async def is_member(session: AsyncSession, *, network_id: int, person_id: int) -> bool:
    member = await membership(session, network_id=network_id, person_id=person_id)
    return member is not None and member.removed_at is None


async def actions_in_network(
    session: AsyncSession,
    *,
    network_id: int,
    statuses: Sequence[str] = ("open",),
    owner_id: int | None = None,
    due_before: date | None = None,
    limit: int | None = None,
) -> Sequence[Action]:
    """A network's actions with just their owner and agency loaded (what lists,
    counts and checks need); other relationships raise rather than load."""
    query = (
        select(Action)
        .where(Action.network_id == network_id, Action.status.in_(statuses))
        .options(
            joinedload(Action.owner).raiseload("*"),
            joinedload(Action.agency),
            raiseload(Action.network),
            raiseload(Action.assigned_by),
        )
    )
    if owner_id is not None:
        query = query.where(Action.owner_id == owner_id)
    if due_before is not None:
        query = query.where(Action.due_date < due_before)
    query = query.order_by(Action.due_date, Action.id)
    if limit is not None:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


class ActionLine(NamedTuple):
    """What one line of an action list shows (read with Core: no ORM objects)."""

    id: int
    text: str
    owner_name: str
    agency_name: str
    due_date: date
    status: str


@functools.cache
def _action_lines_query() -> Select[int, str, str, str, date, str]:
    """Built once: constructing a select from ORM attributes costs more than
    running it (statements are immutable; ``where`` returns a new one)."""
    owner = aliased(Person)
    return (
        select(Action.id, Action.text, owner.name, Agency.name, Action.due_date, Action.status)
        .join(owner, owner.id == Action.owner_id)
        .join(Agency, Agency.id == Action.agency_id)
    )


async def action_lines(
    session: AsyncSession,
    *,
    network_id: int | None = None,
    statuses: Sequence[str] = ("open",),
    owner_id: int | None = None,
    due_before: date | None = None,
    limit: int | None = None,
) -> list[ActionLine]:
    """Lines for an action list, soonest due first: one network's, or (with
    only ``owner_id``) someone's open actions across the open networks they
    are still a member of."""
    query = _action_lines_query().where(Action.status.in_(statuses))
    if network_id is not None:
        query = query.where(Action.network_id == network_id)
    else:
        assert owner_id is not None, "a list is of one network or of one owner"
        query = query.join(Network, Network.id == Action.network_id).where(
            Network.status == "open",
            select(NetworkMember.id)
            .where(
                NetworkMember.network_id == Action.network_id,
                NetworkMember.person_id == owner_id,
                NetworkMember.removed_at.is_(None),
            )
            .exists(),
        )
    if owner_id is not None:
        query = query.where(Action.owner_id == owner_id)
    if due_before is not None:
        query = query.where(Action.due_date < due_before)
    query = query.order_by(Action.due_date, Action.id)
    if limit is not None:
        query = query.limit(limit)
    return [ActionLine._make(row) for row in (await session.execute(query)).all()]


async def mark_processed(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Record an inbound delivery key; False if it was seen before.

    One statement (INSERT … ON CONFLICT DO NOTHING), so a duplicate neither
    spoils the caller's transaction nor costs a savepoint.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    result = await session.execute(_processed_insert(dialect), {"key": key[:200], "seen_at": now})
    return bool(getattr(result, "rowcount", 0))


@functools.cache
def _processed_insert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(cast(Table, ProcessedEvent.__table__)).on_conflict_do_nothing(
        index_elements=["key"]
    )
