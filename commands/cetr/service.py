"""Review (C(E)TR) services: keyword-only, inside the caller's unit of work.

A review is recorded once it has been held, with its whole panel; recording
it creates its follow-ups as actions owned by the chair (the responsible
commissioner), and each recommendation becomes an action with one owner and
a due date (through ``commands.action.service.assign``, so every action gets
its card, its DM and its audit event in the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.dates import add_months, format_numeric
from bot.errors import NeedsIdentity, NotFound, UserError
from commands.action import service as action_service
from commands.authority import Verb, authorise
from commands.cetr import grammar
from commands.context import Unit
from commands.network import service as network_service
from commands.people import resolve
from commands.vocabulary import REVIEW_TO_HOLD
from store import audit, queries
from store.models import Action, Cetr, Network, Person

REPORT_TEXT = "Send the review report to every participant"
NEXT_REVIEW_TEXT = f"{REVIEW_TO_HOLD}the next inpatient review"
POST_ADMISSION_TEXT = f"{REVIEW_TO_HOLD}the post-admission C(E)TR"


def snapshot(cetr: Cetr) -> dict[str, Any]:
    return {
        "kind": cetr.kind,
        "held_on": cetr.held_on.isoformat(),
        "chair": cetr.chair.email if cetr.chair else None,
        "delegated_chair": cetr.delegated_chair,
        "clinical_expert": cetr.clinical_expert,
        "expert_by_experience": cetr.expert_by_experience,
        "secure_setting": cetr.secure_setting,
        "report_sent_on": cetr.report_sent_on.isoformat() if cetr.report_sent_on else None,
    }


def next_review_months(unit: Unit, *, network: Network, secure: bool) -> int:
    reviews = unit.services.policy.reviews
    if network.young_person.age_band == "under-18":
        return reviews.inpatient_months_child
    return reviews.inpatient_months_adult_secure if secure else reviews.inpatient_months_adult


async def get_here(unit: Unit, *, network: Network, cetr_id: int) -> Cetr:
    """A review of this network's young person, or NotFound."""
    await authorise(unit, Verb.CETR_SHOW, network=network)
    cetr = await unit.session.get(Cetr, cetr_id)
    if cetr is None or cetr.young_person_id != network.young_person_id:
        raise NotFound(
            f"I can't find review #{cetr_id} for {network.young_person.reference}.",
            hint="`/cetr list` shows this young person's reviews.",
        )
    return cetr


async def _require_member(unit: Unit, *, network: Network, person: Person, as_what: str) -> None:
    if not await queries.is_member(unit.session, network_id=network.id, person_id=person.id):
        raise UserError(
            f"{person.name} isn't in this network, so they can't be {as_what}.",
            hint=f"Ask the keyworker to add them first: /network add {person.email}",
        )


