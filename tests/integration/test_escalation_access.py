"""Escalation that reaches people who can act: from stage 2 the people a stage
asks may open that one action, and act on it, until it is done, cancelled or
moves on. Granted, used and ended are in the trail and the audit log.

The ladder runs on a frozen clock: action #1 is due Wed 25 Nov 2026; stage 1
(the owner) is reached on Thu 26 Nov, stage 2 (Sam Patel's line manager,
Morgan Reed, CAMHS) on Mon 30 Nov, stage 3 (CAMHS's senior contact, Lee
Grant) five working days later, on Mon 7 Dec.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.gateway import Delivery
from bot.messages import Actions
from bot.policy import LadderStage, Policy
from bot.settings import Settings
from commands.action.export import action_record
from commands.action.jobs import run_chase
from integrations.sandbox.gateway import ConsoleGateway
from store.models import ActionEvent, ActionGrant, AuditEvent, NetworkMember, Person
from tests.conftest import Harness, seeded_app, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"  # keyworker
SAM = "sam.patel@example.org"  # CAMHS; line manager Morgan Reed
JO = "jo.hughes@example.org"  # Children's Social Care
MORGAN = "morgan.reed@example.org"  # CAMHS team manager: Sam's line manager
LEE = "lee.grant@example.org"  # CAMHS clinical director: CAMHS's senior contact
PRIYA = "priya.shah@example.org"  # DSR chair
CH = "yp-dsr-0042"


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


async def network_with_action(h: Harness) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)
    await h.say(KIM, f"/network add {SAM} {JO}", channel=CH)
    reply = await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by 25/11", channel=CH)
    assert "Action #1" in text_of(reply), text_of(reply)


async def chase_on(h: Harness, day: date) -> list[Delivery]:
    h.clock.set(at(day))
    await run_chase(h.app.services, now=h.clock.now())
    h.gateway.delivered.clear()
    await h.app.relay(worker="test").drain()
    return list(h.gateway.delivered)


def dm_to(deliveries: list[Delivery], email: str) -> Delivery:
    [found] = [d for d in deliveries if d.op == "dm" and d.address.email == email]
    return found


async def say(h: Harness, email: str, line: str, channel: str = "general") -> str:
    return text_of(await h.say(email, line, channel=channel))


async def audit_verbs(h: Harness) -> list[str]:
    async with h.app.db.reader() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent.verb)
                    .where(AuditEvent.verb.like("action.access%"))
                    .order_by(AuditEvent.id)
                )
            ).all()
        )


async def test_the_line_manager_opens_updates_and_reassigns_until_it_is_done(
    harness: Harness,
) -> None:
    h = harness
    await network_with_action(h)
    await chase_on(h, date(2026, 11, 26))  # stage 1: the owner
    # Before stage 2 Morgan has no access at all, and is told who has.
    refused = await say(h, MORGAN, "/action show 1")
    assert refused.startswith("Only the network's members"), refused
    assert "EHCP" not in refused

    sent = await chase_on(h, date(2026, 11, 30))  # stage 2: Sam's line manager
    dm = dm_to(sent, MORGAN)
    assert dm.message is not None
    assert "as line manager please help it get done" in dm.message.text
    # The escalation message carries the card's buttons: nothing to type.
    [buttons] = [b for b in dm.message.blocks if isinstance(b, Actions)]
    assert [b.action_id for b in buttons.buttons] == [
        "action.show",
        "action.update",
        "action.reassign",
    ]
    assert all(b.value == "1" for b in buttons.buttons)
    assert "Reply in the network's channel" not in dm.message.text

    mine = await say(h, MORGAN, "/action list mine")
    assert "Escalated to you: you can open these with /action show ID" in mine, mine
    assert "#1 Send the EHCP draft — Sam Patel (CAMHS)" in mine
    # Morgan opens it from anywhere: the card, the trail, the reference and
    # the keyworker; nothing else of the network.
    shown = await say(h, MORGAN, "/action show 1")
    assert "Send the EHCP draft" in shown and "DSR-0042" in shown, shown
    assert "Keyworker: Kim Lee (kim.lee@example.org)" in shown
    assert "Stage 2, the owner's line manager: asked Morgan Reed" in shown
    assert "Access given by Teamaround: Morgan Reed (line manager, stage 2)" in shown
    assert "Opened by Morgan Reed (line manager, stage 2)" in shown
    for line in ("/network show", "/action list", "/cetr list"):
        refused = await say(h, MORGAN, line, channel=CH)
        assert refused.startswith("Only"), (line, refused)
        assert "Jo Hughes" not in refused

    # An update: the card in the channel and the trail show it.
    reply = await h.say(MORGAN, "/action update 1 Spoke to Sam; the draft goes on Friday")
    assert reply.message.tone == "success", text_of(reply)
    [card] = [d for d in h.gateway.delivered if d.key.startswith("card:action:1:")]
    assert card.address.kind == "channel"
    assert card.message is not None
    assert "Spoke to Sam; the draft goes on Friday" in card.message.text + str(card.message.blocks)

    # Reassigning: only within CAMHS, Morgan's own agency; the new owner joins.
    refused = await say(h, MORGAN, "/action reassign 1 @jo.hughes")
    assert "the people it is escalated to (to someone in their own agency)" in refused, refused
    refused = await say(h, MORGAN, "/action due 1 11/12 panel moved")
    assert refused.startswith("Only the keyworker (Kim Lee)"), refused
    reply = await h.say(MORGAN, "/action reassign 1 @lee.grant Lee leads on EHCPs")
    assert reply.message.tone == "success", text_of(reply)
    told_keyworker = dm_to(h.gateway.delivered, KIM)
    assert told_keyworker.message is not None
    assert "Lee Grant (CAMHS), who has joined the network" in told_keyworker.message.text
    async with h.app.db.reader() as session:
        lee = await session.scalar(select(Person).where(Person.email == LEE))
        assert lee is not None
        joined = await session.scalar(
            select(NetworkMember).where(NetworkMember.person_id == lee.id)
        )
    assert joined is not None and joined.removed_at is None

    shown = await say(h, KIM, "/action show 1", channel=CH)
    assert "Update by Morgan Reed (line manager, stage 2): Spoke to Sam" in shown, shown
    assert (
        "Reassigned by Morgan Reed (line manager, stage 2): owner Sam Patel → Lee Grant "
        "(Lee leads on EHCPs)" in shown
    ), shown

    # Done: Morgan's access ends, and says so.
    reply = await h.say(LEE, "/action done 1 Draft sent to the family", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    refused = await say(h, MORGAN, "/action show 1")
    assert refused.startswith("Only"), refused
    shown = await say(h, KIM, "/action show 1", channel=CH)
    assert "Access ended by Lee Grant: Morgan Reed (line manager, stage 2): the action is done" in (
        shown
    ), shown
    assert await audit_verbs(h) == [
        "action.access_grant",
        "action.access_used",  # opened
        "action.access_used",  # the update
        "action.access_used",  # the reassignment
        "action.access_end",
    ]


async def test_the_next_stage_ends_the_previous_contacts_access(harness: Harness) -> None:
    h = harness
    await network_with_action(h)
    await chase_on(h, date(2026, 11, 26))
    await chase_on(h, date(2026, 11, 30))
    assert "Send the EHCP draft" in await say(h, MORGAN, "/action show 1")
    sent = await chase_on(h, date(2026, 12, 7))  # stage 3: the senior contact
    assert dm_to(sent, LEE).message is not None
    assert (await say(h, MORGAN, "/action show 1")).startswith("Only")
    assert "Send the EHCP draft" in await say(h, LEE, "/action show 1")
    async with h.app.db.reader() as session:
        grants = (await session.scalars(select(ActionGrant).order_by(ActionGrant.id))).all()
    assert [(g.person.email, g.stage, g.end_reason) for g in grants] == [
        (MORGAN, 2, "moved"),
        (LEE, 3, None),
    ]
    # A new due date agreed by the keyworker restarts the ladder: nobody keeps access.
    await say(h, KIM, "/action due 1 18/12 the school asked for more time", channel=CH)
    assert (await say(h, LEE, "/action show 1")).startswith("Only")


async def test_stage_labels_come_from_the_policys_ladder(migrated_url: str) -> None:
    """With a ladder of [owner, chair], stage 2 is the DSR chair, not a line manager."""
    shown: list[str] = []
    gateway = ConsoleGateway(shown.append)
    ladder = [
        LadderStage(after_working_days=1, contact="owner"),
        LadderStage(after_working_days=2, contact="chair"),
    ]
    app, clock = await seeded_app(
        Settings(database_url=migrated_url),
        gateways={"console": gateway},
        policy=Policy(ladder=ladder),
    )
    h = Harness(app=app, clock=clock, gateway=gateway, shown=shown)
    try:
        await network_with_action(h)
        await chase_on(h, date(2026, 11, 26))
        sent = await chase_on(h, date(2026, 11, 30))
        dm = dm_to(sent, PRIYA)
        assert dm.message is not None
        assert "as DSR chair please help it get done" in dm.message.text, dm.message.text
        assert "line manager" not in dm.message.text
        # The chair may agree a new date from the message.
        [buttons] = [b for b in dm.message.blocks if isinstance(b, Actions)]
        assert "action.due" in [b.action_id for b in buttons.buttons]
        digest = [d for d in sent if d.op == "post" and d.message is not None]
        assert digest and "DSR chair" in digest[0].message.text  # type: ignore[union-attr]
        async with app.db.reader() as session:
            [note] = (
                await session.scalars(
                    select(ActionEvent.note).where(
                        ActionEvent.kind == "escalated", ActionEvent.note.like("Stage 2%")
                    )
                )
            ).all()
        assert note is not None and note.startswith("Stage 2, the DSR chair: asked Priya Shah")
        reply = await h.say(PRIYA, "/action due 1 11/12 agreed at the DSR meeting")
        assert reply.message.tone == "success", text_of(reply)
    finally:
        await app.db.dispose()


async def test_the_case_record_states_each_change_from_what_to_what(harness: Harness) -> None:
    h = harness
    await network_with_action(h)
    await chase_on(h, date(2026, 11, 26))
    await say(h, SAM, "/action update 1 Half written --until 2/12", channel=CH)
    await say(h, KIM, "/action chase 1", channel=CH)
    await say(h, KIM, "/action due 1 8/1/2027 the family asked for a meeting first", channel=CH)
    await say(h, KIM, "/action reassign 1 @jo.hughes Jo now leads on the EHCP", channel=CH)
    async with h.app.db.reader() as session:
        text = await action_record(
            session, action_id=1, calendar=h.app.services.calendar, today=h.app.services.today()
        )
    assert text is not None
    assert "Keyworker: Kim Lee (kim.lee@example.org)" in text
    assert "Assigned by Kim Lee: to Sam Patel (CAMHS), due 25/11/2026" in text
    assert "Escalated by Teamaround: Stage 1, the owner: asked Sam Patel" in text
    assert (
        "Update by Sam Patel: Half written; proposes 02/12/2026 (--until): chasing waits until"
        in text
    ), text
    assert "Chased by Kim Lee: asked Sam Patel for an update" in text
    assert "Chased by Kim Lee: Chased by" not in text  # no repeated prefix
    assert (
        "Agreed extension by Kim Lee: due date 25/11/2026 → 08/01/2027, agreed at escalation "
        "stage 1; chasing starts again (the family asked for a meeting first)" in text
    ), text
    assert (
        "Reassigned by Kim Lee: owner Sam Patel → Jo Hughes (Jo now leads on the EHCP)" in text
    ), text
