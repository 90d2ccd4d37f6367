"""Retention and erasure: a young person's personal data past its retention
(``teamaround records purge``, monthly) or now (``teamaround records erase
REF``) is erased, keeping only the structure the reports count.

Erased: every free text about them (action texts, updates, evidence, event
notes, rating rationale, meeting decisions, review panel names, admission
settings, consent notes, close notes, the audit log's before-and-after
snapshots of their records, the outbox's copies of messages about them, their
lines in posted agendas) and the people's links to them (network
memberships, escalation grants, membership reviews). Kept: dates, ratings,
statuses, agencies, keyworkers (the quarterly return counts caseloads), so a
past quarter's report gives the same figures after the purge.

On SQLite the database runs with ``secure_delete`` and the write-ahead log is
checkpointed and truncated after an erasure (``Database.scrub``), so the text
survives in no free page or journal; on PostgreSQL, VACUUM (see README).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import add_months
from bot.policy import Policy
from store.models import (
    Action,
    ActionEvent,
    ActionGrant,
    Admission,
    AuditEvent,
    Cetr,
    ConsentEvent,
    Meeting,
    MeetingOutcome,
    MembershipReviewItem,
    Network,
    NetworkMember,
    Outbox,
    RatingChange,
    YoungPerson,
)

ERASED = "[erased]"
# Action event data the reports read (dates, stages, the reassignment's emails).
KEPT_EVENT_DATA = frozenset({"from", "to", "stage", "due", "until", "previous_stage", "proposed"})


def retained_until(young_person: YoungPerson, *, policy: Policy) -> date | None:
    """The last day a young person's records are kept (None: still on the
    register, or a network of theirs still open)."""
    if young_person.left_on is None:
        return None
    keep = policy.retention
    until = add_months(young_person.left_on, 12 * keep.years_after_leaving)
    if young_person.transition_month is not None:
        birthday = add_months(young_person.transition_month, 12 * (keep.until_age - 18))
        until = max(until, birthday)
    return until


@dataclass
class Erasure:
    """What one erasure takes (counts by kind of data, never the data)."""

    reference: str
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        if count:
            self.counts[kind] = self.counts.get(kind, 0) + count

    def lines(self) -> list[str]:
        return [f"{count} {kind}" for kind, count in self.counts.items()]


async def due(session: AsyncSession, *, today: date, policy: Policy) -> list[YoungPerson]:
    """Young people past retention and not erased yet, whose networks are closed."""
    candidates = (
        await session.scalars(
            select(YoungPerson)
            .where(YoungPerson.left_on.is_not(None), YoungPerson.erased_at.is_(None))
            .order_by(YoungPerson.id)
        )
    ).all()
    found = []
    for young_person in candidates:
        until = retained_until(young_person, policy=policy)
        if until is None or until >= today:
            continue
        open_network = await session.scalar(
            select(Network.id).where(
                Network.young_person_id == young_person.id, Network.status == "open"
            )
        )
        if open_network is None:
            found.append(young_person)
    return found


def _texts(*values: str | None) -> list[str]:
    return [v for v in values if v and v != ERASED and len(v) >= 3]


async def erase(
    session: AsyncSession, *, young_person: YoungPerson, now: datetime, dry_run: bool
) -> Erasure:
    """Erase one young person's personal data (or, ``dry_run``, count it)."""
    result = Erasure(reference=young_person.reference)
    yp_id = young_person.id
    networks = (
        await session.scalars(select(Network).where(Network.young_person_id == yp_id))
    ).all()
    network_ids = [n.id for n in networks]
    actions = (
        (await session.scalars(select(Action).where(Action.network_id.in_(network_ids))))
        .unique()
        .all()
    )
    action_ids = [a.id for a in actions]
    events = (
        (await session.scalars(select(ActionEvent).where(ActionEvent.action_id.in_(action_ids))))
        .unique()
        .all()
    )
    ratings = (
        (await session.scalars(select(RatingChange).where(RatingChange.young_person_id == yp_id)))
        .unique()
        .all()
    )
    outcomes = (
        await session.scalars(select(MeetingOutcome).where(MeetingOutcome.young_person_id == yp_id))
    ).all()
    reviews = (
        (await session.scalars(select(Cetr).where(Cetr.young_person_id == yp_id))).unique().all()
    )
    admissions = (
        await session.scalars(select(Admission).where(Admission.young_person_id == yp_id))
    ).all()
    consents = (
        await session.scalars(select(ConsentEvent).where(ConsentEvent.young_person_id == yp_id))
    ).all()
    members = (
        (
            await session.scalars(
                select(NetworkMember).where(NetworkMember.network_id.in_(network_ids))
            )
        )
        .unique()
        .all()
    )
    # The texts whose copies elsewhere (outbox payloads, agendas) must go too.
    texts = _texts(
        *(a.text for a in actions),
        *(a.latest_update for a in actions),
        *(a.evidence for a in actions),
        *(e.note for e in events),
        *(r.rationale for r in ratings),
        *(o.decision for o in outcomes),
        *(c.note for c in consents),
        *(n.close_note for n in networks),
        young_person.archive_reason,
    )
    result.add("action texts", sum(1 for a in actions if a.text != ERASED))
    result.add(
        "action updates and evidence", sum(1 for a in actions if a.latest_update or a.evidence)
    )
    result.add("action trail notes", sum(1 for e in events if e.note))
    result.add("rating rationales", sum(1 for r in ratings if r.rationale))
    result.add("meeting decisions", sum(1 for o in outcomes if o.decision != ERASED))
    result.add(
        "review panel names",
        sum(1 for c in reviews if c.clinical_expert or c.expert_by_experience),
    )
    result.add("admission settings", sum(1 for a in admissions if a.setting))
    result.add("consent notes", sum(1 for c in consents if c.note))
    result.add("network close notes", sum(1 for n in networks if n.close_note))
    result.add("network memberships", len(members))
    audit_filter = or_(
        (AuditEvent.object_type == "young_person") & (AuditEvent.object_id == str(yp_id)),
        (AuditEvent.object_type == "network")
        & AuditEvent.object_id.in_([str(i) for i in network_ids]),
        (AuditEvent.object_type == "action")
        & AuditEvent.object_id.in_([str(i) for i in action_ids]),
        (AuditEvent.object_type == "review")
        & AuditEvent.object_id.in_([str(c.id) for c in reviews]),
        (AuditEvent.object_type == "cetr") & AuditEvent.object_id.in_([str(c.id) for c in reviews]),
    )
    audits = (
        await session.scalars(
            select(AuditEvent).where(
                audit_filter, or_(AuditEvent.before.is_not(None), AuditEvent.after.is_not(None))
            )
        )
    ).all()
    result.add("audit snapshots", len(audits))
    outbox_rows = [
        row
        for row in (await session.scalars(select(Outbox))).all()
        if (row.target_kind == "network" and row.target_id in network_ids)
        or _mentions(row.payload, [young_person.reference, *texts])
    ]
    result.add(
        "copies of messages", sum(1 for row in outbox_rows if row.payload.get("erased") is not True)
    )
    meetings = [
        m
        for m in (await session.scalars(select(Meeting))).all()
        if young_person.reference in m.agenda_markdown
    ]
    result.add("agenda lines", len(meetings))
    if dry_run:
        return result

    for action in actions:
        action.text, action.latest_update, action.evidence = ERASED, None, None
    for event in events:
        event.note = None
        event.data = {k: v for k, v in (event.data or {}).items() if k in KEPT_EVENT_DATA}
    for rating in ratings:
        rating.rationale = ""
    for outcome in outcomes:
        outcome.decision = ERASED
    for review in reviews:
        review.clinical_expert = review.expert_by_experience = None
    for admission in admissions:
        admission.setting = ""
    for consent in consents:
        consent.note = None
    for network in networks:
        network.close_note = None
    for audit_row in audits:
        audit_row.before = audit_row.after = None
    for outbox_row in outbox_rows:
        outbox_row.payload = {"erased": True}
        outbox_row.last_error = None
    for meeting in meetings:
        meeting.agenda_markdown = "\n".join(
            ERASED if young_person.reference in line else line
            for line in meeting.agenda_markdown.splitlines()
        )
    await session.execute(delete(NetworkMember).where(NetworkMember.network_id.in_(network_ids)))
    await session.execute(delete(ActionGrant).where(ActionGrant.action_id.in_(action_ids)))
    await session.execute(
        delete(MembershipReviewItem).where(MembershipReviewItem.network_id.in_(network_ids))
    )
    young_person.archive_reason = None
    young_person.consent_recorded_by_id = None
    young_person.erased_at = now
    return result


def _mentions(payload: object, needles: Sequence[str]) -> bool:
    flat = json.dumps(payload, ensure_ascii=False)
    return any(needle in flat for needle in needles)