async def record(
    unit: Unit,
    *,
    network: Network,
    kind: grammar.ReviewKind,
    held_on: date,
    chair: Person,
    delegated: bool = False,
    clinical_expert: str | None = None,
    expert_by_experience: str | None = None,
    secure: bool = False,
) -> tuple[Cetr, list[Action]]:
    """Record a review that was held, and create its follow-up actions."""
    await authorise(unit, Verb.CETR_RECORD, network=network)
    missing = grammar.missing_panel(
        kind,
        has_chair=True,
        clinical_expert=clinical_expert,
        expert_by_experience=expert_by_experience,
    )
    if missing:
        raise grammar.panel_refusal(kind, missing)
    if held_on > unit.today:
        raise UserError("A review can only be recorded once it has been held.")
    await _require_member(unit, network=network, person=chair, as_what="the chair")
    same = await unit.session.scalar(
        select(Cetr.id).where(
            Cetr.young_person_id == network.young_person_id,
            Cetr.kind == kind,
            Cetr.held_on == held_on,
        )
    )
    if same is not None:
        raise UserError(
            f"That {grammar.KIND_LABEL[kind]} is already recorded as review #{same}.",
            hint=f"See it with /cetr show {same}.",
        )
    cetr = Cetr(
        young_person_id=network.young_person_id,
        network_id=network.id,
        kind=kind,
        held_on=held_on,
        chair_id=chair.id,
        delegated_chair=delegated,
        clinical_expert=clinical_expert,
        expert_by_experience=expert_by_experience,
        secure_setting=secure,
        recorded_by_id=unit.actor.id,
        created_at=unit.now,
        updated_at=unit.now,
    )
    cetr.young_person, cetr.chair = network.young_person, chair
    unit.session.add(cetr)
    await unit.session.flush()
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="cetr.record",
        object_type="cetr",
        object_id=cetr.id,
        before=None,
        after=snapshot(cetr),
    )
    # Follow-ups are owned by the chair; a date already past (a review recorded
    # late) is kept, so that it is chased.
    report_due = unit.services.calendar.add_working_days(
        held_on, unit.services.policy.reviews.report_working_days
    )
    follow_ups = [
        await action_service.assign(
            unit,
            network=network,
            owner=chair,
            text=REPORT_TEXT,
            due=report_due,
            source="review",
            cetr_id=cetr.id,
        )
    ]
    if kind in grammar.INPATIENT_KINDS:
        months = next_review_months(unit, network=network, secure=secure)
        follow_ups.append(
            await action_service.assign(
                unit,
                network=network,
                owner=chair,
                text=NEXT_REVIEW_TEXT,
                due=add_months(held_on, months),
                source="review",
                cetr_id=cetr.id,
            )
        )
    await network_service.refresh_card(unit, network=network, version=f"cetr{cetr.id}")
    return cetr, follow_ups


async def schedule_post_admission_review(
    unit: Unit, *, network: Network, commissioner: Person, admitted_on: date
) -> Action:
    """After an admission, a post-admission C(E)TR within the policy's working
    days (NHSE's interim rule: 5, not 10), owned by the responsible
    commissioner so that it is chased like any other action. Called when an
    admission is recorded (the DSR register's `admit`)."""
    due = unit.services.calendar.add_working_days(
        admitted_on, unit.services.policy.reviews.post_admission_working_days
    )
    return await action_service.assign(
        unit,
        network=network,
        owner=commissioner,
        text=POST_ADMISSION_TEXT,
        due=due,
        source="review",
    )


async def add_recommendation(
    unit: Unit,
    *,
    network: Network,
    cetr: Cetr,
    owner: Person,
    text: str,
    due: date,
    agency_name: str | None = None,
) -> Action:
    """One of the review's recommendations, as an action with one owner and a date."""
    await authorise(unit, Verb.CETR_REC, network=network)
    return await action_service.assign(
        unit,
        network=network,
        owner=owner,
        text=text,
        due=due,
        agency_name=agency_name,
        source="cetr",
        cetr_id=cetr.id,
    )


@dataclass(frozen=True)
class CheckedLine:
    """One line of several recommendations, as understood, or why it can't be used."""

    number: int
    owner: Person | None = None
    agency_name: str | None = None
    text: str | None = None
    due: date | None = None
    error: str | None = None


async def check_lines(
    unit: Unit, *, network: Network, lines: Sequence[grammar.RecLine], platform: str
) -> list[CheckedLine]:
    """Resolve each line's owner and agency; writes nothing."""
    checked: list[CheckedLine] = []
    unknown: list[str] = []
    for line in lines:
        if line.error is not None or line.owner is None:
            checked.append(CheckedLine(number=line.number, error=line.error or "Unreadable."))
            continue
        try:
            owner = await resolve(unit, line.owner, platform=platform)
        except NeedsIdentity as exc:
            unknown.extend(exc.platform_user_ids)
            continue
        except UserError as exc:
            checked.append(CheckedLine(number=line.number, error=exc.message))
            continue
        error = None
        agency_name = owner.agency.name
        if line.agency is not None:
            agency = await queries.agency_by_name(unit.session, name=line.agency)
            if agency is None:
                error = f"I don't know an agency called {line.agency!r}."
            else:
                agency_name = agency.name
        if error is None and not await queries.is_member(
            unit.session, network_id=network.id, person_id=owner.id
        ):
            error = (
                f"{owner.name} isn't in this network; add them first with "
                f"/network add {owner.email}"
            )
        checked.append(
            CheckedLine(
                number=line.number,
                owner=owner,
                agency_name=agency_name,
                text=line.text,
                due=line.due,
                error=error,
            )
        )
    if unknown:
        raise NeedsIdentity(tuple(unknown), "I don't know some of those people yet.")
    return checked


