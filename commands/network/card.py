"""The network card as it stands: members, keyworker, open and overdue
actions, the next review (drawn as it is sent, and by `/network card`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.messages import Message
from commands.network import views
from commands.vocabulary import REVIEW_TO_HOLD
from store import queries
from store.models import Network


async def network_card(
    session: AsyncSession, *, network: Network, today: date, calendar: WorkingCalendar
) -> Message:
    members = await queries.active_members(session, network_id=network.id)
    actions = await queries.open_actions_summary(
        session, network_id=network.id, today=today, review_prefix=REVIEW_TO_HOLD
    )
    return views.network_card(
        network,
        members,
        open_actions=actions.total,
        overdue=actions.overdue,
        today=today,
        calendar=calendar,
        next_review=actions.next_review,
    )
