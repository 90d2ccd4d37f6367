"""People who have left (`teamaround directory import FILE --leavers`).

A leaver is marked as left, never deleted: whatever they did stays in every
trail (actions they own, their updates, the audit log). From then on they
can't be given actions or join a network, and chasing skips them. For every
open network they were in, they are removed from its space (through the
outbox), and whoever keeps that network going is told which open actions they
still own and asked to reassign them: the network's keyworker, or the DSR
chair when the leaver was the keyworker (who is then no longer recorded as
anyone's keyworker, so the register and the reports show the gap).

Only people of the agencies the file lists are considered: an HR export holds
one organisation's staff, and everyone else's absence from it means nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.dates import format_day, format_numeric
from bot.messages import BulletList, Context, Message, Section
from bot.policy import Policy
from commands import rendering
from store import audit, chasing, history, outbox
from store.models import Action, Agency, Network, NetworkMember, Person, YoungPerson


@dataclass(frozen=True)
class Leaver:
    """Someone marked as left, and what became of their networks."""

    email: str
    name: str
    networks: tuple[str, ...] = ()  # the references of the open networks they were in
    open_actions: int = 0
    told: tuple[str, ...] = ()  # whom Teamaround asked to reassign (emails)
    untold: tuple[str, ...] = ()  # networks nobody could be asked about (references)


@dataclass
class _Network:
    network: Network
    reference: str
    leavers: list[Person] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def keyworker_leaving(self) -> Person | None:
        return next((p for p in self.leavers if p.id == self.network.keyworker_id), None)


async def mark_left(
    session: AsyncSession,
    *,
    keep: Collection[str],
    agencies: Collection[str],
    now: datetime,
    actor_label: str,
    policy: Policy,
    calendar: WorkingCalendar,
    dry_run: bool = False,
) -> list[Leaver]:
    """Mark as left the active people of ``agencies`` (folded names) whose
    email is not in ``keep``; see the module's docstring for what follows."""
    leavers = list(
        (
            await session.scalars(
                select(Person)
                .join(Agency, Agency.id == Person.agency_id)
                .where(
                    Person.active.is_(True),
                    Agency.name_key.in_(list(agencies)),
                    Person.email.not_in(list(keep)),
                )
                .order_by(Person.email)
            )
        ).all()
    )
    if not leavers:
        return []
    ids = [p.id for p in leavers]
    by_id = {p.id: p for p in leavers}
    memberships = (
        await session.execute(
            select(NetworkMember, Network, YoungPerson.reference)
            .join(Network, Network.id == NetworkMember.network_id)
            .join(YoungPerson, YoungPerson.id == Network.young_person_id)
            .where(
                NetworkMember.person_id.in_(ids),
                NetworkMember.removed_at.is_(None),
                Network.status == "open",
            )
            .order_by(YoungPerson.reference)
        )
    ).all()
    networks: dict[int, _Network] = {}
    for member, network, reference in memberships:
        networks.setdefault(network.id, _Network(network, reference)).leavers.append(
            by_id[member.person_id]
        )
    owned = (
        await session.scalars(
            select(Action)
            .where(Action.owner_id.in_(ids), Action.status == "open")
            .order_by(Action.due_date, Action.id)
        )
    ).unique()
    for action in owned:
        if action.network_id in networks:
            networks[action.network_id].actions.append(action)
    chairs = [
        c for c in await chasing.chairs(session, email=policy.chair_email) if c.id not in by_id
    ]
    registered = (
        await session.scalars(
            select(YoungPerson).where(
                YoungPerson.keyworker_id.in_(ids), YoungPerson.archived_at.is_(None)
            )
        )
    ).all()

    # Who is asked about each network: its keyworker, unless they are leaving too.
    asked: dict[int, list[_Network]] = defaultdict(list)
    people: dict[int, Person] = {c.id: c for c in chairs}
    untold: dict[int, list[str]] = defaultdict(list)
    for item in networks.values():
        keyworker = item.network.keyworker
        if keyworker is not None and keyworker.active and keyworker.id not in by_id:
            asked[keyworker.id].append(item)
            people[keyworker.id] = keyworker
        elif chairs:
            for chair in chairs:
                asked[chair.id].append(item)
        else:
            for person in item.leavers:
                untold[person.id].append(item.reference)

    report = []
    told: dict[int, set[str]] = defaultdict(set)
    for recipient_id, items in asked.items():
        for item in items:
            for person in item.leavers:
                told[person.id].add(people[recipient_id].email)
    for person in leavers:
        theirs = [n for n in networks.values() if person in n.leavers]
        report.append(
            Leaver(
                email=person.email,
                name=person.name,
                networks=tuple(n.reference for n in theirs),
                open_actions=sum(1 for n in theirs for a in n.actions if a.owner_id == person.id),
                told=tuple(sorted(told[person.id])),
                untold=tuple(untold[person.id]),
            )
        )
    if dry_run:
        return report

    stamp = now.strftime("%Y%m%dT%H%M%S")
    for person in leavers:
        person.active, person.updated_at = False, now
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label=actor_label,
            verb="directory.leave",
            object_type="person",
            object_id=person.id,
            before={"active": True},
            after={"active": False, "reason": "not in the directory import"},
        )
    messages = [
        (recipient_id, _ask_to_reassign(items, today_text=format_day(calendar.local_date(now))))
        for recipient_id, items in asked.items()
    ]
    rows = []
    for item in networks.values():
        network = item.network
        for member, member_network, _ in memberships:
            if member_network.id == network.id:
                member.removed_at = now
        for person in item.leavers:
            audit.record(
                session,
                at=now,
                actor=None,
                actor_label=actor_label,
                verb="network.member_remove",
                object_type="network",
                object_id=network.id,
                before={"member": person.email},
                after={"reason": "left (directory import)"},
            )
        if network.keyworker_id in by_id:
            network.keyworker_id = None
        rows.append(
            outbox.row(
                key=f"space:remove:{network.id}:leavers:{stamp}",
                target_kind="network",
                target_id=network.id,
                op="space",
                payload={
                    "action": "remove",
                    "name": network.space_name,
                    "topic": "",
                    "emails": [p.email for p in item.leavers],
                },
                now=now,
            )
        )
    for young_person in registered:
        left = by_id[young_person.keyworker_id] if young_person.keyworker_id else None
        history.set_keyworker(session, young_person, keyworker_id=None, actor_id=None, at=now)
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label=actor_label,
            verb="register.keyworker",
            object_type="young_person",
            object_id=young_person.id,
            before={"keyworker": left.email if left else None},
            after={"keyworker": None, "reason": "the keyworker left"},
        )
    await session.flush()
    for item in networks.values():  # the network card, without the leavers
        network_id = item.network.id
        rows.append(
            rendering.card_row(
                card_key=f"network:{network_id}",
                network_id=network_id,
                version=f"leavers:{stamp}",
                now=now,
                not_before=None,
            )
        )
    send_at = calendar.next_service_time(now)
    for recipient_id, message in messages:
        rows.append(
            outbox.row(
                key=f"dm:leavers:{recipient_id}:{stamp}",
                target_kind="person",
                target_id=recipient_id,
                op="dm",
                message=message,
                now=now,
                not_before=send_at,
            )
        )
    await outbox.enqueue_many(session, rows)
    return report


def _ask_to_reassign(items: list[_Network], *, today_text: str) -> Message:
    """One direct message to whoever keeps these networks going."""
    lines: list[str] = []
    for item in items:
        names = " and ".join(f"{p.name} ({p.agency.name})" for p in item.leavers)
        head = (
            f"{item.reference} (#{item.network.space_name}): {names} left, and "
            f"{'has' if len(item.leavers) == 1 else 'have'} been taken out of its space."
        )
        if (keyworker := item.keyworker_leaving) is not None:
            head += (
                f" {keyworker.name} was the keyworker: name a new one with "
                f"/dsr keyworker {item.reference} @person."
            )
        lines.append(head)
        if item.actions:
            lines.extend(
                f"#{a.id} {a.text} — {a.owner.name}, due {format_numeric(a.due_date)}: "
                f"/action reassign {a.id} @someone"
                for a in item.actions
            )
        else:
            lines.append("They owned no open actions there.")
    title = f"People have left ({today_text}'s directory import): please reassign their actions"
    return Message(
        text="\n".join([title, *lines]),
        blocks=(
            Section(text=title),
            BulletList(items=tuple(lines)),
            Context(text="Their history stays on every action and in the network's record."),
        ),
    )
