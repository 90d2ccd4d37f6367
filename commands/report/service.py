"""Reading what the quarterly report needs (a fixed number of queries,
however large the register), and sending it to the DSR chair."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.messages import Attachment
from bot.policy import Policy
from commands.authority import Verb, authorise
from commands.context import Unit
from commands.report import views
from commands.report.documents import Document, Format, documents
from commands.report.figures import (
    BANDS,
    ActionEventRow,
    ActionRow,
    AdmissionRow,
    Change,
    KeyworkerRow,
    QuarterlyReport,
    ReportData,
    Rules,
    YoungPersonRow,
    build,
)
from commands.report.quarters import Quarter, parse_quarter
from store import audit, outbox
from store.models import (
    Action,
    ActionEvent,
    Admission,
    Agency,
    KeyworkerChange,
    Network,
    Person,
    RatingChange,
    Register,
    SupportChange,
    YoungPerson,
)

EVENT_KINDS = ("escalated", "due_changed", "extension")


def rules_of(policy: Policy) -> Rules:
    register_rules = policy.register_rules
    return Rules(
        target_percent=register_rules.keyworker_target_percent,
        readmission_months=register_rules.readmission_months,
        caseload_limit=register_rules.caseload_limit,
        stages=len(policy.ladder),
        bands=tuple(band for band in BANDS if band in policy.report.bands),
        workforce_names=policy.report.workforce_names,
        posts=tuple(policy.workforce),
    )


async def load(
    session: AsyncSession,
    *,
    register: Register,
    start: datetime,
    end: datetime,
    holders: Sequence[str] = (),
) -> ReportData:
    """Everything about ``register`` the figures are rebuilt from: the whole
    history of its young people, the actions alive between the instants
    ``start`` and ``end``, and the directory's keyworkers (and ``holders``,
    the emails of the policy's workforce)."""
    in_register = YoungPerson.register_id == register.id
    people = (
        await session.execute(
            select(
                YoungPerson.id,
                YoungPerson.reference,
                YoungPerson.age_band,
                YoungPerson.transition_month,
                YoungPerson.created_at,
                YoungPerson.left_on,
                YoungPerson.leaving_reason,
                YoungPerson.rating,
                YoungPerson.preventive_only,
            ).where(in_register, YoungPerson.created_at < end)
        )
    ).all()
    ratings = (
        await session.execute(
            select(
                RatingChange.young_person_id, RatingChange.at, RatingChange.rating, RatingChange.id
            )
            .join(YoungPerson, YoungPerson.id == RatingChange.young_person_id)
            .where(in_register)
        )
    ).all()
    keyworkers = (
        await session.execute(
            select(
                KeyworkerChange.young_person_id,
                KeyworkerChange.at,
                KeyworkerChange.keyworker_id,
                KeyworkerChange.id,
            )
            .join(YoungPerson, YoungPerson.id == KeyworkerChange.young_person_id)
            .where(in_register)
        )
    ).all()
    support = (
        await session.execute(
            select(
                SupportChange.young_person_id,
                SupportChange.at,
                SupportChange.kind,
                SupportChange.id,
            )
            .join(YoungPerson, YoungPerson.id == SupportChange.young_person_id)
            .where(in_register)
        )
    ).all()
    admissions = (
        await session.execute(
            select(Admission.young_person_id, Admission.admitted_on, Admission.discharged_on)
            .join(YoungPerson, YoungPerson.id == Admission.young_person_id)
            .where(in_register)
        )
    ).all()
    alive = (
        Action.created_at < end,
        or_(Action.closed_at.is_(None), Action.closed_at >= start),
    )
    actions = (
        await session.execute(
            select(
                Action.id,
                Agency.name,
                Action.created_at,
                Action.due_date,
                Action.status,
                Action.closed_at,
            )
            .join(Agency, Agency.id == Action.agency_id)
            .join(Network, Network.id == Action.network_id)
            .join(YoungPerson, YoungPerson.id == Network.young_person_id)
            .where(in_register, *alive)
        )
    ).all()
    # Who answered for an action at the end: an owner changed later is undone
    # by the earliest later reassignment's "from" (its agency, from the directory).
    reassigned_later = (
        await session.execute(
            select(ActionEvent.action_id, Agency.name)
            .join(Action, Action.id == ActionEvent.action_id)
            .join(Network, Network.id == Action.network_id)
            .join(YoungPerson, YoungPerson.id == Network.young_person_id)
            .join(Person, Person.email == ActionEvent.data["from"].as_string())
            .join(Agency, Agency.id == Person.agency_id)
            .where(in_register, *alive, ActionEvent.kind == "reassigned", ActionEvent.at >= end)
            .order_by(ActionEvent.at.desc(), ActionEvent.id.desc())
        )
    ).all()
    agency_at_end = {action_id: agency for action_id, agency in reassigned_later}
    events = (
        await session.execute(
            select(ActionEvent.action_id, ActionEvent.kind, ActionEvent.at, ActionEvent.data)
            .join(Action, Action.id == ActionEvent.action_id)
            .join(Network, Network.id == Action.network_id)
            .join(YoungPerson, YoungPerson.id == Network.young_person_id)
            .where(in_register, *alive, ActionEvent.kind.in_(EVENT_KINDS), ActionEvent.at >= start)
        )
    ).all()
    named = {row.keyworker_id for row in keyworkers if row.keyworker_id is not None}
    directory = (
        await session.execute(
            select(
                Person.id,
                Person.name,
                Person.active,
                Person.role,
                Person.email,
                Person.grade,
                Person.part_time,
                Agency.kind,
            )
            .join(Agency, Agency.id == Person.agency_id)
            .where(
                or_(
                    Person.id.in_(named),
                    Person.active.is_(True) & Person.role.ilike("%keyworker%"),
                    Person.email.in_(list(holders)),
                )
            )
        )
    ).all()
    return ReportData(
        register=register.name,
        area=register.area,
        young_people=tuple(
            YoungPersonRow(
                id=row.id,
                reference=row.reference,
                age_band=row.age_band,
                transition_month=row.transition_month,
                joined_at=row.created_at,
                left_on=row.left_on,
                leaving_reason=row.leaving_reason,
                rating=row.rating,
                preventive_only=bool(row.preventive_only),
            )
            for row in people
        ),
        support=tuple(Change(yp, at, kind, order) for yp, at, kind, order in support),
        ratings=tuple(Change(yp, at, rating, order) for yp, at, rating, order in ratings),
        keyworkers=tuple(Change(yp, at, kw, order) for yp, at, kw, order in keyworkers),
        admissions=tuple(AdmissionRow(*row) for row in admissions),
        actions=tuple(
            ActionRow(
                id=row[0],
                agency=agency_at_end.get(row[0], row[1]),
                created_at=row[2],
                due_date=row[3],
                status=row[4],
                closed_at=row[5],
            )
            for row in actions
        ),
        action_events=tuple(
            ActionEventRow(action_id=row.action_id, kind=row.kind, at=row.at, data=row.data or {})
            for row in events
        ),
        people=tuple(
            KeyworkerRow(
                id=row.id,
                name=row.name,
                listed=bool(row.active) and "keyworker" in row.role.lower(),
                email=row.email,
                role=row.role or "Keyworker",
                grade=row.grade,
                part_time=row.part_time,
                agency_kind=row.kind,
                active=bool(row.active),
            )
            for row in directory
        ),
    )


