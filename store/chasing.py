"""Queries for the reminder and chase jobs: a fixed number per run, however
many actions are due."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from store.models import Action, Agency, JobLock, Network, Person


async def lock_job(session: AsyncSession, *, name: str, now: datetime, worker: str) -> None:
    """Hold the job's lock until the caller's transaction ends, so two
    processes never run the same job at once (the second waits, then finds
    the work done). SQLite's write lock already serialises transactions."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(JobLock).values(name=name).on_conflict_do_nothing(index_elements=["name"])
    )
    query = select(JobLock).where(JobLock.name == name)
    if dialect == "postgresql":
        query = query.with_for_update()
    lock = (await session.scalars(query)).one()
    lock.last_run_at, lock.last_run_by = now, worker


def _not_held(today: date):  # type: ignore[no-untyped-def]
    return (
        or_(Action.paused_until.is_(None), Action.paused_until < today),
        or_(Action.snoozed_until.is_(None), Action.snoozed_until < today),
    )


async def overdue_actions(session: AsyncSession, *, today: date) -> Sequence[Action]:
    """Open actions in open networks, due before today, not paused or snoozed,
    with their network (and young person, keyworker), owner, agency and
    assigner loaded: four queries, each related row loaded once however many
    actions share it (ten thousand overdue actions share a few thousand
    networks and a few hundred people), not once per action."""
    overdue = (
        Action.status == "open",
        Action.due_date < today,
        Network.status == "open",
        *_not_held(today),
    )

    def ids(column: Any) -> Any:
        return (
            select(column).join(Network, Network.id == Action.network_id).where(*overdue)
        ).scalar_subquery()

    query = (
        select(Action)
        .join(Network, Network.id == Action.network_id)
        .where(*overdue)
        .order_by(Action.network_id, Action.due_date, Action.id)
        .options(lazyload("*"))
    )
    actions = (await session.scalars(query)).all()
    if not actions:
        return actions
    networks = {
        n.id: n
        for n in (
            await session.scalars(select(Network).where(Network.id.in_(ids(Action.network_id))))
        )
        .unique()
        .all()
    }
    wanted = or_(Person.id.in_(ids(Action.owner_id)), Person.id.in_(ids(Action.assigned_by_id)))
    people = {p.id: p for p in (await session.scalars(select(Person).where(wanted))).unique().all()}
    agencies = {
        a.id: a
        for a in (await session.scalars(select(Agency).where(Agency.id.in_(ids(Action.agency_id)))))
    }
    for action in actions:
        set_committed_value(action, "network", networks[action.network_id])
        set_committed_value(action, "owner", people[action.owner_id])
        set_committed_value(action, "agency", agencies[action.agency_id])
        set_committed_value(action, "assigned_by", people[action.assigned_by_id])
    return actions


async def coming_due(session: AsyncSession, *, today: date, until: date) -> Sequence[Action]:
    """Open actions not yet chased, due after today and by ``until``, not yet
    reminded of their current due date."""
    query = (
        select(Action)
        .join(Network, Network.id == Action.network_id)
        .where(
            Action.status == "open",
            Action.escalation_stage == 0,
            Action.due_date > today,
            Action.due_date <= until,
            Network.status == "open",
            or_(Action.reminded_for.is_(None), Action.reminded_for != Action.due_date),
            *_not_held(today),
        )
        .order_by(Action.owner_id, Action.due_date, Action.id)
    )
    return (await session.scalars(query)).unique().all()


async def people_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {p.id: p for p in rows}


async def people_by_emails(session: AsyncSession, emails: Iterable[str]) -> dict[str, Person]:
    wanted = {e.strip().lower() for e in emails if e}
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Person).where(Person.email.in_(wanted), Person.active.is_(True))
    )
    return {p.email: p for p in rows}


async def chairs(session: AsyncSession, *, email: str | None) -> list[Person]:
    """The DSR chair named in the policy, or everyone whose role names a chair."""
    if email:
        return list((await people_by_emails(session, [email])).values())
    rows = await session.scalars(
        select(Person)
        .where(Person.active.is_(True), Person.role.ilike("%chair%"))
        .order_by(Person.id)
    )
    return list(rows)
