"""Query functions shared by the features (keyword-only, explicit session)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, raiseload

from bot.folding import fold
from store.models import (
    Action,
    Admission,
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


# The queries on every command's path are built once, with bound parameters:
# SQLAlchemy then reuses the statement's cache key and compiled form, which
# costs less than building the statement again.


@functools.cache
def _person_by_platform_id(platform: str) -> Select[Person]:
    column = Person.account_column(platform)
    assert column is not None
    return select(Person).where(column == bindparam("user_id"))


async def person_by_platform_id(
    session: AsyncSession, *, platform: str, user_id: str
) -> Person | None:
    if Person.account_column(platform) is None:
        return None
    return await session.scalar(_person_by_platform_id(platform), {"user_id": user_id})


@functools.cache
def _people_by_handle() -> Select[Person]:
    # A range on the (unique, indexed) email rather than LIKE, which scans:
    # every "handle@…" sorts between "handle@" and "handleA" ("@" < "A").
    return select(Person).where(Person.email >= bindparam("low"), Person.email < bindparam("high"))


async def people_by_handle(session: AsyncSession, *, handle: str) -> Sequence[Person]:
    """People whose email local part is the handle (``@sam.patel``)."""
    local = handle.lower()
    params = {"low": f"{local}@", "high": f"{local}A"}
    return (await session.scalars(_people_by_handle(), params)).all()


async def agency_by_name(session: AsyncSession, *, name: str) -> Agency | None:
    """The agency whose name folds to the same as ``name`` (accents and all:
    "ÉQUIPE SANTÉ" finds "Équipe Santé" on SQLite too)."""
    return await session.scalar(select(Agency).where(Agency.name_key == fold(name)))


async def all_agencies(session: AsyncSession) -> Sequence[Agency]:
    return (await session.scalars(select(Agency).order_by(Agency.name))).all()


async def register_by_name(session: AsyncSession, *, name: str) -> Register | None:
    return await session.scalar(select(Register).where(Register.name == name))


async def ensure_register(
    session: AsyncSession, *, name: str, area: str, timezone: str, now: datetime
) -> Register:
    """The register called ``name``, made if it does not exist yet (one
    statement, INSERT … ON CONFLICT DO NOTHING, so two first commands at once
    both find the same register)."""
    found = await register_by_name(session, name=name)
    if found is not None:
        return found
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(cast(Table, Register.__table__))
        .values(name=name, area=area, timezone=timezone, created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    made = await register_by_name(session, name=name)
    assert made is not None
    return made


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


@functools.cache
def _network_by_space_for() -> Select[Network, bool]:
    member = (
        select(NetworkMember.id)
        .where(
            NetworkMember.network_id == Network.id,
            NetworkMember.person_id == bindparam("person_id"),
            NetworkMember.removed_at.is_(None),
        )
        .exists()
    )
    return select(Network, member).where(
        Network.space_platform == bindparam("platform"), Network.space_id == bindparam("space_id")
    )


async def network_by_space_for(
    session: AsyncSession, *, platform: str, space_id: str, person_id: int
) -> tuple[Network, bool] | None:
    """The network living in a space and whether ``person_id`` is an active
    member of it, in one round trip."""
    params = {"platform": platform, "space_id": space_id, "person_id": person_id}
    row = (await session.execute(_network_by_space_for(), params)).first()
    return None if row is None else (row[0], bool(row[1]))


async def active_members(session: AsyncSession, *, network_id: int) -> Sequence[NetworkMember]:
    return (
        await session.scalars(
            select(NetworkMember)
            .where(NetworkMember.network_id == network_id, NetworkMember.removed_at.is_(None))
            .order_by(NetworkMember.added_at, NetworkMember.id)
        )
    ).all()


@functools.cache
def _membership() -> Select[NetworkMember]:
    return select(NetworkMember).where(
        NetworkMember.network_id == bindparam("network_id"),
        NetworkMember.person_id == bindparam("person_id"),
    )


async def membership(
    session: AsyncSession, *, network_id: int, person_id: int
) -> NetworkMember | None:
    params = {"network_id": network_id, "person_id": person_id}
    return await session.scalar(_membership(), params)


async def is_member(session: AsyncSession, *, network_id: int, person_id: int) -> bool:
    member = await membership(session, network_id=network_id, person_id=person_id)
    return member is not None and member.removed_at is None


class OpenActions(NamedTuple):
    """What a network card says of its open actions."""

    total: int
    overdue: int
    next_review: date | None


async def open_actions_summary(
    session: AsyncSession, *, network_id: int, today: date, review_prefix: str
) -> OpenActions:
    """A network's open actions counted, those overdue by ``today``, and the
    soonest due date of a review still to hold (a "review" action whose text
    begins with ``review_prefix``): one aggregate query, however many."""
    review = (Action.source == "review") & (
        func.substr(Action.text, 1, len(review_prefix)) == review_prefix
    )
    count, overdue, next_review = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Action.due_date < today),
                func.min(Action.due_date).filter(review),
            ).where(Action.network_id == network_id, Action.status == "open")
        )
    ).one()
    return OpenActions(int(count or 0), int(overdue or 0), next_review)


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
def _action_lines_query(
    *, statuses: tuple[str, ...], by_network: bool, by_owner: bool, due_before: bool
) -> Select[int, str, str, str, date, str]:
    """One statement per shape of list, built once; values are parameters."""
    owner = aliased(Person)
    query = (
        select(Action.id, Action.text, owner.name, Agency.name, Action.due_date, Action.status)
        .join(owner, owner.id == Action.owner_id)
        .join(Agency, Agency.id == Action.agency_id)
        .where(Action.status.in_(statuses))
    )
    if by_network:
        query = query.where(Action.network_id == bindparam("network_id"))
    else:
        query = query.join(Network, Network.id == Action.network_id).where(
            Network.status == "open",
            select(NetworkMember.id)
            .where(
                NetworkMember.network_id == Action.network_id,
                NetworkMember.person_id == bindparam("owner_id"),
                NetworkMember.removed_at.is_(None),
            )
            .exists(),
        )
    if by_owner:
        query = query.where(Action.owner_id == bindparam("owner_id"))
    if due_before:
        query = query.where(Action.due_date < bindparam("due_before"))
    return query.order_by(Action.due_date, Action.id).limit(bindparam("limit"))


async def action_lines(
    session: AsyncSession,
    *,
    network_id: int | None = None,
    statuses: Sequence[str] = ("open",),
    owner_id: int | None = None,
    due_before: date | None = None,
    limit: int = 1000,
) -> list[ActionLine]:
    """Lines for an action list, soonest due first: one network's, or (with
    only ``owner_id``) someone's open actions across the open networks they
    are still a member of."""
    if network_id is None and owner_id is None:
        raise ValueError("a list is of one network or of one owner")
    query = _action_lines_query(
        statuses=tuple(statuses),
        by_network=network_id is not None,
        by_owner=owner_id is not None,
        due_before=due_before is not None,
    )
    params = {
        "network_id": network_id,
        "owner_id": owner_id,
        "due_before": due_before,
        "limit": limit,
    }
    used = {name: value for name, value in params.items() if value is not None}
    return [ActionLine._make(row) for row in (await session.execute(query, used)).all()]


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


async def holds_anyone(session: AsyncSession, *, person_id: int) -> bool:
    """Whether someone is the keyworker of anyone on a register, or of an
    open network."""
    on_register = select(YoungPerson.id).where(
        YoungPerson.keyworker_id == person_id, YoungPerson.archived_at.is_(None)
    )
    in_network = select(Network.id).where(
        Network.keyworker_id == person_id, Network.status == "open"
    )
    found = await session.scalar(select(on_register.exists() | in_network.exists()))
    return bool(found)


async def open_admission(session: AsyncSession, *, young_person_id: int) -> Admission | None:
    """The young person's admission that has no discharge yet, if any."""
    return await session.scalar(
        select(Admission)
        .where(Admission.young_person_id == young_person_id, Admission.discharged_on.is_(None))
        .order_by(Admission.id.desc())
        .limit(1)
    )