async def quarterly(
    session: AsyncSession,
    *,
    register: Register,
    quarter: Quarter,
    today: date,
    calendar: WorkingCalendar,
    policy: Policy,
) -> QuarterlyReport:
    """The quarter's report for ``register``, as at its end (or today)."""
    as_at = min(today, quarter.end)
    data = await load(
        session,
        register=register,
        start=calendar.at_local(quarter.start, time(0)),
        end=calendar.at_local(as_at + timedelta(days=1), time(0)),
        holders=[post.person for post in policy.workforce if post.person],
    )
    return build(data, quarter=quarter, today=today, calendar=calendar, rules=rules_of(policy))


def _attachment(document: Document) -> Attachment:
    return Attachment(
        filename=document.filename,
        media_type=document.media_type,
        content_b64=base64.b64encode(document.content).decode("ascii"),
        title=document.title,
        alt_text=document.alt_text,
    )


@dataclass(frozen=True)
class Sent:
    report: QuarterlyReport
    files: tuple[str, ...]
    where: str  # "to you by direct message", "to dsr-review"


async def send_to_chair(unit: Unit, *, quarter_text: str | None) -> Sent:
    """`/dsr report`: DSR chairs and admins. The summary and the files go through
    the outbox, to the chair's channel from the policy or to the chair who
    asked, by direct message."""
    await authorise(unit, Verb.DSR_REPORT)
    quarter = (
        parse_quarter(quarter_text, today=unit.today)
        if quarter_text
        else Quarter.last_completed(unit.today)
    )
    register = await unit.register()
    services = unit.services
    report = await quarterly(
        unit.session,
        register=register,
        quarter=quarter,
        today=unit.today,
        calendar=services.calendar,
        policy=services.policy,
    )
    # Every document except the Markdown (people open the web page or the
    # spreadsheet), then the pictures.
    files = [d for d in documents(report, Format.all) if not d.filename.endswith(".md")]
    message = views.summary(report, attachments=tuple(_attachment(d) for d in files))
    channel = services.policy.register_rules.agenda_channel
    key = f"report:r{register.id}:{quarter.code}:{unit.change_id}"
    if channel:
        unit.outgoing.append(
            outbox.row(
                key=key,
                target_kind="conversation",
                target_id=0,
                target_ref=channel,
                op="post",
                message=message,
                now=unit.now,
            )
        )
        where = f"to {channel.split(':', 1)[1]}"
    else:
        unit.outgoing.append(
            outbox.row(
                key=key,
                target_kind="person",
                target_id=unit.actor.id,
                op="dm",
                message=message,
                now=unit.now,
            )
        )
        where = "to you by direct message"
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="export.quarterly_report",
        object_type="register",
        object_id=register.id,
        after={
            "quarter": quarter.code,
            "as_at": report.as_at.isoformat(),
            "files": [d.filename for d in files],
        },
    )
    return Sent(report=report, files=tuple(d.filename for d in files), where=where)
