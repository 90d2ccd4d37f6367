"""The outbox table: enqueue in the caller's transaction; claim and settle for the relay."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import routing
from bot.gateway import Address, Delivery, Member, Op, SendResult, SpaceRequest
from bot.messages import Message
from bot.relay import Claimed, Prepared
from store.bulk import JsonText, insert_rows, plain
from store.db import Database
from store.models import Action, CardRef, Network, NetworkMember, Outbox, Person
from store.types import UTCDateTime

CLAIM_LEASE = timedelta(minutes=2)

# A row whose payload names a view ({"view": name, …}) holds no message: its
# message is rendered as it is sent, from the state of that moment (a card
# queued by a sweep of ten thousand actions is drawn once, when it goes, and
# the outbox keeps no copy of its text). The composition root passes the
# renderer: it returns the message, or None when there is nothing left to show.
Render = Callable[[AsyncSession, "Outbox"], Awaitable[Message | None]]
VIEW = "view"


def row(
    *,
    key: str,
    target_kind: str,
    target_id: int,
    op: str,
    now: datetime,
    message: Message | None = None,
    payload: dict[str, Any] | None = None,
    card_key: str | None = None,
    not_before: datetime | None = None,
    target_ref: str | None = None,
) -> dict[str, Any]:
    """The values of one outbox row, ready for ``enqueue_many``. A row for a
    named conversation (target_kind "conversation") gives it as
    ``target_ref="platform:conversation id"``."""
    return {
        "idempotency_key": key,
        "target_kind": target_kind,
        "target_id": target_id,
        "target_ref": target_ref,
        "op": op,
        "card_key": card_key,
        "payload": JsonText(message.model_dump_json()) if message is not None else (payload or {}),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


async def enqueue(session: AsyncSession, **values: Any) -> bool:
    """Add one delivery (see ``row`` for the arguments) in the caller's
    transaction. A repeated key is ignored; returns True when a row was written."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    result = await session.execute(_insert_once(dialect), plain(row(**values)))
    return bool(getattr(result, "rowcount", 0))


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add several deliveries in one statement, in order; repeated keys are ignored."""
    await insert_rows(
        session, cast(Table, Outbox.__table__), rows, skip_conflicts_on="idempotency_key"
    )


@functools.cache
def _insert_once(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, built once per dialect (values are
    passed as parameters, so the compiled statement is reused)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, Outbox.__table__)
    return insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])


@functools.cache
def _prepare_query() -> Any:
    """One query for ``prepare``: the row, its network or person (kept in the
    session for ``_resolve``), the card's location in the network's space,
    whether a newer version of the card is on its way, the earliest earlier
    version still to go, and whether the card was ever posted. Built once
    (``row_id`` is a parameter): building it took longer than running it."""
    newer, earlier = aliased(Outbox), aliased(Outbox)
    any_ref = aliased(CardRef)  # on any platform (the join below is the network's)
    posted = select(any_ref.id).where(any_ref.card_key == Outbox.card_key).exists()
    newer_coming = (
        select(newer.id)
        .where(newer.card_key == Outbox.card_key, newer.id > Outbox.id, newer.status != "dead")
        .exists()
    )
    earlier_waiting = (
        select(earlier.id)
        .where(
            earlier.card_key == Outbox.card_key,
            earlier.id < Outbox.id,
            earlier.status.in_(("pending", "sending")),
        )
        .order_by(earlier.id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Outbox, Network, Person, CardRef, newer_coming, earlier_waiting, posted)
        .outerjoin(Network, (Outbox.target_kind == "network") & (Network.id == Outbox.target_id))
        .outerjoin(Person, (Outbox.target_kind == "person") & (Person.id == Outbox.target_id))
        .outerjoin(
            CardRef,
            (CardRef.card_key == Outbox.card_key) & (CardRef.platform == Network.space_platform),
        )
        .where(Outbox.id == bindparam("row_id"))
    )


class OutboxStore:
    """The relay's view of the outbox (implements ``bot.relay.OutboxPort``)."""

    def __init__(self, db: Database, *, render: Render | None = None) -> None:
        self._db = db
        self._render = render

    async def pending(self, *, now: datetime) -> tuple[int, int, datetime | None]:
        """Rows to deliver: how many are due at ``now``, how many wait for a
        later time (service hours, a retry), and the earliest of those times."""
        later = Outbox.next_attempt_at > now
        async with self._db.reader() as session:
            due, waiting, first = (
                await session.execute(
                    select(
                        func.count().filter(~later),
                        func.count().filter(later),
                        func.min(Outbox.next_attempt_at).filter(later),
                    ).where(Outbox.status == "pending")
                )
            ).one()
        return int(due or 0), int(waiting or 0), first

    async def claim(self, *, now: datetime, worker: str, limit: int) -> list[Claimed]:
        due = or_(
            (Outbox.status == "pending") & (Outbox.next_attempt_at <= now),
            (Outbox.status == "sending") & (Outbox.claimed_until < now),
        )
        # One statement (the rows picked and taken in one go, atomic on its
        # own): on PostgreSQL it skips rows another relay is taking. The pick
        # reads an alias, so that it is not correlated with the UPDATE.
        candidate = aliased(Outbox)
        pick = (
            select(candidate.id)
            .where(
                or_(
                    (candidate.status == "pending") & (candidate.next_attempt_at <= now),
                    (candidate.status == "sending") & (candidate.claimed_until < now),
                )
            )
            .order_by(candidate.id)
            .limit(limit)
        )
        picked: Any = Outbox.id.in_(pick.scalar_subquery())
        if self._db.dialect == "postgresql":
            # = ANY(ARRAY(…)): the pick runs once, before the update. As
            # IN (…) PostgreSQL may run it again for rows it rechecks, and
            # then takes more than ``limit`` rows.
            pick = pick.with_for_update(skip_locked=True)
            picked = Outbox.id == any_(func.array(pick.scalar_subquery()))
        async with self._db.transaction(reads_only=True) as session:
            claimed = await session.execute(
                update(Outbox)
                .where(picked, due)
                .values(
                    status="sending",
                    claimed_by=worker,
                    claimed_until=now + CLAIM_LEASE,
                    # A row taken back from a relay that died mid-send counts as
                    # an attempt: that try may have landed (the gateway checks),
                    # and a row that kills relays cannot be retried for ever.
                    attempts=case(
                        (Outbox.status == "sending", Outbox.attempts + 1),
                        else_=Outbox.attempts,
                    ),
                )
                .returning(Outbox.id, Outbox.attempts)
                .execution_options(synchronize_session=False)
            )
            return sorted(
                (Claimed(row_id=row_id, attempts=attempts) for row_id, attempts in claimed.all()),
                key=lambda c: c.row_id,
            )

    async def prepare(self, *, row_id: int, attempts: int, platforms: tuple[str, ...]) -> Prepared:
        # Reads, and at most one write that stands alone (where the row goes,
        # or that a newer card made it needless): no BEGIN/COMMIT needed.
        async with self._db.transaction(reads_only=True) as session:
            found = (await session.execute(_prepare_query(), {"row_id": row_id})).one()
            row: Outbox = found[0]
            network: Network | None = found[1]
            card_ref: CardRef | None = found[3]
            newer_is_coming, earlier_id, card_exists = bool(found[4]), found[5], bool(found[6])
            if row.card_key and earlier_id is not None:
                # A card's versions go out in order, against one message: a
                # version waits until the one before it is resolved (posted,
                # or found again after a lost answer), then edits it.
                before = await session.get_one(Outbox, earlier_id)
                return Prepared(
                    delivery=None,
                    problem="waiting for an earlier version of this card",
                    wait_seconds=routing.WAIT_FOR_SPACE_SECONDS,
                    wait_until=before.next_attempt_at if before.status == "pending" else None,
                )
            if row.card_key and newer_is_coming and card_exists:
                # The newer version edits the same message with the latest state.
                _settled_unsent(row, why="superseded by a newer version of the card")
                return Prepared(delivery=None, superseded=True)
            known = {network.space_platform: card_ref} if network is not None else {}
            message: Message | None = None
            if row.op != "space" and row.op != "retract":
                message = await self._message(session, row)
                if message is None:
                    _settled_unsent(row, why="nothing left to show: what it was about is gone")
                    return Prepared(delivery=None, superseded=True)
            return await _resolve(
                session, row, platforms, attempts=attempts, card_refs=known, message=message
            )

    async def _message(self, session: AsyncSession, row: Outbox) -> Message | None:
        """The row's message: the one it holds, or its view rendered now."""
        if VIEW not in row.payload:
            return Message.model_validate(row.payload)
        if self._render is None:
            raise RuntimeError(f"outbox row {row.id} names a view, and no renderer was given")
        return await self._render(session, row)

    async def mark_sent(
        self, *, row_id: int, result: SendResult, now: datetime, platform: str | None = None
    ) -> None:
        if self._db.dialect == "postgresql" and not (result.linked or result.problems):
            # The usual case in one statement (atomic on its own): settle the
            # row and remember where its card is. A space operation, which has
            # more to remember, takes the path below.
            async with self._db.transaction(reads_only=True) as session:
                done = await session.execute(
                    _settle(), _settle_values(row_id, result, now, platform)
                )
                if done.first() is not None:
                    return
        async with self._db.transaction() as session:
            # One statement settles the row and says what else to remember.
            settled = (
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id == bindparam("row_id"))
                    .values(_sent())
                    .returning(Outbox.card_key, Outbox.platform, Outbox.op)
                    .execution_options(synchronize_session=False),
                    _sent_params(row_id, result, now, platform),
                )
            ).one()
            card_key, platform, op = settled
            if card_key and platform:
                await _remember_card(
                    session, card_key=card_key, platform=platform, result=result, now=now
                )
            if op == "space" or result.linked or result.problems:
                row = await session.get_one(Outbox, row_id)
                await _write_back(session, row=row, result=result, now=now)

    async def mark_failed(
        self,
        *,
        row_id: int,
        error: str,
        retry_at: datetime | None,
        now: datetime,
        count_attempt: bool = True,
        platform: str | None = None,
        undeliverable: bool = False,
    ) -> None:
        async with self._db.transaction() as session:
            row = await session.get_one(Outbox, row_id)
            if platform is not None:
                row.platform = platform
            if count_attempt:
                row.attempts += 1
            row.last_error = error[:2000]
            row.claimed_until = None
            if retry_at is None:
                row.status = "dead"
                if undeliverable and row.target_kind == "person":
                    await _report_undeliverable(session, row=row, reason=error, now=now)
            else:
                row.status = "pending"
                row.next_attempt_at = retry_at

    async def release(self, *, row_ids: Sequence[int], worker: str) -> int:
        """Hand claimed rows back unsent (a relay shutting down): due again at
        once, for any relay, and not counted as an attempt."""
        if not row_ids:
            return 0
        async with self._db.transaction() as session:
            result = await session.execute(
                update(Outbox)
                .where(
                    Outbox.id.in_(list(row_ids)),
                    Outbox.status == "sending",
                    Outbox.claimed_by == worker,
                )
                .values(status="pending", claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0))


