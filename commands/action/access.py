"""Escalation grants: the one action someone an escalation stage asks may see
and act on, for as long as it is at their stage.

A grant (``store.models.ActionGrant``) is written when a stage from 2 up is
reached, for each person that stage contacts (by the chase sweep, in
batches, or by a manual escalation), and ended when the action is done,
cancelled, reaches another stage, or gets a new due date (an agreed
extension restarts the ladder). Granted, used and ended are each recorded in
the action's trail and in the audit log. ``commands/authority.py`` reads the
open grant to decide; this module only keeps the grants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select, update

from bot.policy import Contact
from commands.action import ladder
from commands.authority import Verb
from commands.context import SCHEDULER, Unit
from store import audit, bulk
from store.models import Action, ActionEvent, ActionGrant, AuditEvent, Person

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# Verbs that only read: their use by a grant holder is a trail line of its own
# (a change is in the trail already, marked with the holder's capacity).
_READS = frozenset({Verb.ACTION_SHOW})


def capacity(*, stage: int, contact: str) -> dict[str, Any]:
    """How a grant holder acted, kept on the trail events they cause."""
    return {"stage": stage, "contact": contact}


def _grant_data(grant: ActionGrant, person: Person) -> dict[str, Any]:
    return {
        "grant": grant.id,
        "person": person.email,
        "name": person.name,
        **capacity(stage=grant.stage, contact=grant.contact),
    }


async def record_use(unit: Unit, *, action: Action, grant: ActionGrant, verb: Verb) -> None:
    """The holder used their grant: stamp it, audit it, and (for a read) put
    it in the trail."""
    grant.last_used_at = unit.now
    data = {**_grant_data(grant, unit.actor), "command": verb.rule.command}
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="action.access_used",
        object_type="action",
        object_id=action.id,
        after=data,
    )
    if verb in _READS:
        unit.session.add(
            ActionEvent(
                action_id=action.id, kind="viewed", actor_id=unit.actor.id, at=unit.now, data=data
            )
        )


@dataclass(frozen=True)
class Granted:
    """A grant to write for one stage reached."""

    action: Action
    person: Person
    stage: int
    contact: str


def to_grant(
    stage: int, contact: Contact, people: Iterable[Person], action: Action
) -> list[Granted]:
    """Whom reaching ``stage`` gives access: everyone it contacts, unless the
    stage asks the owner (who has their own access)."""
    if not ladder.CONTACTS[contact].grants:
        return []
    return [Granted(action, p, stage, contact) for p in people if p.id != action.owner_id]


async def open_grants(session: AsyncSession, action_ids: Sequence[int]) -> list[ActionGrant]:
    """The grants not yet ended on these actions (one query, none for none)."""
    found: list[ActionGrant] = []
    for wanted in bulk.among(session, ActionGrant.action_id, action_ids):
        query = select(ActionGrant).where(wanted, ActionGrant.ended_at.is_(None))
        found += (await session.scalars(query)).unique().all()
    return found


def _event_row(
    grant_action: int, kind: str, *, actor_id: int | None, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "action_id": grant_action,
        "kind": kind,
        "actor_id": actor_id,
        "at": at,
        "note": None,
        "data": data,
    }


def _audit_row(
    action_id: int, verb: str, *, actor: Person | None, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_id": actor.id if actor else None,
        "actor_label": actor.email if actor else SCHEDULER,
        "verb": verb,
        "object_type": "action",
        "object_id": str(action_id),
        "before": None,
        "after": data,
    }


async def end_and_grant(
    session: AsyncSession,
    *,
    ending: Sequence[int],
    reason: str,
    granting: Sequence[Granted],
    now: datetime,
    actor: Person | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """End the open grants on the ``ending`` actions, then write the new
    ones, in a fixed number of statements however many actions move.

    Returns the trail rows and the audit rows that record it, for the caller
    to insert with its own (one INSERT each for the whole batch)."""
    events: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    actor_id = actor.id if actor else None
    ended = await open_grants(session, ending)
    if ended:
        for wanted in bulk.among(session, ActionGrant.id, [g.id for g in ended]):
            await session.execute(
                update(ActionGrant)
                .where(wanted)
                .values(ended_at=now, end_reason=reason)
                .execution_options(synchronize_session=False)
            )
        for grant in ended:
            data = {**_grant_data(grant, grant.person), "reason": reason}
            events.append(
                _event_row(grant.action_id, "access_ended", actor_id=actor_id, at=now, data=data)
            )
            audits.append(
                _audit_row(grant.action_id, "action.access_end", actor=actor, at=now, data=data)
            )
    if granting:
        rows = [
            {
                "action_id": g.action.id,
                "person_id": g.person.id,
                "stage": g.stage,
                "contact": g.contact,
                "granted_at": now,
                "granted_by_id": actor_id,
            }
            for g in granting
        ]
        await session.execute(insert(cast(Table, ActionGrant.__table__)), rows)
        for g in granting:
            data = {
                "person": g.person.email,
                "name": g.person.name,
                **capacity(stage=g.stage, contact=g.contact),
            }
            events.append(
                _event_row(g.action.id, "access_granted", actor_id=actor_id, at=now, data=data)
            )
            audits.append(
                _audit_row(g.action.id, "action.access_grant", actor=actor, at=now, data=data)
            )
    return events, audits


async def end_for(unit: Unit, *, action: Action, reason: str, stage: int) -> None:
    """End every open grant on one action (done, cancelled, a new due date),
    recording it in the trail and the audit log. ``stage``: the action's stage
    before the change (below 2 there is no grant to end, and no query)."""
    if stage < 2:
        return
    events, audits = await end_and_grant(
        unit.session, ending=[action.id], reason=reason, granting=(), now=unit.now, actor=unit.actor
    )
    if events:
        await unit.session.execute(insert(cast(Table, ActionEvent.__table__)), events)
        await unit.session.execute(insert(cast(Table, AuditEvent.__table__)), audits)


async def held_by(session: AsyncSession, *, person_id: int) -> list[ActionGrant]:
    """The grants someone holds now, oldest first (what they may open)."""
    rows = await session.scalars(
        select(ActionGrant)
        .where(ActionGrant.person_id == person_id, ActionGrant.ended_at.is_(None))
        .order_by(ActionGrant.granted_at, ActionGrant.id)
    )
    return list(rows.unique().all())
