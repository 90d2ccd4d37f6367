"""The membership review (issue 16, item 5): need-to-know spaces are
reviewed for movers and leavers.

Every ``membership_review.every_weeks`` each open network's keyworker gets
one message listing the members who may no longer need to be there, each with
*Remove* and *Keep* buttons:

- **no activity** for ``membership_review.inactive_days``: nothing of theirs
  about this network is recorded in that time: no command that changed it or
  one of its actions (the audit log), no update, evidence or answer on one of
  its actions (the actions' trails), and they were not added in that time.
  Reading is not activity (members' reads are not recorded);
- **left**: marked as left in the directory (``directory import --leavers``)
  and still a member.

The keyworker themselves is not asked about. A network with nobody to ask
about is marked reviewed without a message; one with questions is reviewed
when the last of them is answered. The answers are recorded in
``membership_review_items``; *Remove* goes through ``/network remove``'s own
path (the same checks: not the keyworker, no open actions), so it also takes
them out of the space.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import format_numeric
from bot.errors import UserError
from bot.messages import Actions, Button, Context, Header, Message, Section, plain
from commands.authority import Verb, authorise
from commands.context import SCHEDULER, Services, Unit
from commands.network import service
from store import audit, chasing, outbox
from store.models import (
    Action,
    ActionEvent,
    AuditEvent,
    MembershipReviewItem,
    Network,
    NetworkMember,
    Person,
)

REMOVE, KEEP = "network.review-remove", "network.review-keep"
# Slack allows 50 blocks a message: two per member, and room for the rest.
MAX_LISTED = 20


@dataclass(frozen=True)
class Candidate:
    person: Person
    reason: str  # inactive | leaver
    last_active: date | None


@dataclass(frozen=True)
class ReviewReport:
    asked: dict[str, int]  # reference -> members asked about
    reviewed: int  # networks reviewed (asked about or not)

    def summary(self) -> str:
        if not self.reviewed:
            return "membership review: no network is due."
        members = sum(self.asked.values())
        return (
            f"membership review: {self.reviewed} network(s) reviewed; "
            f"{len(self.asked)} keyworker message(s) asking about {members} member(s)."
        )


async def run_membership_review(services: Services, *, now: datetime) -> ReviewReport:
    """Ask each due network's keyworker about its members, once per network
    per review (the items are keyed by network, person and day; the message
    by network and day). A network is due ``every_weeks`` after its last
    completed review (or its opening) and its last question; it counts as
    reviewed when every question is answered (``members_reviewed_at``), so a
    review left unanswered is what the agenda flags after twice the interval."""
    calendar = services.calendar
    today = calendar.local_date(now)
    since = now - timedelta(days=services.policy.membership_review.inactive_days)
    asked: dict[str, int] = {}
    reviewed = 0
    async with services.db.transaction() as session:
        # Two replicas' schedulers: the second waits, then finds the work done.
        await chasing.lock_job(session, name="membership-review", now=now, worker=SCHEDULER)
        every = timedelta(weeks=services.policy.membership_review.every_weeks)
        asked_lately = (
            select(MembershipReviewItem.id)
            .where(
                MembershipReviewItem.network_id == Network.id,
                MembershipReviewItem.asked_on > today - every,
            )
            .exists()
        )
        due = await session.scalars(
            select(Network)
            .where(
                Network.status == "open",
                Network.keyworker_id.is_not(None),
                func.coalesce(Network.members_reviewed_at, Network.opened_at) <= now - every,
                ~asked_lately,
            )
            .order_by(Network.id)
        )
        for network in due.unique().all():
            reviewed += 1
            keyworker = network.keyworker
            candidates = await candidates_in(session, network=network, since=since)
            if not candidates:
                network.members_reviewed_at = now  # nobody to ask about
                continue
            if keyworker is None or not keyworker.active:
                continue  # nobody to ask: the agenda shows the keyworker needed

            items = []
            for candidate in candidates[:MAX_LISTED]:
                item = MembershipReviewItem(
                    network_id=network.id,
                    person_id=candidate.person.id,
                    reason=candidate.reason,
                    asked_on=today,
                )
                session.add(item)
                items.append((item, candidate))
            await session.flush()
            audit.record(
                session,
                at=now,
                actor=None,
                actor_label=SCHEDULER,
                verb="network.membership_review",
                object_type="network",
                object_id=network.id,
                after={"asked_about": len(items)},
            )
            await outbox.enqueue(
                session,
                key=f"membership-review:{network.id}:{today.isoformat()}",
                target_kind="person",
                target_id=keyworker.id,
                op="dm",
                message=review_message(network, items, more=len(candidates) - len(items)),
                now=now,
                not_before=calendar.next_service_time(now),
            )
            asked[network.young_person.reference] = len(items)
    return ReviewReport(asked=asked, reviewed=reviewed)


async def candidates_in(
    session: AsyncSession, *, network: Network, since: datetime
) -> list[Candidate]:
    """The members to ask about: who left, and who has done nothing here since ``since``."""
    members = (
        (
            await session.scalars(
                select(NetworkMember)
                .where(NetworkMember.network_id == network.id, NetworkMember.removed_at.is_(None))
                .order_by(NetworkMember.id)
            )
        )
        .unique()
        .all()
    )
    action_ids = select(Action.id).where(Action.network_id == network.id)
    audited = (
        await session.execute(
            select(AuditEvent.actor_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.actor_id.is_not(None),
                or_(
                    (AuditEvent.object_type == "network")
                    & (AuditEvent.object_id == str(network.id)),
                    (AuditEvent.object_type == "action")
                    & AuditEvent.object_id.in_(
                        [str(i) for i in (await session.scalars(action_ids)).all()]
                    ),
                ),
            )
            .group_by(AuditEvent.actor_id)
        )
    ).all()
    trailed = (
        await session.execute(
            select(ActionEvent.actor_id, func.max(ActionEvent.at))
            .where(ActionEvent.actor_id.is_not(None), ActionEvent.action_id.in_(action_ids))
            .group_by(ActionEvent.actor_id)
        )
    ).all()
    last: dict[int, datetime] = {}
    for person_id, at in [*audited, *trailed]:
        if person_id is not None and at is not None:
            last[person_id] = max(last.get(person_id, at), at)
    found = []
    for member in members:
        person = member.person
        if person.id == network.keyworker_id:
            continue
        latest = max(filter(None, (last.get(person.id), member.added_at)))
        if not person.active:
            found.append(Candidate(person, "leaver", latest.date()))
        elif latest < since:
            found.append(Candidate(person, "inactive", latest.date()))
    return found


def review_message(
    network: Network,
    items: list[tuple[MembershipReviewItem, Candidate]],
    *,
    more: int,
) -> Message:
    reference = network.young_person.reference
    intro = (
        f"Membership review for {reference} (#{network.space_name}): these members may no "
        "longer need to know. Remove them, or keep them if they still do."
    )
    blocks: list[Header | Section | Actions | Context] = [
        Header(text=f"Membership review: {reference}"),
        Section(text=intro),
    ]
    lines = []
    for item, candidate in items:
        person = candidate.person
        why = (
            "has left (directory)"
            if candidate.reason == "leaver"
            else f"no activity here since {format_numeric(candidate.last_active)}"
            if candidate.last_active
            else "no activity here"
        )
        line = f"{person.name} ({person.email}): {why}"
        lines.append(line)
        blocks.append(Section(text=line))
        value = str(item.id)
        blocks.append(
            Actions(
                buttons=(
                    Button(label="Remove", action_id=REMOVE, value=value, style="danger"),
                    Button(label="Keep", action_id=KEEP, value=value),
                )
            )
        )
    if more:
        blocks.append(Context(text=f"And {more} more: see the next review, or /network show."))
    return Message(text=" ".join([intro, *lines]), blocks=tuple(blocks))


async def answer(unit: Unit, *, item_id: int, remove: bool) -> Message:
    """A keyworker's (or a chair's, an admin's) answer about one member."""
    item = await unit.session.get(MembershipReviewItem, item_id)
    network = await unit.session.get(Network, item.network_id) if item is not None else None
    if item is None or network is None:
        raise UserError(
            "I can't find that membership review question.",
            hint="Press Remove or Keep on the membership review message I sent you.",
        )
    reference, person = network.young_person.reference, item.person
    if network.status != "open":
        raise UserError(f"The network for {reference} is closed; nothing to review.")
    await authorise(unit, Verb.NETWORK_REMOVE, network=network)
    if item.answer is not None:
        said = "removed" if item.answer == "remove" else "kept"
        return plain(f"Already answered: {person.name} was {said} in the network for {reference}.")
    if remove:
        await service.remove_member(unit, network=network, person=person)
    item.answer = "remove" if remove else "keep"
    item.answered_by_id, item.answered_at = unit.actor.id, unit.now
    await unit.session.flush()
    unanswered = await unit.session.scalar(
        select(MembershipReviewItem.id)
        .where(MembershipReviewItem.network_id == network.id, MembershipReviewItem.answer.is_(None))
        .limit(1)
    )
    if unanswered is None:
        network.members_reviewed_at = unit.now
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.membership_review_answer",
        object_type="network",
        object_id=network.id,
        after={"member": person.email, "answer": item.answer},
    )
    if remove:
        return plain(f"Removed {person.name} from the network for {reference}.", tone="success")
    return plain(f"Kept {person.name} in the network for {reference}.", tone="success")