async def _write_back(
    session: AsyncSession, *, row: Outbox, result: SendResult, now: datetime
) -> None:
    """Remember what the platform told us: a new space's id, people it found."""
    platform = row.platform or ""
    if row.op == "space" and row.target_kind == "network":
        network = await session.get(Network, row.target_id)
        if network is not None and row.payload.get("action") == "create":
            network.space_id = result.conversation_id
    column = Person.account_column(platform)
    if column is not None:
        for email, user_id in result.linked.items():
            person = await session.scalar(select(Person).where(Person.email == email.lower()))
            taken = await session.scalar(select(Person.id).where(column == user_id))
            if person is not None and taken is None:
                person.link_account(platform, user_id)
    if result.problems and row.target_kind == "network":
        message = routing.problems_notice(result.problems)
        # The same problem (someone the platform can't find) may come back from
        # several rows, such as a space's creation and its first invitation:
        # say it once a day.
        digest = hashlib.sha256(message.text.encode()).hexdigest()[:16]
        await enqueue(
            session,
            key=f"problems:{row.target_id}:{now.date().isoformat()}:{digest}",
            target_kind="network",
            target_id=row.target_id,
            op="post",
            message=message,
            now=now,
        )


async def _report_undeliverable(
    session: AsyncSession, *, row: Outbox, reason: str, now: datetime
) -> None:
    """A message to a person that can never reach them (an email address the
    service refuses): tell the keyworker of each network whose actions it
    was about (or the network's space, when it has no keyworker)."""
    message = Message.model_validate(row.payload)
    if not message.actions:
        return
    person = await session.get(Person, row.target_id)
    refs = {ref.action_id: ref for ref in message.actions}
    found = await session.execute(
        select(Action.id, Network.id, Network.keyworker_id)
        .join(Network, Network.id == Action.network_id)
        .where(Action.id.in_(list(refs)))
    )
    by_network: dict[int, tuple[int | None, list[int]]] = {}
    for action_id, network_id, keyworker_id in found.all():
        by_network.setdefault(network_id, (keyworker_id, []))[1].append(action_id)
    email = person.email if person is not None else f"person {row.target_id}"
    for network_id, (keyworker_id, action_ids) in sorted(by_network.items()):
        notice = routing.undeliverable_notice(
            email=email,
            reason=reason.removeprefix("email: "),
            actions=[refs[i] for i in sorted(action_ids)],
            today=now.date(),
        )
        tell_keyworker = keyworker_id is not None and keyworker_id != row.target_id
        await enqueue(
            session,
            key=f"undeliverable:{row.id}:n{network_id}",
            target_kind="person" if tell_keyworker else "network",
            target_id=keyworker_id if tell_keyworker and keyworker_id else network_id,
            op="dm" if tell_keyworker else "post",
            message=notice,
            now=now,
        )


