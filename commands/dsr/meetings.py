"""The weekly DSR review meeting: when it is, what its agenda holds, and
posting the agenda once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from bot.policy import WEEKDAYS
from commands.authority import Verb, authorise
from commands.context import Services, Unit
from commands.dsr import agenda, outcomes
from commands.dsr.entries import facts_for, flags_of
from commands.records import access
from commands.vocabulary import is_review_to_hold
from store import audit, chasing, outbox
from store.models import (
    Action,
    Admission,
    Agency,
    Meeting,
    Network,
    Person,
    RatingChange,
    YoungPerson,
)


@dataclass(frozen=True)
class MeetingDay:
    """One week's DSR meeting: the day it is held, and the policy's usual day
    when it had to move (a bank holiday, say), with why."""

    on: date
    usual: date
    why_moved: str | None = None

    def posting_day(self, agenda_weekday: int) -> date:
        """When its agenda goes out: the policy's agenda day on or before the
        usual meeting day, or the meeting day itself if it moved earlier."""
        back = (self.usual.weekday() - agenda_weekday) % 7
        return min(self.usual - timedelta(days=back), self.on)


def meeting_for(usual: date, *, services: Services) -> MeetingDay:
    """The meeting whose usual day is ``usual``, moved off a non-working day
    as the policy says."""
    cal = services.calendar
    rule = services.policy.register_rules.meeting_on_non_working_day
    if cal.is_working_day(usual) or rule == "same-day":
        return MeetingDay(on=usual, usual=usual)
    holiday = cal.bank_holiday_name(usual)
    why = f"{holiday} is a bank holiday" if holiday else "it is not a working day"
    step = 1 if rule == "next-working-day" else -1
    return MeetingDay(on=cal.add_working_days(usual, step), usual=usual, why_moved=why)


def _meetings_around(day: date, *, services: Services) -> list[MeetingDay]:
    """The meetings whose usual day is within a week before to a fortnight after ``day``."""
    weekday = _weekday(services.policy.register_rules.meeting_day)
    first = day - timedelta(days=7) + timedelta(days=(weekday - day.weekday()) % 7)
    return [meeting_for(first + timedelta(weeks=n), services=services) for n in range(4)]


def next_meeting(unit: Unit) -> MeetingDay:
    """The next DSR meeting: today's if there is one today, else the next."""
    return min(
        (m for m in _meetings_around(unit.today, services=unit.services) if m.on >= unit.today),
        key=lambda m: m.on,
    )


async def agenda_data(unit: Unit, *, meeting: MeetingDay | None = None) -> agenda.AgendaData:
    """Everything the agenda shows, in a fixed number of queries however many
    young people and actions the register holds."""
    await authorise(unit, Verb.DSR_AGENDA_PREVIEW)
    register = await unit.register()
    session, cal = unit.session, unit.services.calendar
    meeting = meeting or next_meeting(unit)
    meeting_on = meeting.on
    # Since the last meeting whose agenda was posted, or a week before this one.
    last_meeting = (
        await session.execute(
            select(Meeting.id, Meeting.meeting_on)
            .where(Meeting.register_id == register.id, Meeting.meeting_on < meeting_on)
            .order_by(Meeting.meeting_on.desc())
            .limit(1)
        )
    ).first()
    last = last_meeting[1] if last_meeting else None
    since = last or meeting_on - timedelta(days=7)
    decided = await outcomes.decided(session, meeting_ids=[last_meeting[0]]) if last_meeting else []
    keyworker = aliased(Person)
    network = aliased(Network)
    rows = (
        await session.execute(
            select(YoungPerson, keyworker.name)
            .outerjoin(
                network, (network.young_person_id == YoungPerson.id) & (network.status == "open")
            )
            .outerjoin(
                keyworker,
                keyworker.id == func.coalesce(YoungPerson.keyworker_id, network.keyworker_id),
            )
            .where(YoungPerson.register_id == register.id, YoungPerson.archived_at.is_(None))
        )
    ).all()
    young_people = [yp for yp, _ in rows]
    ids = [yp.id for yp in young_people]
    # The agenda shows every young person on the register: each read by
    # someone outside their network is in the access log.
    await access.log_reads(
        session,
        at=unit.now,
        reader=unit.actor,
        label=unit.actor.email,
        young_people=young_people,
        how="DSR agenda",
    )
    facts = await facts_for(unit, young_people)
    admissions = {
        a.young_person_id: a
        for a in (
            await session.scalars(
                select(Admission).where(
                    Admission.young_person_id.in_(ids), Admission.discharged_on.is_(None)
                )
            )
        ).all()
    }
    # Core rows, not ORM objects: tens of thousands of actions are read here.
    owner = aliased(Person)
    open_actions = (
        select(
            Network.young_person_id,
            Action.id,
            Action.text,
            Action.source,
            Action.due_date,
            Action.escalation_stage,
            owner.name,
            Agency.name,
        )
        .join(Action, Action.network_id == Network.id)
        .join(owner, owner.id == Action.owner_id)
        .join(Agency, Agency.id == Action.agency_id)
        .where(Network.young_person_id.in_(ids), Network.status == "open", Action.status == "open")
    )
    counts: dict[int, int] = defaultdict(int)
    next_review: dict[int, date] = {}
    reviews_due: list[agenda.ReviewDue] = []
    escalated: list[agenda.Escalated] = []
    reference = {yp.id: yp.reference for yp in young_people}
    rows_of_actions = (await session.execute(open_actions)).all()
    for yp_id, action_id, text, source, due, stage, owner_name, agency_name in rows_of_actions:
        counts[yp_id] += 1
        if is_review_to_hold(source=source, text=text):
            if yp_id not in next_review or due < next_review[yp_id]:
                next_review[yp_id] = due
            reviews_due.append(agenda.ReviewDue(reference[yp_id], text, due))
        if stage >= 2:
            escalated.append(
                agenda.Escalated(
                    agency=agency_name,
                    action_id=action_id,
                    reference=reference[yp_id],
                    text=text,
                    owner=owner_name,
                    stage=stage,
                )
            )
    changes = (
        await session.execute(
            select(RatingChange, YoungPerson.reference)
            .join(YoungPerson, YoungPerson.id == RatingChange.young_person_id)
            .where(
                RatingChange.young_person_id.in_(ids),
                RatingChange.at >= cal.at_local(since, time(0)),
            )
        )
    ).all()
    people = []
    for yp, keyworker_name in rows:
        if yp.preventive_only:
            continue  # not on the DSR (their escalated actions still come to the meeting)
        admission = admissions.get(yp.id)
        people.append(
            agenda.Person(
                reference=yp.reference,
                rating=yp.rating,
                keyworker=keyworker_name,
                flags=flags_of(unit, facts[yp.id]),
                added_on=cal.local_date(yp.created_at),
                rated_on=cal.local_date(yp.rated_at) if yp.rated_at else None,
                age_band=yp.age_band,
                admitted_on=admission.admitted_on if admission else None,
                setting=admission.setting if admission else None,
                out_of_area=admission.out_of_area if admission else False,
                last_review=facts[yp.id].last_cetr,
                next_review=next_review.get(yp.id),
                open_actions=counts[yp.id],
            )
        )
    return agenda.AgendaData(
        area=register.area,
        meeting_on=meeting_on,
        moved_from=meeting.usual if meeting.why_moved else None,
        why_moved=meeting.why_moved,
        since=since,
        people=people,
        rating_changes=[
            agenda.RatingChange(ref, change.rating, cal.local_date(change.at), change.rationale)
            for change, ref in changes
        ],
        escalated=escalated,
        reviews_due=reviews_due,
        last_meeting=last,
        decided=[d.line() for d in decided],
    )


