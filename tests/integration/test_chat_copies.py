"""After ``records transferred``, a closed network's chat copies are taken
back through the outbox once the policy's days have passed: deleted from the
(fake) Slack with ``chat.delete``, replaced in the (fake) Teams by "moved to
the case record", exactly once however often the job runs; the store keeps
the record."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from commands.records.chat_copies import NOTE_TEXT, run_chat_copies
from commands.records.service import record_transferred
from store.models import Action, Outbox
from tests.integration.test_both_platforms import ADE, KIM, SAM, Both
from tests.integration.test_both_platforms import both as both  # the fixture

RECORDS = "records.officer@example.org"


async def transfer(h: Both, reference: str) -> None:
    async with h.app.db.transaction() as session:
        await record_transferred(
            session,
            reference=reference,
            by=RECORDS,
            as_email=None,
            operator_label="test",
            policy=h.app.policy,
            now=h.clock.now(),
        )


async def retractions(h: Both) -> int:
    async with h.app.db.reader() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.op == "retract")
            )
            or 0
        )


async def test_the_chat_copies_of_a_transferred_network_go_once_after_the_policy_days(
    both: Both,
) -> None:
    # A Slack network for DSR-0042: its card, an action (Sam, Teams only, hears
    # in Teams 1:1; Ade in Slack 1:1), then closed with its summary.
    await both.slash(KIM, "/network", "open DSR-0042", channel="C0GENERAL")
    await both.deliver()
    channel = next(c for c in both.slack.channels.values() if c.name == "yp-dsr-0042")
    await both.slash(KIM, "/network", f"add {SAM}", channel=channel.id)
    await both.slash(KIM, "/network", f"add {ADE}", channel=channel.id)
    await both.slash(
        KIM, "/action", f"assign {SAM} Send the CAMHS letter by 25/11", channel=channel.id
    )
    await both.slash(KIM, "/action", f"assign {ADE} Book the review by 25/11", channel=channel.id)
    await both.deliver()
    # A Teams network for DSR-0043, left open: nothing of it is touched.
    ade_chat = both.teams.install_for_user(both.teams_users[ADE])
    await both.mention(ADE, ade_chat, f"network open DSR-0043 --members {SAM}")
    await both.deliver()
    teams_chat = both.teams.chat_with_topic("yp-dsr-0043")
    assert teams_chat is not None
    kept_in_teams = len(both.teams.messages_in(teams_chat.id, from_bot=True))

    await both.slash(ADE, "/action", "done 2", channel=channel.id)
    await both.slash(KIM, "/action", "cancel 1 Not needed", channel=channel.id)
    reply = await both.slash(
        KIM, "/network", 'close --reason stepped-down "Outcomes met"', channel=channel.id
    )
    assert "Closed the network for DSR-0042" in reply
    await both.deliver()
    ours = [m for m in both.slack.messages[channel.id] if m.user == both.slack.bot_user_id]
    assert len(ours) >= 3  # the card, the actions, the summary
    sam_chat = both.teams.personal_conversation(both.teams_users[SAM])
    sam_about_0042 = [
        a
        for a in both.teams.messages_in(sam_chat, from_bot=True)
        if "DSR-0042" in json.dumps(a.activity)
    ]
    assert sam_about_0042
    slack_dms_0042 = [
        m
        for c in both.slack.channels.values()
        if c.is_im
        for m in both.slack.messages.get(c.id, [])
        if "DSR-0042" in json.dumps([m.text, m.blocks])
    ]
    assert slack_dms_0042  # Ade's assignment

    # Not transferred: nothing goes, however long it has been.
    both.clock.advance(timedelta(days=60))
    assert (await run_chat_copies(both.app.services, now=both.clock.now())).networks == []
    await transfer(both, "DSR-0042")
    # The policy's 30 days are not over yet.
    both.clock.advance(timedelta(days=29))
    assert (await run_chat_copies(both.app.services, now=both.clock.now())).networks == []
    # One of its messages was deleted by hand meanwhile: already gone counts as done.
    first = ours[0]
    both.slack.messages[channel.id].remove(first)

    both.clock.advance(timedelta(days=1, hours=1))
    report = await run_chat_copies(both.app.services, now=both.clock.now())
    assert [t.reference for t in report.networks] == ["DSR-0042"]
    relayed = await both.app.relay(worker="test").drain()
    assert relayed.dead == 0
    # Gone from Slack: the channel's messages and the DM.
    assert not [m for m in both.slack.messages[channel.id] if m.user == both.slack.bot_user_id]
    for message in slack_dms_0042:
        assert both.slack.find_message(message.channel, message.ts) is None
    assert both.slack.calls_to_error("message_not_found")  # the one deleted by hand
    # Replaced in Teams: Sam's 1:1 messages about DSR-0042 now say where it went.
    for activity in sam_about_0042:
        found = both.teams.find_activity(sam_chat, activity.id)
        assert found is not None and NOTE_TEXT in json.dumps(found.activity)
        assert "DSR-0042" not in json.dumps(found.activity)
    # The open network in Teams is untouched.
    assert len(both.teams.messages_in(teams_chat.id, from_bot=True)) == kept_in_teams
    assert not any(
        NOTE_TEXT in json.dumps(a.activity) for a in both.teams.messages_in(teams_chat.id)
    )

    # Exactly once: the job again (and later) queues nothing, deletes nothing.
    deletes, updates, rows = (
        len(both.slack.calls_to("chat.delete")),
        len(both.teams.calls_to("update")),
        await retractions(both),
    )
    both.clock.advance(timedelta(days=1))
    assert (await run_chat_copies(both.app.services, now=both.clock.now())).networks == []
    await both.deliver()
    assert len(both.slack.calls_to("chat.delete")) == deletes
    assert len(both.teams.calls_to("update")) == updates
    assert await retractions(both) == rows

    # The store keeps the record.
    async with both.app.db.reader() as session:
        texts = set((await session.scalars(select(Action.text))).all())
    assert "Send the CAMHS letter" in texts
