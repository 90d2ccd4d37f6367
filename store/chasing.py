"""Queries for the reminder and chase jobs: a fixed number per run, however
many actions are due."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Action, JobLock, Network, Person


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
    with their owner, agency and network loaded (one query)."""
    query = (
        select(Action)
        .join(Network, Network.id == Action.network_id)
        .where(
            Action.status == "open",
            Action.due_date < today,
            Network.status == "open",
            *_not_held(today),
        )
        .order_by(Action.network_id, Action.due_date, Action.id)
    )
    return (await session.scalars(query)).unique().all()


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