def _settled_unsent(row: Outbox, *, why: str) -> None:
    """A row that needs sending no more counts as sent, saying why."""
    row.status, row.sent_at, row.claimed_until = "sent", row.created_at, None
    row.last_error = why


def _sent() -> dict[str, Any]:
    """A sent row's new values, as parameters (``_sent_params``)."""
    return {
        "status": "sent",
        "sent_at": bindparam("now", type_=UTCDateTime()),
        "attempts": Outbox.attempts + 1,
        "platform_message_id": bindparam("message_id", type_=String),
        "platform_conversation_id": bindparam("conversation_id", type_=String),
        "claimed_until": None,
        "last_error": None,
        "platform": func.coalesce(bindparam("platform", type_=String), Outbox.platform),
    }


def _sent_params(
    row_id: int, result: SendResult, now: datetime, platform: str | None
) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "now": now,
        "message_id": result.message_id or None,
        "conversation_id": result.conversation_id or None,
        "platform": platform,
    }


@functools.cache
def _settle() -> Any:
    """PostgreSQL: mark a row (not a space operation) sent and upsert its
    card's location, in one statement with two data-modifying CTEs. Built
    once, with parameters (``_settle_values``)."""
    settled = (
        update(Outbox)
        .where(Outbox.id == bindparam("row_id"), Outbox.op != "space")
        .values(_sent())
        .returning(Outbox.id, Outbox.card_key, Outbox.platform)
        .cte("settled")
    )
    card = {
        "conversation_id": bindparam("card_conversation_id", type_=String),
        "message_id": bindparam("card_message_id", type_=String),
        "updated_at": bindparam("now", type_=UTCDateTime()),
    }
    remember = (
        pg_insert(CardRef)
        .from_select(
            ["card_key", "platform", *card],
            select(settled.c.card_key, settled.c.platform, *card.values()).where(
                settled.c.card_key.is_not(None), settled.c.platform.is_not(None)
            ),
        )
        .on_conflict_do_update(
            index_elements=["card_key", "platform"],
            set_={name: getattr(pg_insert(CardRef).excluded, name) for name in card},
        )
        .cte("remember")
    )
    return select(settled.c.id).add_cte(remember)


