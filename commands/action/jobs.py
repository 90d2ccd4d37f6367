"""Scheduled jobs: reminders before due dates, and chasing overdue actions up
the escalation ladder.

Jobs only write: ladder state, the evidence trail (ActionEvent), audit events
and outbox rows, in one transaction per run under the job's lock. They never
call a platform, so they work the same on any.

Polite delivery: every message waits for the next service time (09:00-17:00
on working days by default). Each network channel gets at most one chase
digest a day; each person gets one direct message per run that bundles all
that concerns them, across networks. Every row has an idempotency key, so a
job run twice (or in two processes) sends nothing twice.
"""

from __future__ import annotations

import hashlib
import socket
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from bot.garbage import collection_paused
from bot.messages import Message
from bot.policy import Contact
from commands import rendering
from commands.action import access, ladder, views
from commands.context import SCHEDULER, Services
from store import bulk, chasing, outbox
from store.models import Action, ActionEvent, AuditEvent, Person


@dataclass
class JobReport:
    name: str
    actions: int = 0  # actions reminded or moved up the ladder
    messages: int = 0  # outbox rows written (repeats ignored)
    details: list[str] = field(default_factory=list)

    def summary(self) -> str:
        what = "reminded" if self.name == "reminders" else "moved up the ladder"
        return f"{self.name}: {self.actions} action(s) {what}, {self.messages} message(s) queued."


def _state(action: Action) -> ladder.LadderState:
    return ladder.LadderState(
        status=action.status,
        due_date=action.due_date,
        stage=action.escalation_stage,
        stage_since=action.stage_since,
        paused_until=action.paused_until,
        snoozed_until=action.snoozed_until,
        reminded_for=action.reminded_for,
    )


def _fingerprint(items: Iterable[object]) -> str:
    return hashlib.sha256(repr(sorted(map(str, items))).encode()).hexdigest()[:12]


class Mail:
    """Outbox rows of one run, bundled per recipient."""

    def __init__(self, *, now: datetime, send_at: datetime, today: date) -> None:
        self.now, self.send_at, self.today = now, send_at, today
        self.rows: list[dict[str, Any]] = []

    def dm(self, person: Person, *, kind: str, message: Message, content: Iterable[object]) -> None:
        key = f"{kind}:p{person.id}:{self.today.isoformat()}:{_fingerprint(content)}"
        self._add(key=key, target_kind="person", target_id=person.id, op="dm", message=message)

    def digest(
        self,
        network_id: int,
        *,
        kind: str,
        actions: Sequence[Action],
        newly_chased: set[int],
        title: str | None,
    ) -> None:
        """A network channel's chase digest, drawn as it is sent (``commands.rendering``)."""
        self.rows.append(
            rendering.digest_row(
                key=f"{kind}:n{network_id}:{self.today.isoformat()}",
                network_id=network_id,
                action_ids=[a.id for a in actions],
                newly_chased=[a.id for a in actions if a.id in newly_chased],
                title=title,
                now=self.now,
                not_before=self.send_at,
            )
        )

    def card(self, action: Action, *, version: str) -> None:
        """The action's card, drawn as it is sent (``commands.rendering``)."""
        self.rows.append(
            rendering.card_row(
                card_key=f"action:{action.id}",
                network_id=action.network_id,
                version=version,
                now=self.now,
                not_before=self.send_at,
            )
        )

    def _add(self, **values: Any) -> None:
        self.rows.append(outbox.row(now=self.now, not_before=self.send_at, **values))


async def run_reminders(
    services: Services, *, now: datetime, worker: str | None = None
) -> JobReport:
    """DM each owner whose actions fall due within the reminder window, once per due date."""
    cal, policy = services.calendar, services.policy
    today = cal.local_date(now)
    report = JobReport("reminders")
    mail = Mail(now=now, send_at=cal.next_service_time(now), today=today)
    days = policy.reminder_working_days_before
    async with services.db.transaction() as session:
        await chasing.lock_job(session, name="reminders", now=now, worker=worker or _worker())
        candidates = await chasing.coming_due(
            session, today=today, until=cal.add_working_days(today, days)
        )
        due = [
            a
            for a in candidates
            if ladder.reminder_due(_state(a), today=today, calendar=cal, working_days_before=days)
        ]
        by_owner: dict[int, list[Action]] = defaultdict(list)
        for action in due:
            by_owner[action.owner_id].append(action)
        if due:
            # In batches: one UPDATE and one INSERT, however many are due.
            for wanted in bulk.among(session, Action.id, [a.id for a in due]):
                await session.execute(
                    update(Action)
                    .where(wanted)
                    .values(reminded_for=Action.due_date)
                    .execution_options(synchronize_session=False)
                )
            await session.execute(
                insert(cast(Table, ActionEvent.__table__)),
                [
                    {
                        "action_id": a.id,
                        "kind": "reminded",
                        "actor_id": None,
                        "at": now,
                        "note": f"Reminder sent to {a.owner.name} ({a.owner.email})",
                        "data": {"due_date": a.due_date.isoformat(), "to": [a.owner.email]},
                    }
                    for a in due
                ],
            )
        for actions in by_owner.values():
            owner = actions[0].owner
            mail.dm(
                owner,
                kind="remind",
                message=views.reminder_dm(actions, today=today),
                content=(f"{a.id}@{a.due_date}" for a in actions),
            )
        await outbox.enqueue_many(session, mail.rows)
    report.actions, report.messages = len(due), len(mail.rows)
    return report


