"""Reviews (C(E)TRs) end to end over a real database (SQLite or PostgreSQL).

The clock reads Monday 23 November 2026, 10:00 in London. Expected dates are
worked out by hand here, not with the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from store.models import Action, AuditEvent, Cetr, Outbox
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"  # keyworker
PRIYA = "priya.shah@example.org"  # DSR chair (commissioner, ICB)
SAM = "sam.patel@example.org"  # CAMHS
JO = "jo.hughes@example.org"  # social care
STRANGER = "taylor.brown@example.org"  # in the directory, not in the network
CH = "yp-dsr-0042"  # DSR-0042 is under 18


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


PANEL = '--chair @priya.shah --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'


async def open_network(h: Harness, ref: str = "DSR-0042") -> str:
    reply = await h.say(KIM, f"/network open {ref}")
    channel = reply.switch_to
    assert channel, text_of(reply)
    reply = await h.say(KIM, f"/network add @sam.patel {JO} @priya.shah", channel=channel)
    assert "Added Sam Patel (CAMHS)" in text_of(reply), text_of(reply)
    return channel


async def actions(h: Harness) -> list[Action]:
    async with h.app.db.reader() as session:
        return list((await session.scalars(select(Action).order_by(Action.id))).unique().all())


async def cetrs(h: Harness) -> list[Cetr]:
    async with h.app.db.reader() as session:
        return list((await session.scalars(select(Cetr).order_by(Cetr.id))).unique().all())


def summary(found: list[Action]) -> list[tuple[str, str, date, str, int | None]]:
    return [(a.text, a.owner.email, a.due_date, a.source, a.cetr_id) for a in found]


# -- record ---------------------------------------------------------------------


async def test_recording_an_inpatient_review_creates_its_two_follow_ups(h: Harness) -> None:
    await open_network(h)
    reply = await h.say(KIM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    shown = text_of(reply)
    assert reply.message.tone == "success", shown
    assert "Review #1 recorded" in shown
    assert "Fri 20 Nov" in shown and "20/11/2026" in shown
    # Report: 10 working days after Fri 20 Nov, over two weekends -> Fri 4 Dec.
    # Next inpatient review of an under-18: 3 months later -> Sat 20 Feb 2027.
    assert summary(await actions(h)) == [
        ("Send the review report to every participant", PRIYA, date(2026, 12, 4), "review", 1),
        ("Hold the next inpatient review", PRIYA, date(2027, 2, 20), "review", 1),
    ]
    assert "Fri 4 Dec" in shown and "Sat 20 Feb 2027" in shown
    [review] = await cetrs(h)
    assert (review.kind, review.held_on, review.chair_id is not None) == (
        "inpatient",
        date(2026, 11, 20),
        True,
    )
    assert (review.clinical_expert, review.expert_by_experience) == ("Dr A Khan", "R Jones")
    # The chair (not the keyworker who typed it) is told about each follow-up.
    async with h.app.db.reader() as session:
        dms = (await session.scalars(select(Outbox).where(Outbox.op == "dm"))).all()
        verbs = (await session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id))).all()
    assert sum(1 for d in dms if "gave you an action" in str(d.payload)) == 2
    assert verbs[-3:] == ["cetr.record", "action.assign", "action.assign"]


async def test_a_community_review_has_only_the_report_follow_up(h: Harness) -> None:
    await open_network(h)
    reply = await h.say(KIM, f"/cetr record CETR today {PANEL}", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    # 10 working days after Mon 23 Nov -> Mon 7 Dec.
    assert summary(await actions(h)) == [
        ("Send the review report to every participant", PRIYA, date(2026, 12, 7), "review", 1),
    ]


async def test_an_adult_review_recorded_late_keeps_past_dates_and_clamps_the_month(
    h: Harness,
) -> None:
    channel = await open_network(h, "DSR-0051")  # 18-25
    reply = await h.say(KIM, f"/cetr record post-admission 31/08/2026 {PANEL}", channel=channel)
    assert reply.message.tone == "success", text_of(reply)
    # Mon 31 Aug 2026 is the summer bank holiday; 10 working days on is Mon 14 Sep
    # (already past: still created, so it is chased). Adult, not secure: 6 months
    # from 31 Aug is 28 Feb 2027 (no 31 Feb).
    assert summary(await actions(h)) == [
        ("Send the review report to every participant", PRIYA, date(2026, 9, 14), "review", 1),
        ("Hold the next inpatient review", PRIYA, date(2027, 2, 28), "review", 1),
    ]


async def test_an_adult_in_a_secure_setting_is_reviewed_again_in_12_months(h: Harness) -> None:
    channel = await open_network(h, "DSR-0051")
    reply = await h.say(KIM, f"/cetr record inpatient today {PANEL} --secure", channel=channel)
    assert reply.message.tone == "success", text_of(reply)
    assert [a.due_date for a in await actions(h)] == [date(2026, 12, 7), date(2027, 11, 23)]


async def test_an_incomplete_panel_is_refused_and_changes_nothing(h: Harness) -> None:
    await open_network(h)
    before = await h.audit_and_outbox()
    reply = await h.say(
        KIM,
        '/cetr record community-cetr 20/11 --chair @priya.shah --clinical-expert "Dr A Khan"',
        channel=CH,
    )
    shown = text_of(reply)
    assert reply.message.tone == "error"
    assert "expert by experience" in shown and "--expert-by-experience" in shown
    assert "clinical expert" not in shown.split("\n")[0]
    assert await h.audit_and_outbox() == before
    assert await cetrs(h) == [] and await actions(h) == []


async def test_a_laep_meeting_needs_only_a_chair(h: Harness) -> None:
    await open_network(h)
    reply = await h.say(KIM, "/cetr record LAEP today --chair @priya.shah", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    assert "LAEP meeting" in text_of(reply)
    assert [a.text for a in await actions(h)] == ["Send the review report to every participant"]
    shown = text_of(await h.say(KIM, "/cetr show 1", channel=CH))
    assert "none (LAEP meeting)" in shown


async def test_the_chair_must_be_in_the_network(h: Harness) -> None:
    await open_network(h)
    before = await h.audit_and_outbox()
    reply = await h.say(
        KIM,
        "/cetr record community-cetr 20/11 --chair @taylor.brown "
        '--clinical-expert "Dr A Khan" --expert-by-experience "R Jones"',
        channel=CH,
    )
    assert reply.message.tone == "error"
    assert f"/network add {STRANGER}" in text_of(reply)
    assert await h.audit_and_outbox() == before


async def test_only_the_keyworker_a_chair_or_an_admin_records_a_review(h: Harness) -> None:
    await open_network(h)
    reply = await h.say(SAM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    assert reply.message.tone == "error"
    assert "keyworker" in text_of(reply)
    assert await cetrs(h) == []
    reply = await h.say(PRIYA, f"/cetr record inpatient 20/11 {PANEL} --delegated", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    assert "(delegated chair)" in text_of(await h.say(SAM, "/cetr show 1", channel=CH))


async def test_a_future_date_is_refused(h: Harness) -> None:
    await open_network(h)
    reply = await h.say(KIM, f"/cetr record inpatient Friday {PANEL}", channel=CH)
    assert reply.message.tone == "error"
    assert "Fri 27 Nov is in the future" in text_of(reply)
    assert await cetrs(h) == []


# -- recommendations --------------------------------------------------------------


async def test_rec_creates_a_review_sourced_action(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record community-cetr 20/11 {PANEL}", channel=CH)
    reply = await h.say(
        PRIYA, "/cetr rec 1 @jo.hughes Review the short-break offer by 18/12", channel=CH
    )
    assert reply.message.tone == "success", text_of(reply)
    assert "Jo Hughes (Children's Social Care), due Fri 18 Dec" in text_of(reply)
    *_, rec = await actions(h)
    assert (rec.text, rec.owner.email, rec.due_date, rec.source, rec.cetr_id) == (
        "Review the short-break offer",
        JO,
        date(2026, 12, 18),
        "cetr",
        1,
    )
    shown = text_of(await h.say(SAM, "/cetr show 1", channel=CH))
    assert "Review the short-break offer — Jo Hughes" in shown
    assert "[follow-up] Send the review report" in shown


async def test_rec_refuses_another_young_persons_review(h: Harness) -> None:
    await open_network(h)
    other = await open_network(h, "DSR-0043")
    await h.say(KIM, f"/cetr record community-cetr 20/11 {PANEL}", channel=other)
    before = await h.audit_and_outbox(), len(await actions(h))
    reply = await h.say(KIM, "/cetr rec 1 @sam.patel Ring the GP by Friday", channel=CH)
    assert reply.message.tone == "error"
    assert "can't find review #1 for DSR-0042" in text_of(reply)
    assert (await h.audit_and_outbox(), len(await actions(h))) == before


BULK = (
    "\n@sam.patel | Review the medication plan | 18/12\n@jo.hughes | Book a family meeting | Friday"
)


async def test_several_recommendations_are_previewed_then_created_on_confirm(
    h: Harness,
) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record community-cetr 20/11 {PANEL}", channel=CH)
    before = await h.audit_and_outbox()
    preview = await h.say(KIM, "/cetr rec 1" + BULK, channel=CH)
    shown = text_of(preview)
    assert "Line 1: Sam Patel (CAMHS) — Review the medication plan — due Fri 18 Dec" in shown
    assert (
        "Line 2: Jo Hughes (Children's Social Care) — Book a family meeting — due Fri 27 Nov"
        in (shown)
    )
    assert "/cetr rec 1 --confirm" in shown
    assert await h.audit_and_outbox() == before
    assert len(await actions(h)) == 1  # only the report follow-up

    reply = await h.say(KIM, "/cetr rec 1 --confirm" + BULK, channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    created = [a for a in await actions(h) if a.source == "cetr"]
    assert [(a.owner.email, a.due_date, a.cetr_id) for a in created] == [
        (SAM, date(2026, 12, 18), 1),
        (JO, date(2026, 11, 27), 1),
    ]


async def test_one_bad_line_means_nothing_is_created(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record community-cetr 20/11 {PANEL}", channel=CH)
    lines = (
        "\n@sam.patel | Review the medication plan | 18/12"
        "\n@jo.hughes | Book a family meeting | 01/01/2026"
        "\n@taylor.brown | Visit the placement | 4/12"
    )
    preview = text_of(await h.say(KIM, "/cetr rec 1" + lines, channel=CH))
    assert "Line 2: ⚠ Thu 1 Jan has already passed" in preview
    assert "Line 3: ⚠ Taylor Brown isn't in this network" in preview
    before = await h.audit_and_outbox()
    reply = await h.say(KIM, "/cetr rec 1 --confirm" + lines, channel=CH)
    shown = text_of(reply)
    assert reply.message.tone == "error"
    assert "I haven't created any" in shown
    assert "Line 2:" in shown and "Line 3:" in shown and "Line 1:" not in shown
    assert await h.audit_and_outbox() == before
    assert [a.source for a in await actions(h)] == ["review"]


# -- report, show, list -----------------------------------------------------------


async def test_report_sent_completes_the_report_follow_up(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    reply = await h.say(PRIYA, "/cetr report-sent 1 today", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    report, next_review = await actions(h)
    assert (report.status, report.evidence) == ("done", "Report sent on 23/11/2026")
    assert next_review.status == "open"
    [review] = await cetrs(h)
    assert review.report_sent_on == date(2026, 11, 23)
    async with h.app.db.reader() as session:
        verbs = (await session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id))).all()
    assert verbs[-2:] == ["cetr.report_sent", "action.done"]
    assert "Sent on Mon 23 Nov" in text_of(await h.say(SAM, "/cetr show 1", channel=CH))
    again = await h.say(PRIYA, "/cetr report-sent 1 today", channel=CH)
    assert again.message.tone == "error" and "already recorded as sent" in text_of(again)


async def test_list_shows_reviews_newest_first(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record community-cetr 02/11 {PANEL}", channel=CH)
    await h.say(KIM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    shown = text_of(await h.say(SAM, "/cetr list", channel=CH))
    assert shown.index("#2 inpatient review") < shown.index("#1 community C(E)TR")
    assert "2 open actions" in shown and "1 open action" in shown


async def test_a_stranger_cannot_see_a_review(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    for line in ("/cetr show 1", "/cetr list"):
        reply = await h.say(STRANGER, line, channel=CH)
        shown = text_of(reply)
        assert reply.message.tone == "error", line
        assert "Only the network's members, a DSR chair or an admin" in shown, shown
        assert "Dr A Khan" not in shown and "inpatient" not in shown


async def test_an_admission_schedules_a_post_admission_review_for_the_commissioner(
    h: Harness,
) -> None:
    """Admitted on Thu 26 Nov 2026: five working days later is Thu 3 Dec."""
    from bot.invocation import Actor, Conversation
    from commands.cetr.service import schedule_post_admission_review
    from commands.context import unit_of_work
    from store import queries

    await open_network(h)
    services = h.app.services
    async with unit_of_work(
        services,
        actor=Actor(platform="console", platform_user_id=KIM, email=KIM),
        conversation=Conversation(platform="console", conversation_id=CH),
    ) as unit:
        network = await unit.network_here()
        chair = await queries.person_by_email(unit.session, email=PRIYA)
        assert chair is not None
        action = await schedule_post_admission_review(
            unit, network=network, commissioner=chair, admitted_on=date(2026, 11, 26)
        )
    assert (action.text, action.owner_id, action.due_date, action.source) == (
        "Hold the post-admission C(E)TR",
        chair.id,
        date(2026, 12, 3),
        "review",
    )


async def test_the_network_card_shows_the_next_review_once_one_is_due(h: Harness) -> None:
    await open_network(h)
    await h.say(KIM, f"/cetr record inpatient 20/11 {PANEL}", channel=CH)
    cards = [
        d.message
        for d in h.gateway.delivered
        if d.message is not None and d.message.text.startswith("DSR-0042 network")
    ]
    assert len(cards) == 1  # the pinned network card, edited in place
    facts = {f.label: f.value for b in cards[0].blocks if b.kind == "facts" for f in b.facts}
    assert facts["Next review"] == "Sat 20 Feb 2027"