def _settle_values(
    row_id: int, result: SendResult, now: datetime, platform: str | None
) -> dict[str, Any]:
    return _sent_params(row_id, result, now, platform) | {
        "card_conversation_id": result.conversation_id,
        "card_message_id": result.message_id,
    }


async def _remember_card(
    session: AsyncSession, *, card_key: str, platform: str, result: SendResult, now: datetime
) -> None:
    """Where the card now lives (one upsert: the first delivery adds it, later
    ones move it if the platform posted it anew)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        "conversation_id": result.conversation_id,
        "message_id": result.message_id,
        "updated_at": now,
    }
    await session.execute(
        insert(CardRef)
        .values(card_key=card_key, platform=platform, **values)
        .on_conflict_do_update(index_elements=["card_key", "platform"], set_=values)
    )


async def _space_request(session: AsyncSession, row: Outbox, network: Network) -> SpaceRequest:
    """The space operation, with members as they are *now* (not when queued)."""
    action = row.payload.get("action", "")
    emails = [str(e) for e in row.payload.get("emails", [])]
    if action == "create":
        members = await session.scalars(
            select(NetworkMember)
            .where(NetworkMember.network_id == network.id, NetworkMember.removed_at.is_(None))
            .order_by(NetworkMember.id)
        )
        emails = [m.person.email for m in members.all()]
    people = {
        p.email: p
        for p in (await session.scalars(select(Person).where(Person.email.in_(emails)))).all()
    }

    def known_id(email: str) -> str | None:
        person = people.get(email)
        return person.account(network.space_platform) if person is not None else None

    return SpaceRequest(
        action=action,
        name=str(row.payload.get("name") or network.space_name),
        topic=str(row.payload.get("topic", "")),
        members=tuple(Member(email=e, platform_user_id=known_id(e)) for e in emails),
    )


async def _card_pending(session: AsyncSession, card_key: str) -> bool:
    pending = await session.scalar(
        select(Outbox.id)
        .where(Outbox.card_key == card_key, Outbox.status.in_(("pending", "sending")))
        .limit(1)
    )
    return pending is not None


async def _earlier_unsent(session: AsyncSession, row: Outbox) -> bool:
    earlier = await session.scalar(
        select(Outbox.id)
        .where(
            Outbox.target_kind == row.target_kind,
            Outbox.target_id == row.target_id,
            Outbox.id < row.id,
            Outbox.status.in_(("pending", "sending")),
        )
        .limit(1)
    )
    return earlier is not None


async def _target(
    session: AsyncSession, row: Outbox
) -> tuple[routing.Target | None, Network | None, str | None]:
    """What the row is addressed to, as ``bot.routing`` reads it (and its
    network, for a space operation), or why there is nothing to address."""
    if row.target_kind == "network":
        network = await session.get(Network, row.target_id)
        if network is None:
            return None, None, f"network {row.target_id} no longer exists"
        creating = row.op == "space" and row.payload.get("action") == "create"
        space = routing.Space(
            platform=network.space_platform,
            space_id=network.space_id,
            name=network.space_name,
            creating=creating,
        )
        return space, network, None
    if row.target_kind == "person":
        person = await session.get(Person, row.target_id)
        if person is None:
            return None, None, f"person {row.target_id} no longer exists"
        return person.ways(), None, None
    if row.target_kind == "conversation":
        platform, _, conversation = (row.target_ref or "").partition(":")
        return routing.Conversation(platform=platform, conversation_id=conversation), None, None
    return None, None, f"unknown target kind {row.target_kind!r}"


async def _resolve(
    session: AsyncSession,
    row: Outbox,
    platforms: tuple[str, ...],
    *,
    attempts: int,
    card_refs: Mapping[str, CardRef | None] | None = None,
    message: Message | None = None,
) -> Prepared:
    """Turn a claimed row into a platform delivery (or say why it cannot be, yet).
    ``card_refs``: where the row's card is, already looked up, by platform;
    ``message``: what it says (none for a space operation)."""
    if row.op == "retract":
        return _retraction(row, platforms, attempts=attempts)
    target, network, missing = await _target(session, row)
    if target is None:
        return Prepared(delivery=None, problem=missing)
    routed = routing.route(target, platforms=platforms)
    if isinstance(routed, routing.Unroutable):
        return Prepared(delivery=None, problem=routed.problem, wait_seconds=routed.wait_seconds)
    address = routed
    space: SpaceRequest | None = None
    if row.op == "space" and network is not None:
        space = await _space_request(session, row, network)
        if space.action == "archive" and await _earlier_unsent(session, row):
            # The closing summary and last card edits must land before archiving.
            return Prepared(
                delivery=None,
                problem="waiting for earlier messages before archiving",
                wait_seconds=routing.WAIT_FOR_SPACE_SECONDS,
            )
    op: Op = "space" if row.op == "space" else "dm" if row.op == "dm" else "post"
    message_id: str | None = None
    if row.card_key:
        if card_refs is not None and address.platform in card_refs:
            ref = card_refs[address.platform]
        else:
            ref = await session.scalar(
                select(CardRef).where(
                    CardRef.card_key == row.card_key, CardRef.platform == address.platform
                )
            )
        if ref is not None:
            op, message_id = "update", ref.message_id
            address = address.model_copy(update={"conversation_id": ref.conversation_id})
    card_location: tuple[str, str] | None = None
    if message is not None and message.link_card:
        linked = await session.scalar(
            select(CardRef).where(
                CardRef.card_key == message.link_card, CardRef.platform == address.platform
            )
        )
        if linked is not None:
            card_location = (linked.conversation_id, linked.message_id)
        elif await _card_pending(session, message.link_card):
            return Prepared(
                delivery=None,
                problem="waiting for the card it links to",
                wait_seconds=routing.WAIT_FOR_SPACE_SECONDS,
            )
    mention_ids: dict[str, str] = {}
    column = Person.account_column(address.platform)
    if message is not None and message.mentions and column is not None:
        rows = await session.execute(
            select(Person.email, column).where(
                Person.email.in_(message.mentions), column.is_not(None)
            )
        )
        mention_ids = {email: str(user_id) for email, user_id in rows.all()}
    delivery = Delivery(
        mention_ids=mention_ids,
        key=row.idempotency_key,
        op=op,
        address=address,
        message=message,
        message_id=message_id,
        space=space,
        pin=bool(row.card_key and row.card_key.startswith("network:") and op == "post"),
        attempt=attempts,
        card_location=card_location,
    )
    return Prepared(delivery=delivery)


def retract_row(
    *, sent: Outbox, conversation_id: str, note: Message, now: datetime
) -> dict[str, Any]:
    """An outbox row (for ``enqueue_many``) that takes back the chat copy of
    the message ``sent`` delivered: deleted where the platform deletes (Slack),
    replaced by ``note`` where it can only edit (Teams). Keyed by where the
    message is, so one message is taken back once however often it is asked."""
    platform = sent.platform or ""
    message_id = sent.platform_message_id or ""
    return row(
        key=f"retract:{platform}:{conversation_id}:{message_id}",
        target_kind=sent.target_kind,
        target_id=sent.target_id,
        target_ref=sent.target_ref,
        op="retract",
        payload={
            "platform": platform,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "note": note.model_dump(mode="json"),
        },
        now=now,
    )


def _retraction(row: Outbox, platforms: tuple[str, ...], *, attempts: int) -> Prepared:
    platform = str(row.payload.get("platform", ""))
    if platform not in platforms:
        return Prepared(delivery=None, problem=f"no {platform or '?'} connection is configured")
    conversation = str(row.payload.get("conversation_id", ""))
    return Prepared(
        delivery=Delivery(
            key=row.idempotency_key,
            op="retract",
            address=Address(
                platform=platform, kind="channel", conversation_id=conversation, label=conversation
            ),
            message=Message.model_validate(row.payload.get("note") or {"text": ""}),
            message_id=str(row.payload.get("message_id", "")),
            attempt=attempts,
        )
    )


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
        # last_error is kept: why it failed stays visible until it is sent.
        stmt.values(status="pending", attempts=0, next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0))


async def waiting(
    session: AsyncSession, *, now: datetime
) -> tuple[list[tuple[str, str, int]], list[tuple[str, float]]]:
    """What is not yet sent, for the metrics: rows by platform and status, and
    the age of the oldest due row by platform. A row not yet tried has no
    platform; a network's row is counted under its space's platform."""
    platform = func.coalesce(Outbox.platform, Network.space_platform, "unassigned")
    query = (
        select(
            platform,
            Outbox.status,
            func.count(),
            func.min(
                case(
                    (
                        (Outbox.status == "pending") & (Outbox.next_attempt_at <= now),
                        Outbox.next_attempt_at,
                    )
                )
            ),
        )
        .outerjoin(Network, (Outbox.target_kind == "network") & (Network.id == Outbox.target_id))
        .where(Outbox.status.in_(("pending", "sending", "dead")))
        .group_by(platform, Outbox.status)
    )
    depth: list[tuple[str, str, int]] = []
    oldest: dict[str, float] = {}
    for name, status, count, first_due in (await session.execute(query)).all():
        depth.append((str(name), str(status), int(count)))
        if first_due is not None:
            due = first_due if first_due.tzinfo else first_due.replace(tzinfo=UTC)
            age = (now - due).total_seconds()
            oldest[str(name)] = max(oldest.get(str(name), 0.0), age)
    return depth, list(oldest.items())
