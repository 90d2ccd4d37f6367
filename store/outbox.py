"""The outbox table: enqueue in the caller's transaction; claim and settle for the relay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.gateway import Address, Delivery, Op, SendResult
from bot.messages import Message
from bot.relay import Claimed
from store.db import Database
from store.models import CardRef, Network, Outbox, Person

CLAIM_LEASE = timedelta(minutes=2)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    target_kind: str,
    target_id: int,
    op: str,
    message: Message,
    now: datetime,
    card_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a delivery in the caller's transaction. A repeated key is ignored.

    Returns True when a new row was written.
    """
    values: dict[str, Any] = {
        "idempotency_key": key,
        "target_kind": target_kind,
        "target_id": target_id,
        "op": op,
        "card_key": card_key,
        "payload": message.model_dump(mode="json"),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


class OutboxStore:
    """The relay's view of the outbox (implements ``bot.relay.OutboxPort``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, *, now: datetime, worker: str, limit: int, platforms: tuple[str, ...]
    ) -> list[Claimed]:
        due = or_(
            (Outbox.status == "pending") & (Outbox.next_attempt_at <= now),
            (Outbox.status == "sending") & (Outbox.claimed_until < now),
        )
        async with self._db.transaction() as session:
            pick = select(Outbox.id).where(due).order_by(Outbox.id).limit(limit)
            if self._db.dialect == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list((await session.scalars(pick)).all())
            if not ids:
                return []
            claimed = await session.scalars(
                update(Outbox)
                .where(Outbox.id.in_(ids), due)
                .values(status="sending", claimed_by=worker, claimed_until=now + CLAIM_LEASE)
                .returning(Outbox)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(claimed.all(), key=lambda r: r.id)
            return [await _resolve(session, row, platforms) for row in rows]

    async def mark_sent(self, *, row_id: int, result: SendResult, now: datetime) -> None:
        async with self._db.transaction() as session:
            row = await session.get_one(Outbox, row_id)
            row.status = "sent"
            row.sent_at = now
            row.attempts += 1
            row.platform_message_id = result.message_id
            row.claimed_until = None
            row.last_error = None
            if row.card_key and row.platform:
                await _remember_card(session, row=row, result=result, now=now)

    async def mark_failed(
        self, *, row_id: int, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        async with self._db.transaction() as session:
            row = await session.get_one(Outbox, row_id)
            row.attempts += 1
            row.last_error = error[:2000]
            row.claimed_until = None
            if retry_at is None:
                row.status = "dead"
            else:
                row.status = "pending"
                row.next_attempt_at = retry_at


async def _remember_card(
    session: AsyncSession, *, row: Outbox, result: SendResult, now: datetime
) -> None:
    assert row.card_key and row.platform
    ref = await session.scalar(
        select(CardRef).where(CardRef.card_key == row.card_key, CardRef.platform == row.platform)
    )
    if ref is None:
        session.add(
            CardRef(
                card_key=row.card_key,
                platform=row.platform,
                conversation_id=result.conversation_id,
                message_id=result.message_id,
                updated_at=now,
            )
        )
    else:
        ref.conversation_id = result.conversation_id
        ref.message_id = result.message_id
        ref.updated_at = now


def _person_address(person: Person, platforms: Sequence[str]) -> Address | None:
    for platform in platforms:
        if platform == "slack" and person.slack_user_id:
            return Address(
                platform="slack",
                kind="user",
                conversation_id=person.slack_user_id,
                label=person.email,
            )
        if platform == "teams" and person.teams_user_id:
            return Address(
                platform="teams",
                kind="user",
                conversation_id=person.teams_user_id,
                label=person.email,
            )
        if platform == "console":
            return Address(
                platform="console", kind="user", conversation_id=person.email, label=person.email
            )
    return None


async def _resolve(session: AsyncSession, row: Outbox, platforms: tuple[str, ...]) -> Claimed:
    """Turn a claimed row into a platform delivery (or say why it cannot be)."""
    message = Message.model_validate(row.payload)
    address: Address | None = None
    problem: str | None = None
    if row.target_kind == "network":
        network = await session.get(Network, row.target_id)
        if network is None or not network.space_id:
            problem = f"network {row.target_id} has no chat space yet"
        elif network.space_platform not in platforms:
            problem = f"no {network.space_platform} connection is configured"
        else:
            address = Address(
                platform=network.space_platform,
                kind="channel",
                conversation_id=network.space_id,
                label=f"#{network.space_name}",
            )
    elif row.target_kind == "person":
        person = await session.get(Person, row.target_id)
        if person is None:
            problem = f"person {row.target_id} no longer exists"
        else:
            address = _person_address(person, platforms)
            if address is None:
                problem = f"{person.email} has no account on a connected platform"
    else:
        problem = f"unknown target kind {row.target_kind!r}"
    if address is None:
        return Claimed(row_id=row.id, attempts=row.attempts, delivery=None, problem=problem)
    row.platform = address.platform
    op: Op = "dm" if row.op == "dm" else "post"
    message_id: str | None = None
    if row.card_key:
        ref = await session.scalar(
            select(CardRef).where(
                CardRef.card_key == row.card_key, CardRef.platform == address.platform
            )
        )
        if ref is not None:
            op, message_id = "update", ref.message_id
            address = address.model_copy(update={"conversation_id": ref.conversation_id})
        else:
            op = "post"
    delivery = Delivery(
        key=row.idempotency_key,
        op=op,
        address=address,
        message=message,
        message_id=message_id,
    )
    return Claimed(row_id=row.id, attempts=row.attempts, delivery=delivery)


async def list_rows(
    session: AsyncSession, *, status: str | None = None, limit: int = 50
) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if status:
        query = query.where(Outbox.status == status)
    return list((await session.scalars(query)).all())


async def retry_dead(session: AsyncSession, *, now: datetime, row_id: int | None = None) -> int:
    """Put dead rows back in the queue (all, or one). Returns how many."""
    stmt = update(Outbox).where(Outbox.status == "dead")
    if row_id is not None:
        stmt = stmt.where(Outbox.id == row_id)
    result = await session.execute(
        stmt.values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )
    return int(getattr(result, "rowcount", 0))