@dataclass
class Move:
    action: Action
    stage: int
    contact: Contact
    contacted: list[Person]
    missing: str | None = None  # who should have been contacted but could not be


async def run_chase(services: Services, *, now: datetime, worker: str | None = None) -> JobReport:
    """Move overdue actions up the ladder, tell who each stage says, record it all."""
    with collection_paused():
        return await _chase(services, now=now, worker=worker or _worker())


async def _chase(services: Services, *, now: datetime, worker: str) -> JobReport:
    cal, policy = services.calendar, services.policy
    today = cal.local_date(now)
    report = JobReport("chase")
    mail = Mail(now=now, send_at=cal.next_service_time(now), today=today)
    async with services.db.transaction() as session:
        await chasing.lock_job(session, name="chase", now=now, worker=worker)
        overdue = await chasing.overdue_actions(session, today=today)
        stages = [
            (a, n)
            for a in overdue
            if (n := ladder.next_stage(_state(a), today=today, calendar=cal, ladder=policy.ladder))
        ]
        if not stages:
            return report
        moves = await resolve_contacts(session, stages, services=services)
        await apply_moves(session, moves, now=now, today=today)
        for move in moves:
            mail.card(move.action, version=f"s{move.stage}:{today.isoformat()}")
        queue_chase_messages(mail, moves, overdue=overdue, today=today)
        await outbox.enqueue_many(session, mail.rows)
    report.actions, report.messages = len(moves), len(mail.rows)
    report.details = [
        f"#{m.action.id} stage {m.stage} ({ladder.CONTACTS[m.contact].label})" for m in moves
    ]
    return report


async def resolve_contacts(
    session: Any, stages: list[tuple[Action, int]], *, services: Services
) -> list[Move]:
    """Who each stage contacts (``ladder.CONTACTS``), found with a fixed
    number of queries."""
    policy = services.policy
    contacts = {n: policy.ladder[n - 1].contact for _, n in stages}
    managers = await chasing.people_by_ids(
        session, (a.owner.line_manager_id for a, _ in stages if a.owner.line_manager_id)
    )
    emails = [
        e for a, _ in stages for e in (a.agency.stage2_contact_email, a.agency.senior_contact_email)
    ]
    by_email = await chasing.people_by_emails(session, (e for e in emails if e))
    chairs = (
        await chasing.chairs(session, email=policy.chair_email)
        if "chair" in contacts.values()
        else []
    )
    directory = ladder.Directory(managers=managers, by_email=by_email, chairs=chairs)
    moves = []
    for action, stage in stages:
        contact = contacts[stage]
        found = ladder.CONTACTS[contact].find(action, directory)
        moves.append(
            Move(action, stage, contact, [p for p in found.people if p.active], found.missing)
        )
    return moves


def _evidence(move: Move, *, reason: str | None) -> tuple[str, dict[str, Any]]:
    """The trail's note and data for one stage reached: who was contacted and why."""
    contacted = ", ".join(f"{p.name} ({p.email})" for p in move.contacted) or "nobody"
    note = f"Stage {move.stage}, {ladder.CONTACTS[move.contact].label}: asked {contacted}"
    if move.missing:
        note += f"; I couldn't find {move.missing} in the directory, so the keyworker was asked"
    if reason:
        note += f". Reason: {reason}"
    data = {
        "stage": move.stage,
        "contact": move.contact,
        "contacted": [p.email for p in move.contacted],
        "missing": move.missing,
        "reason": reason,
    }
    return note, data


def _audit_after(move: Move) -> dict[str, Any]:
    return {"escalation_stage": move.stage, "contacted": [p.email for p in move.contacted]}


