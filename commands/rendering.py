"""Messages drawn as they are sent, not when they are queued.

Cards (an action's, a network's) and a channel's chase digest show things as
they stand: a row that asks for one (``card_row``, ``digest_row``) names the
view and what it shows, and the relay renders it when the row goes (``renderer``, passed to
``store.outbox.OutboxStore`` by the composition root). So a chase sweep that
moves ten thousand actions writes small rows and draws nothing; each message
is drawn once, as it is delivered, with what is true then ("overdue by 3
days" on the day it lands; an action done since it was queued is left out of
the digest); and the outbox keeps no copy of their text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Message
from commands.action import views
from commands.context import Services
from commands.network import card
from store import outbox
from store.models import Action, Network, Outbox

CARD = "card"
CHASE_DIGEST = "chase-digest"


def card_row(
    *, card_key: str, network_id: int, version: str, now: datetime, not_before: datetime | None
) -> dict[str, Any]:
    """The outbox row that posts a card (``action:N`` or ``network:N``) in
    the network's space, or edits it in place."""
    return outbox.row(
        key=f"card:{card_key}:{version}",
        target_kind="network",
        target_id=network_id,
        op="card",
        card_key=card_key,
        payload={outbox.VIEW: CARD},
        now=now,
        not_before=not_before,
    )


def digest_row(
    *,
    key: str,
    network_id: int,
    action_ids: Sequence[int],
    newly_chased: Sequence[int],
    title: str | None,
    now: datetime,
    not_before: datetime | None,
) -> dict[str, Any]:
    """The outbox row that posts a chase digest to a network's channel: the
    actions it lists (those still open when it goes), which of them are
    chased for the first time, and its title (the network's, by default)."""
    return outbox.row(
        key=key,
        target_kind="network",
        target_id=network_id,
        op="post",
        payload={
            outbox.VIEW: CHASE_DIGEST,
            "actions": list(action_ids),
            "newly_chased": list(newly_chased),
            "title": title,
        },
        now=now,
        not_before=not_before,
    )


def renderer(services: Services) -> outbox.Render:
    """Render a row's view with the state of the moment it is sent."""

    async def render(session: AsyncSession, row: Outbox) -> Message | None:
        view = row.payload[outbox.VIEW]
        kind, _, number = (row.card_key or "").partition(":")
        if view == CARD and kind == "action":
            action = await session.get(Action, int(number))
            if action is None:  # erased since
                return None
            return views.action_card(action, today=services.today(), calendar=services.calendar)
        if view == CARD and kind == "network":
            network = await session.get(Network, int(number))
            if network is None:
                return None
            return await card.network_card(
                session, network=network, today=services.today(), calendar=services.calendar
            )
        if view == CHASE_DIGEST:
            ids = [int(i) for i in row.payload["actions"]]
            found = await session.scalars(select(Action).where(Action.id.in_(ids)))
            by_id = {a.id: a for a in found.unique() if a.status == "open"}
            if not by_id:  # all done, cancelled or erased since
                return None
            return views.chase_digest(
                [by_id[i] for i in ids if i in by_id],
                newly_chased={int(i) for i in row.payload["newly_chased"]},
                today=services.today(),
                ladder=services.policy.ladder,
                title=row.payload["title"],
            )
        raise LookupError(f"outbox row {row.id} names an unknown view {view!r}")

    return render