def _weekday(name: str) -> int:
    return WEEKDAYS.index(name)


def agenda_due_at(*, now: datetime, services: Services) -> tuple[datetime, MeetingDay]:
    """The latest agenda posting time on or before today (an aware instant,
    local rules: it follows the clocks going forward or back) and the meeting
    it is for: this week's, as moved off a non-working day."""
    rules, cal = services.policy.register_rules, services.calendar
    today = cal.local_date(now)
    agenda_weekday = _weekday(rules.agenda_day)
    posted = [
        (m.posting_day(agenda_weekday), m)
        for m in _meetings_around(today, services=services)
        if m.posting_day(agenda_weekday) <= today
    ]
    post_day, meeting = max(posted, key=lambda pair: pair[0])
    return cal.at_local(post_day, rules.agenda_at), meeting


async def post_agenda(
    unit: Unit, *, meeting_day: MeetingDay, posted_by: str
) -> tuple[Meeting, bool]:
    """Store the meeting's agenda and send it, once: the meeting's unique key
    decides, whichever process or re-run gets there first. Returns the
    meeting and whether this call posted it."""
    await authorise(unit, Verb.DSR_AGENDA_POST)
    register = await unit.register()
    meeting_on = meeting_day.on
    data = await agenda_data(unit, meeting=meeting_day)
    built = agenda.build(data, today=unit.today, policy=unit.services.policy)
    markdown = agenda.as_markdown(built)
    dialect = unit.session.bind.dialect.name if unit.session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await unit.session.execute(
        insert(Meeting)
        .values(
            register_id=register.id,
            meeting_on=meeting_on,
            agenda_markdown=markdown,
            posted_by=posted_by,
            created_at=unit.now,
        )
        .on_conflict_do_nothing(index_elements=["register_id", "meeting_on"])
    )
    meeting = await unit.session.scalar(
        select(Meeting).where(Meeting.register_id == register.id, Meeting.meeting_on == meeting_on)
    )
    assert meeting is not None
    if not getattr(result, "rowcount", 0):
        return meeting, False
    rules = unit.services.policy.register_rules
    send_at = unit.services.calendar.next_service_time(unit.now)
    # (target kind, person id, "platform:conversation"): the chair's channel,
    # or each DSR chair directly.
    targets: list[tuple[str, int, str | None]]
    if rules.agenda_channel:
        targets = [("conversation", 0, rules.agenda_channel)]
    else:
        chairs = await chasing.chairs(unit.session, email=unit.services.policy.chair_email)
        targets = [("person", p.id, None) for p in chairs]
    messages = agenda.as_messages(built)
    for kind, target_id, ref in targets:
        for n, message in enumerate(messages):
            unit.outgoing.append(
                outbox.row(
                    key=f"agenda:r{register.id}:{meeting_on.isoformat()}:{ref or target_id}:{n}",
                    target_kind=kind,
                    target_id=target_id,
                    target_ref=ref,
                    op="post" if kind == "conversation" else "dm",
                    message=message,
                    now=unit.now,
                    not_before=send_at,
                )
            )
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="register.agenda",
        object_type="meeting",
        object_id=meeting.id,
        after={"meeting_on": meeting_on.isoformat(), "posted_by": posted_by},
    )
    return meeting, True