async def apply_moves(
    session: Any,
    moves: list[Move],
    *,
    now: datetime,
    today: date,
    actor: Person | None = None,
    reason: str | None = None,
) -> None:
    """Record stages reached (by the sweep, or by hand with ``actor`` and
    ``reason``): ladder state, evidence trail, escalation grants and audit,
    written in batches with Core — one UPDATE per stage, one SELECT and one
    UPDATE for the grants that end, one INSERT for those that begin, one
    INSERT for the trail and one for the audit, not statements per action.
    The loaded objects are given the new values without being marked
    changed, so the cards rendered next show them."""
    by_stage: dict[tuple[int, bool], list[int]] = defaultdict(list)
    events: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    actor_id = actor.id if actor else None
    # Whoever the previous stage let in loses access; whoever this one asks
    # gains it. Grants are open only from stage 2 (see commands/action/access),
    # so a move from stage 0 or 1 has none to end and costs no query.
    ending = [m.action.id for m in moves if m.action.escalation_stage >= 2]
    granting = [
        granted
        for move in moves
        for granted in access.to_grant(move.stage, move.contact, move.contacted, move.action)
    ]
    for move in moves:
        action = move.action
        flagged = action.flagged_for_agenda or move.contact == "chair"
        by_stage[(move.stage, flagged)].append(action.id)
        note, data = _evidence(move, reason=reason)
        events.append(
            {"action_id": action.id, "kind": "escalated", "actor_id": actor_id, "at": now}
            | {"note": note, "data": data}
        )
        audits.append(
            {
                "at": now,
                "actor_id": actor_id,
                "actor_label": actor.email if actor else SCHEDULER,
                "verb": "action.escalate",
                "object_type": "action",
                "object_id": str(action.id),
                "before": {"escalation_stage": action.escalation_stage},
                "after": _audit_after(move),
            }
        )
        for name, value in (
            ("escalation_stage", move.stage),
            ("stage_since", today),
            ("flagged_for_agenda", flagged),
            ("updated_at", now),
        ):
            set_committed_value(action, name, value)
    for (stage, flagged), ids in by_stage.items():
        for wanted in bulk.among(session, Action.id, ids):
            await session.execute(
                update(Action)
                .where(wanted)
                .values(
                    escalation_stage=stage,
                    stage_since=today,
                    flagged_for_agenda=flagged,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
    grant_events, grant_audits = await access.end_and_grant(
        session,
        ending=ending,
        reason="moved",
        granting=granting,
        now=now,
        actor=actor,
    )
    await bulk.insert_rows(session, cast(Table, ActionEvent.__table__), events + grant_events)
    await bulk.insert_rows(session, cast(Table, AuditEvent.__table__), audits + grant_audits)


def queue_chase_messages(
    mail: Mail,
    moves: list[Move],
    *,
    overdue: Iterable[Action],
    today: date,
    channel_kind: str = "chase-digest",
    title: str | None = None,
) -> None:
    """One digest per network channel that has news, one bundled DM per person.

    ``channel_kind`` keys the channel message: "chase-digest" (the job's, at
    most one a day) or a manual escalation's own key."""
    moved_networks = {m.action.network_id for m in moves}
    by_network: dict[int, list[Action]] = defaultdict(list)
    for action in overdue:
        if action.network_id in moved_networks:
            by_network[action.network_id].append(action)
    stage_one = {m.action.id for m in moves if m.contact == "owner"}
    for network_id, actions in by_network.items():
        mail.digest(
            network_id, kind=channel_kind, actions=actions, newly_chased=stage_one, title=title
        )
    # Everyone a stage concerns: the owner, whoever the stage contacts, and the
    # keyworker (told of every escalation beyond the owner).
    items: dict[int, tuple[Person, list[tuple[Move, str]]]] = {}

    def tell(person: Person | None, move: Move, role: str) -> None:
        if person is None or not person.active:
            return
        items.setdefault(person.id, (person, []))[1].append((move, role))

    for move in moves:
        tell(move.action.owner, move, "owner")
        for person in move.contacted:
            if person.id != move.action.owner_id:
                tell(person, move, "contact")
        if move.contact != "owner" or move.missing:
            tell(move.action.network.keyworker, move, "keyworker")
    for person, concerns in items.values():
        seen: set[tuple[int, str]] = set()
        unique = []
        for move, role in concerns:
            if (move.action.id, role) not in seen and not (
                role == "keyworker" and (move.action.id, "contact") in seen
            ):
                seen.add((move.action.id, role))
                unique.append((move.action, move.stage, move.contact, role, move.missing))
        mail.dm(
            person,
            kind="chase-dm",
            message=views.chase_dm(person, unique, today=today),
            content=(f"{a.id}:{s}:{r}" for a, s, _, r, _ in unique),
        )


def _worker() -> str:
    return f"{socket.gethostname()}-jobs"[:64]