async def add_recommendations(
    unit: Unit, *, network: Network, cetr: Cetr, checked: Sequence[CheckedLine]
) -> list[Action]:
    """All the lines, or (if any line has a problem) none of them."""
    problems = [line for line in checked if line.error is not None]
    if problems:
        listed = "\n".join(f"Line {line.number}: {line.error}" for line in problems)
        raise UserError(
            f"I haven't created any of these recommendations: "
            f"{'a line has' if len(problems) == 1 else 'some lines have'} a problem.\n{listed}",
            hint="Fix those lines and send them all again.",
        )
    actions = []
    for line in checked:
        assert line.owner is not None and line.text is not None and line.due is not None
        actions.append(
            await add_recommendation(
                unit,
                network=network,
                cetr=cetr,
                owner=line.owner,
                text=line.text,
                due=line.due,
                agency_name=line.agency_name,
            )
        )
    return actions


async def report_sent(unit: Unit, *, network: Network, cetr: Cetr, sent_on: date) -> Action | None:
    """Record the report as sent; completes the open "send the report" follow-up."""
    await authorise(unit, Verb.CETR_REPORT_SENT, review=(cetr, network))
    if cetr.report_sent_on is not None:
        raise UserError(
            f"The report of review #{cetr.id} is already recorded as sent on "
            f"{format_numeric(cetr.report_sent_on)}."
        )
    if sent_on < cetr.held_on:
        raise UserError(
            f"The report can't have been sent before the review was held "
            f"({format_numeric(cetr.held_on)}).",
            hint=f"For example: /cetr report-sent {cetr.id} today",
        )
    if sent_on > unit.today:
        raise UserError("Record the report as sent once it has gone.")
    before = snapshot(cetr)
    cetr.report_sent_on, cetr.updated_at = sent_on, unit.now
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="cetr.report_sent",
        object_type="cetr",
        object_id=cetr.id,
        before=before,
        after=snapshot(cetr),
    )
    follow_up = await unit.session.scalar(
        select(Action)
        .where(
            Action.cetr_id == cetr.id,
            Action.source == "review",
            Action.text == REPORT_TEXT,
            Action.status == "open",
        )
        .order_by(Action.id)
        .limit(1)
    )
    if follow_up is None:
        return None
    return await action_service.complete(
        unit, action=follow_up, evidence=f"Report sent on {format_numeric(sent_on)}"
    )


async def actions_of(unit: Unit, *, cetr: Cetr) -> list[Action]:
    """The review's follow-ups, then its recommendations, each in order of creation."""
    rows = await unit.session.scalars(
        select(Action)
        .where(Action.cetr_id == cetr.id)
        .order_by((Action.source != "review"), Action.id)
    )
    return list(rows.unique().all())


async def reviews_of(unit: Unit, *, network: Network) -> list[tuple[Cetr, int]]:
    """This young person's reviews, newest first, each with its number of open actions."""
    await authorise(unit, Verb.CETR_SHOW, network=network)
    cetrs = list(
        (
            await unit.session.scalars(
                select(Cetr)
                .where(Cetr.young_person_id == network.young_person_id)
                .order_by(Cetr.held_on.desc(), Cetr.id.desc())
            )
        )
        .unique()
        .all()
    )
    counts: dict[int, int] = {}
    if cetrs:
        rows = await unit.session.execute(
            select(Action.cetr_id, func.count())
            .where(Action.cetr_id.in_([c.id for c in cetrs]), Action.status == "open")
            .group_by(Action.cetr_id)
        )
        counts = {int(cetr_id): int(n) for cetr_id, n in rows.all() if cetr_id is not None}
    return [(cetr, counts.get(cetr.id, 0)) for cetr in cetrs]
