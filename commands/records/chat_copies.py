"""Chat copies of a transferred record are taken back (issue 16, item 2).

Chat does not replace the formal record: once a closed network's record has
been transferred to the case-management system (``teamaround records
transferred``), and ``retention.chat_copies_days_after_transfer`` days have
passed, every message Teamaround posted for that network is taken back through
the outbox: deleted from Slack, replaced in Teams by a short note. The store
keeps the record until its own retention ends.

What counts as the network's messages, from what the outbox recorded when it
sent them:

- everything sent to the network's space (cards, posts, summaries);
- direct messages naming the young person's reference (reminders, chases,
  digests), sent up to the network's closing, so that a later network for the
  same young person keeps its own.

Posts to a chair's channel (the agenda) are about many young people and stay;
emails, once sent, cannot be taken back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Message, plain
from commands.context import SCHEDULER, Services
from store import audit, chasing, outbox
from store.models import Network, Outbox, YoungPerson

NOTE_TEXT = "This message has moved to the case record."
SENT_OPS = ("post", "card", "dm")
# Where a sent message can be taken back: an email, once sent, cannot.
CHAT_PLATFORMS = ("slack", "teams", "console")


def note() -> Message:
    """What stands in for a message where the platform cannot delete it (Teams)."""
    return plain(NOTE_TEXT)


@dataclass(frozen=True)
class Taken:
    network_id: int
    reference: str
    messages: int
    unplaced: int  # direct messages sent before their conversation was recorded


@dataclass(frozen=True)
class ChatCopiesReport:
    networks: list[Taken]

    def summary(self) -> str:
        if not self.networks:
            return "chat copies: no transferred network is due."
        messages = sum(t.messages for t in self.networks)
        lines = [
            f"chat copies: taking back {messages} message(s) of "
            f"{len(self.networks)} transferred network(s)."
        ]
        lines += [
            f"  {t.reference}: {t.unplaced} direct message(s) sent before Teamaround "
            "recorded where messages land; delete those by hand."
            for t in self.networks
            if t.unplaced
        ]
        return "\n".join(lines)


async def run_chat_copies(services: Services, *, now: datetime) -> ChatCopiesReport:
    """Queue the taking back of every due network's chat copies, once: the
    network is marked done in the same transaction, and each message's outbox
    row is keyed by where it is."""
    days = services.policy.retention.chat_copies_days_after_transfer
    taken: list[Taken] = []
    async with services.db.transaction() as session:
        # Two replicas' schedulers: the second waits, then finds the work done.
        await chasing.lock_job(session, name="chat-copies", now=now, worker=SCHEDULER)
        due = await session.scalars(
            select(Network)
            .join(YoungPerson, YoungPerson.id == Network.young_person_id)
            .where(
                Network.status == "closed",
                Network.chat_copies_deleted_at.is_(None),
                YoungPerson.record_transferred_at.is_not(None),
                YoungPerson.record_transferred_at <= now - timedelta(days=days),
            )
            .order_by(Network.id)
        )
        for network in due.unique().all():
            rows, unplaced = await _retractions(session, network=network, now=now)
            await outbox.enqueue_many(session, rows)
            network.chat_copies_deleted_at = now
            audit.record(
                session,
                at=now,
                actor=None,
                actor_label=SCHEDULER,
                verb="network.chat_copies_deleted",
                object_type="network",
                object_id=network.id,
                after={"messages": len(rows), "unplaced": unplaced, "after_days": days},
            )
            taken.append(
                Taken(
                    network_id=network.id,
                    reference=network.young_person.reference,
                    messages=len(rows),
                    unplaced=unplaced,
                )
            )
    return ChatCopiesReport(networks=taken)


async def _retractions(
    session: AsyncSession, *, network: Network, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """The outbox rows that take back ``network``'s messages (one per message
    however many card versions edited it), and how many direct messages can't
    be placed."""
    reference = network.young_person.reference
    named = re.compile(rf"(?<![A-Za-z0-9]){re.escape(reference)}(?![A-Za-z0-9])")
    sent = await session.scalars(
        select(Outbox)
        .where(
            Outbox.status == "sent",
            Outbox.op.in_(SENT_OPS),
            Outbox.platform_message_id.is_not(None),
            Outbox.platform.in_(CHAT_PLATFORMS),
            or_(
                (Outbox.target_kind == "network") & (Outbox.target_id == network.id),
                (Outbox.target_kind == "person")
                & (Outbox.sent_at <= (network.closed_at or now))
                & cast(Outbox.payload, Text).contains(reference),
            ),
        )
        .order_by(Outbox.id)
    )
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    unplaced = 0
    for row in sent.all():
        if row.target_kind == "person" and not named.search(str(row.payload)):
            continue  # another reference that merely contains this one
        conversation = row.platform_conversation_id or (
            network.space_id if row.target_kind == "network" else None
        )
        if not conversation:
            unplaced += 1
            continue
        place = (row.platform or "", conversation, row.platform_message_id or "")
        if place in seen:
            continue
        seen.add(place)
        rows.append(
            outbox.retract_row(sent=row, conversation_id=conversation, note=note(), now=now)
        )
    return rows, unplaced
