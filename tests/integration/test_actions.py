"""Networks and actions end to end over a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from store.models import Action, ActionEvent, AuditEvent, CardRef, Outbox
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"  # keyworker
SAM = "sam.patel@example.org"  # CAMHS
JO = "jo.hughes@example.org"  # social care
ALEX = "alex.morgan@example.org"  # school
STRANGER = "taylor.brown@example.org"  # in the directory, not in the network
CH = "yp-dsr-0042"


async def open_network(h: Harness) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)
    reply = await h.say(KIM, f"/network add @sam.patel {JO} @alex.morgan", channel=CH)
    assert "Added Sam Patel (CAMHS), Jo Hughes" in text_of(reply)


async def test_open_network_posts_one_card_and_dms_new_members(harness: Harness) -> None:
    await open_network(harness)
    async with harness.app.db.reader() as session:
        refs = (await session.scalars(select(CardRef))).all()
        sent = (await session.scalars(select(Outbox).where(Outbox.status == "sent"))).all()
    assert [r.card_key for r in refs] == ["network:1"]
    dms = sorted(r.target_id for r in sent if r.op == "dm")
    assert len(dms) == 3  # Sam, Jo, Alex told they were added; Kim did it herself


async def test_assign_with_several_date_forms(harness: Harness) -> None:
    h = harness
    await open_network(h)
    cases = {
        "Friday": date(2026, 11, 27),
        "12/12": date(2026, 12, 12),
        "12/01/2027": date(2027, 1, 12),
        "3 Dec": date(2026, 12, 3),
        "next Friday": date(2026, 12, 4),
        "tomorrow": date(2026, 11, 24),
        "in 2 weeks": date(2026, 12, 7),
        "in 5 working days": date(2026, 11, 30),
        "end of month": date(2026, 11, 30),
    }
    for form in cases:
        reply = await h.say(KIM, f"/action assign @sam.patel Ring the family by {form}", channel=CH)
        assert reply.message.tone == "success", (form, text_of(reply))
    async with h.app.db.reader() as session:
        dues = [a.due_date for a in (await session.scalars(select(Action).order_by(Action.id)))]
    assert dues == list(cases.values())


async def test_weekend_due_date_is_kept_and_the_reply_says_so(harness: Harness) -> None:
    await open_network(harness)
    reply = await harness.say(KIM, "/action assign @jo.hughes Book the visit by 12/12", channel=CH)
    assert "Sat 12 Dec" in text_of(reply)
    assert "weekend" in text_of(reply)


async def test_assign_posts_one_card_and_dms_the_owner(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    posts = [d for d in h.gateway.delivered if d.address.kind == "channel"]
    dms = [d for d in h.gateway.delivered if d.address.kind == "user"]
    # The action's card is posted; the pinned network card is edited to count it.
    assert [(d.op, d.key.split(":")[1]) for d in posts] == [
        ("post", "action"),
        ("update", "network"),
    ]
    assert "Action #1" in posts[0].message.text
    assert "1 open" in posts[1].message.text
    assert [d.address.conversation_id for d in dms] == [SAM]
    assert "due Fri 27 Nov" in dms[0].message.text


async def test_done_edits_the_card_in_place(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    first = next(d for d in h.gateway.delivered if d.address.kind == "channel")
    reply = await h.say(SAM, "/action done 1 Sent by secure email", channel=CH)
    assert "done" in text_of(reply)
    edit, network_card = h.gateway.delivered
    assert network_card.key.startswith("card:network:") and "0 open" in network_card.message.text
    assert edit.op == "update"
    assert edit.message_id is not None and first.op == "post"
    assert "Evidence" in str(edit.message.blocks)
    async with h.app.db.reader() as session:
        assert len((await session.scalars(select(CardRef))).all()) == 2  # network + action


async def test_full_trail_is_recorded(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    await h.say(SAM, "/action update 1 Draft written, checking with family", channel=CH)
    await h.say(KIM, "/action due 1 next Friday family asked for more time", channel=CH)
    await h.say(KIM, "/action reassign 1 @jo.hughes Jo leads now", channel=CH)
    await h.say(JO, "/action done 1 Sent by secure email", channel=CH)
    reply = await h.say(KIM, "/action show 1", channel=CH)
    shown = text_of(reply)
    for word in (
        "Assigned by Kim Lee",
        "Update by Sam Patel",
        "Due date changed by Kim Lee",
        "Reassigned by Kim Lee",
        "Completed by Jo Hughes",
    ):
        assert word in shown
    async with h.app.db.reader() as session:
        kinds = [
            e.kind for e in (await session.scalars(select(ActionEvent).order_by(ActionEvent.id)))
        ]
        verbs = [
            e.verb
            for e in (
                await session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.object_type == "action")
                    .order_by(AuditEvent.id)
                )
            )
        ]
    assert kinds == ["created", "update", "due_changed", "reassigned", "done"]
    assert verbs == [
        "action.assign",
        "action.update",
        "action.due",
        "action.reassign",
        "action.done",
    ]


async def test_bad_input_is_refused_and_changes_nothing(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    before = await h.audit_and_outbox()
    refusals = {
        "/action assign @nobody.here Ring by Friday": "directory",
        "/action assign @sam.patel Ring the family by 01/11/2026": "already passed",
        "/action assign @sam.patel Ring the family on Friday": "by",
        "/action assign @sam.patel " + "x" * 5000 + " by Friday": "characters",
        "/action assign @sam.patel Ring the family by someday": "12/12",
        "/action assign @taylor.brown Ring by Friday": "isn't in DSR-0042's network",
        "/action done 99": "There is no action #99",
        "/action due 1 yesterday-ish": "couldn't read",
    }
    for line, expected in refusals.items():
        reply = await h.say(KIM, line, channel=CH)
        assert reply.message.tone == "error", line
        assert expected in text_of(reply), (line, text_of(reply))
    assert await h.audit_and_outbox() == before


async def test_stranger_cannot_see_or_change_an_action(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    before = await h.audit_and_outbox()
    for line in (
        "/action done 1",
        "/action cancel 1 not needed",
        "/action show 1",
        "/action update 1 hello",
    ):
        reply = await h.say(STRANGER, line, channel=CH)
        assert reply.message.tone == "error"
        # The refusal says who can, and shows nothing of the action.
        who = "the network's members" if "show" in line else "the keyworker (Kim Lee)"
        assert f"Only {who}" in text_of(reply), text_of(reply)
        assert "EHCP" not in text_of(reply)
    reply = await h.say(STRANGER, "/action list", channel=CH)
    assert "the network's members" in text_of(reply)
    assert await h.audit_and_outbox() == before


async def test_owner_may_complete_but_not_move_the_date(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    reply = await h.say(SAM, "/action due 1 next Friday", channel=CH)
    assert "Only the keyworker (Kim Lee)" in text_of(reply)
    assert "/action update 1" in text_of(reply)  # tells the owner what they can do
    reply = await h.say(ALEX, "/action done 1", channel=CH)
    assert "the owner (Sam Patel)" in text_of(reply)


async def test_only_coordinators_open_networks(harness: Harness) -> None:
    reply = await harness.say(SAM, "/network open DSR-0042")
    assert text_of(reply).startswith(
        "Only a keyworker (while the young person has no keyworker), a DSR chair or an "
        "admin can open DSR-0042's network."
    ), text_of(reply)
    reply = await harness.say(KIM, "/network open DSR-9999")
    assert "isn't on the" in text_of(reply)


async def test_user_text_is_kept_as_typed(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(
        KIM, "/action assign @sam.patel Tell <!channel> and <@U123> & co by Friday", channel=CH
    )
    async with h.app.db.reader() as session:
        action = await session.get_one(Action, 1)
    assert action.text == "Tell <!channel> and <@U123> & co"


async def test_nhs_number_is_refused_anywhere(harness: Harness) -> None:
    from tests.unit.test_privacy import reserved_number  # the test range, computed

    h = harness
    await open_network(h)
    before = await h.audit_and_outbox()
    number = reserved_number("000001")
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    reply = await h.say(
        KIM, f"/action assign @sam.patel Check {spaced} records by Friday", channel=CH
    )
    assert "NHS number" in text_of(reply)
    assert await h.audit_and_outbox() == before


async def test_close_needs_open_actions_resolved_first(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    reply = await h.say(KIM, '/network close --reason stepped-down "Outcomes met"', channel=CH)
    assert "still open (#1)" in text_of(reply)
    await h.say(SAM, "/action done 1", channel=CH)
    reply = await h.say(KIM, '/network close --reason stepped-down "Outcomes met"', channel=CH)
    assert "Closed the network for DSR-0042" in text_of(reply)
    summary = [d for d in h.gateway.delivered if d.op == "post"]
    assert "1 actions were completed" in summary[0].message.text
    reply = await h.say(KIM, "/action list", channel=CH)
    assert "isn't a young person's network space" in text_of(reply)


async def test_members_and_keyworker_changes(harness: Harness) -> None:
    h = harness
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    reply = await h.say(KIM, "/network remove @sam.patel", channel=CH)
    assert "still owns open actions here (#1)" in text_of(reply)
    reply = await h.say(KIM, "/network remove @alex.morgan", channel=CH)
    assert "Removed Alex Morgan" in text_of(reply)
    reply = await h.say(KIM, "/network keyworker ade.okafor@example.org", channel=CH)
    assert "Ade Okafor is now the keyworker" in text_of(reply)
    reply = await h.say(KIM, "/network show", channel=CH)
    shown = text_of(reply)
    assert "Ade Okafor (Keyworking Service, Keyworker) — keyworker" in shown
    assert "Alex Morgan" not in shown


async def test_a_repeated_delivery_creates_nothing_twice(harness: Harness) -> None:
    """A platform retry or double click carries the same delivery key."""
    from bot.dispatcher import safely
    from bot.invocation import Actor, Conversation, Invocation

    h = harness
    await open_network(h)
    invocation = Invocation(
        actor=Actor(platform="console", platform_user_id=KIM, email=KIM),
        conversation=Conversation(platform="console", conversation_id=CH),
        command="action",
        text="assign @sam.patel Send the EHCP draft by Friday",
        idempotency_key="console:delivery-1",
    )
    first = await safely(h.app.dispatcher.dispatch(invocation))
    second = await safely(h.app.dispatcher.dispatch(invocation))
    assert "Action #1" in text_of(first)
    assert "already done" in text_of(second)
    assert await h.count(Action) == 1


async def test_a_keyworker_of_another_network_cannot_take_this_one_over(
    harness: Harness,
) -> None:
    """The story from issue 12: Ade keyworks DSR-0043, not DSR-0042."""
    h = harness
    ade, priya = "ade.okafor@example.org", "priya.shah@example.org"
    await open_network(h)
    await h.say(KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel=CH)
    before = await h.audit_and_outbox()
    for line, where in (
        ("/network add @ade.okafor --network DSR-0042", "general"),
        ("/network keyworker @ade.okafor", CH),
        ("/action cancel 1 Not needed", CH),
        ("/network remove @kim.lee", CH),
        ('/dsr rate DSR-0042 red "x"', "general"),
        ("/dsr remove DSR-0042 Moved away", "general"),
        ('/dsr admit DSR-0042 today --setting "Oak Ward"', "general"),
        ("/dsr agenda preview", "general"),
    ):
        shown = text_of(await h.say(ade, line, channel=where))
        assert shown.startswith("Only"), (line, shown)
        assert "EHCP" not in shown and "DSR-0043" not in shown
    assert await h.audit_and_outbox() == before
    # The chair can; whoever is displaced is told.
    await h.say(priya, "/network keyworker @ade.okafor", channel=CH)
    [told] = [d for d in h.gateway.delivered if d.op == "dm" and d.address.email == KIM]
    assert told.message is not None
    assert "named Ade Okafor the keyworker for DSR-0042" in told.message.text
    assert "in your place" in told.message.text
    await h.say(ade, "/network remove @alex.morgan", channel=CH)  # Ade holds it now
    [told] = [d for d in h.gateway.delivered if d.op == "dm" and d.address.email == ALEX]
    assert told.message is not None
    assert "Ade Okafor took you out of the network for DSR-0042" in told.message.text
