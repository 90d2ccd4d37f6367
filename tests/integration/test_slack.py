"""Teamaround as a Slack app: signed HTTP requests to the running server,
deliveries through the real AsyncWebClient to a fake Slack on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from store.models import Action, AuditEvent, Outbox
from tests.fakes.slack import sign
from tests.integration.slack_harness import SlackRig, metadata_key, running

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
TAYLOR = "taylor.brown@example.org"
PRIYA = "priya.shah@example.org"


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running(migrated_url) as rig:
        yield rig


def mention(rig: SlackRig, email: str) -> str:
    return f"<@{rig.uid(email)}|{email.split('@')[0]}>"


def button_value(card: object, action_id: str) -> str:
    """The value Slack would send back for a button on a posted card."""
    for block in getattr(card, "blocks", None) or []:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element.get("value", ""))
    raise AssertionError(f"no {action_id} button on the card")


async def click_change_due_date(rig: SlackRig) -> Any:
    """Open a network, assign Sam an action due Friday, press its Change due date."""
    channel_id = await open_network(rig)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Book the review by Friday", channel=channel_id
    )
    await rig.deliver()
    card = rig.messages_in(channel_id)[-1]
    await rig.click(
        KIM,
        "action.due",
        button_value(card, "action.due"),
        channel=channel_id,
        message_ts=card.ts,
    )
    return card


async def open_network(rig: SlackRig) -> str:
    reply = await rig.command(KIM, "/network", "open DSR-0042")
    assert "yp-dsr-0042" in reply["text"]
    await rig.deliver()
    channel = rig.channel_named("yp-dsr-0042")
    reply = await rig.command(
        KIM, "/network", f"add {mention(rig, SAM)} {mention(rig, JO)}", channel=channel.id
    )
    assert "Added Sam Patel" in reply["text"], reply
    await rig.deliver()
    return str(channel.id)


async def test_opening_a_network_gives_one_private_channel_with_everyone_and_a_pinned_card(
    rig: SlackRig,
) -> None:
    channel_id = await open_network(rig)
    channel = rig.slack.channels[channel_id]
    assert channel.is_private
    assert {rig.uid(KIM), rig.uid(SAM), rig.uid(JO)} <= channel.members
    assert "DSR-0042" in channel.topic and "Kim Lee" in channel.topic
    assert len(channel.pins) == 1
    cards = [m for m in rig.messages_in(channel_id) if metadata_key(m).startswith("card:network")]
    assert len(cards) == 1 and cards[0].ts in channel.pins
    assert cards[0].edited >= 1  # the card was edited in place when people were added
    assert len(rig.slack.calls_to("conversations.create")) == 1


async def test_assigning_gives_one_card_and_one_dm_and_done_edits_it(rig: SlackRig) -> None:
    channel_id = await open_network(rig)
    before = len(rig.messages_in(channel_id))
    reply = await rig.command(
        KIM,
        "/action",
        # As Slack sends what was typed: "<!channel> & co", escaped.
        f"assign {mention(rig, SAM)} Send the EHCP draft &lt;!channel&gt; &amp; co by Friday",
        channel=channel_id,
    )
    assert "Action #1" in reply["text"]
    await rig.deliver()
    new = rig.messages_in(channel_id)[before:]
    assert len(new) == 1
    card = new[0]
    assert "&lt;!channel&gt; &amp; co" in str(card.blocks)  # escaped: pings nobody
    assert "<!channel>" not in str(card.blocks)
    dm_channel = rig.slack.ims[rig.uid(SAM)]
    dms = [m for m in rig.messages_in(dm_channel) if "EHCP" in m.text]
    assert len(dms) == 1  # besides the earlier "you were added" message
    # The DM links to the card in the network channel.
    assert f"/archives/{channel_id}/p{card.ts.replace('.', '')}|Open the card>" in str(
        dms[0].blocks
    )

    response = await rig.click(SAM, "action.done", "1", channel=channel_id, message_ts=card.ts)
    assert response.status_code == 200
    view = rig.slack.views[-1]
    assert view["callback_id"] == "action.done"
    response = await rig.submit(
        SAM,
        view,
        {"evidence": {"value": {"type": "plain_text_input", "value": "Sent by secure email"}}},
    )
    assert response.status_code == 200 and not response.content.strip(b"{}")
    await rig.deliver()
    assert len(rig.messages_in(channel_id)) == before + 1  # edited, not reposted
    assert card.edited == 1
    assert "Done" in str(card.blocks)


async def test_changing_the_date_in_the_modal_edits_the_card(rig: SlackRig) -> None:
    card = await click_change_due_date(rig)
    view = rig.slack.views[-1]
    assert view["callback_id"] == "action.due"
    assert '"initial_date": "2026-11-27"' in json.dumps(view)  # starts at the current due date
    response = await rig.submit(
        KIM,
        view,
        {
            "due": {"date": {"type": "datepicker", "selected_date": "2026-12-11"}},
            "reason": {"value": {"type": "plain_text_input", "value": "Panel moved"}},
        },
    )
    assert response.status_code == 200
    await rig.deliver()
    assert card.edited == 1
    assert "Fri 11 Dec" in str(card.blocks)


async def test_a_past_date_in_the_modal_is_shown_next_to_the_field(rig: SlackRig) -> None:
    await click_change_due_date(rig)
    response = await rig.submit(
        KIM,
        rig.slack.views[-1],
        {
            "due": {"date": {"type": "datepicker", "selected_date": "2026-01-05"}},
            "reason": {"value": {"type": "plain_text_input", "value": None}},
        },
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert "already passed" in body["errors"]["due"]


async def test_forged_and_stale_signatures_get_401_and_change_nothing(rig: SlackRig) -> None:
    from tests.fakes.slack import slash_command_body

    body = slash_command_body(
        command="/network",
        text="open DSR-0042",
        user_id=rig.uid(KIM),
        channel_id="C0GENERAL",
        trigger_id="T1",
        response_url="",
    )
    forged = sign(body, secret="not-the-secret")
    stale = sign(body, secret="test-signing-secret", timestamp=int(time.time()) - 600)
    for headers in (forged, stale):
        response = await rig.post(body, headers=headers)
        assert response.status_code == 401
    async with rig.app.db.reader() as session:
        assert (
            await session.scalars(select(AuditEvent).where(AuditEvent.verb == "network.open"))
        ).all() == []


async def test_a_double_submitted_modal_completes_once(rig: SlackRig) -> None:
    channel_id = await open_network(rig)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Book the review by Friday", channel=channel_id
    )
    await rig.deliver()
    card = rig.messages_in(channel_id)[-1]
    await rig.click(SAM, "action.update", "1", channel=channel_id, message_ts=card.ts)
    view = rig.slack.views[-1]
    values = {"note": {"value": {"type": "plain_text_input", "value": "Booked for Tuesday"}}}
    await rig.submit(SAM, view, values, view_id="V42")
    await rig.submit(SAM, view, values, view_id="V42")
    async with rig.app.db.reader() as session:
        updates = (
            await session.scalars(select(AuditEvent).where(AuditEvent.verb == "action.update"))
        ).all()
    assert len(updates) == 1


async def test_every_message_arrives_once_after_slack_fails_for_a_minute(rig: SlackRig) -> None:
    channel_id = await open_network(rig)
    before = len(rig.messages_in(channel_id))
    rig.slack.outage()
    for n in range(3):
        await rig.command(
            KIM, "/action", f"assign {mention(rig, SAM)} Task {n} by Friday", channel=channel_id
        )
    report = await rig.deliver()
    # Nothing got through (the network card's older versions were folded into its newest).
    assert report.retried > 0 and len(rig.messages_in(channel_id)) == before
    rig.slack.heal()
    rig.slack.fail_next("chat.postMessage", 2, status=429, retry_after=1)
    for _ in range(12):  # the relay's back-off, a minute of it
        rig.clock.advance(timedelta(seconds=30))
        await rig.deliver()
    keys = [metadata_key(m) for m in rig.messages_in(channel_id)]
    task_cards = [k for k in keys if k.startswith("card:action:")]
    assert len(task_cards) == 3 and len(set(task_cards)) == 3
    dms = rig.messages_in(rig.slack.ims[rig.uid(SAM)])
    assert len([m for m in dms if "Task" in m.text]) == 3
    async with rig.app.db.reader() as session:
        statuses = {r.status for r in (await session.scalars(select(Outbox))).all()}
    assert statuses == {"sent"}


async def test_a_post_slack_accepted_but_did_not_confirm_is_not_posted_twice(
    rig: SlackRig,
) -> None:
    channel_id = await open_network(rig)
    rig.slack.fail_next("chat.postMessage", 1, status=500, apply_then_fail=True)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Once only by Friday", channel=channel_id
    )
    await rig.deliver()
    rig.clock.advance(timedelta(minutes=5))
    await rig.deliver()
    cards = [m for m in rig.messages_in(channel_id) if metadata_key(m).startswith("card:action:1")]
    assert len(cards) == 1


async def test_a_dm_slack_accepted_but_did_not_confirm_arrives_once_with_the_manifests_scopes(
    rig: SlackRig,
) -> None:
    """Finding the DM again reads the bot's own DM history (im:history, which
    the manifest asks for; the fake grants only the manifest's scopes)."""
    channel_id = await open_network(rig)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Once only by Friday", channel=channel_id
    )
    await rig.deliver()  # the card, and the DM that opens Sam's IM
    dm_channel = rig.slack.ims[rig.uid(SAM)]
    rig.slack.fail_next("chat.postMessage", 1, status=500, apply_then_fail=True)
    await rig.command(
        KIM, "/action", "due 1 18/12 The family asked for more time", channel=channel_id
    )
    await rig.deliver()
    rig.clock.advance(timedelta(minutes=5))
    await rig.deliver()
    told = [m for m in rig.messages_in(dm_channel) if "18 Dec" in m.text]
    assert len(told) == 1, [m.text for m in rig.messages_in(dm_channel)]
    assert [c.status for c in rig.slack.calls_to("conversations.history")] == [200]


async def test_an_outage_in_the_middle_of_opening_still_gives_one_channel(rig: SlackRig) -> None:
    await rig.command(KIM, "/network", "open DSR-0042")
    rig.slack.fail_next("conversations.invite", 3, status=503)
    await rig.deliver()
    rig.clock.advance(timedelta(minutes=5))
    await rig.deliver()
    channel = rig.channel_named("yp-dsr-0042")
    assert rig.uid(KIM) in channel.members
    assert len(channel.pins) == 1


async def test_someone_slack_cannot_find_is_reported_and_the_rest_proceeds(
    rig: SlackRig,
) -> None:
    channel_id = await open_network(rig)
    # Taylor is in the directory but not in this Slack workspace.
    rig.slack.users.pop(rig.uid(TAYLOR))
    reply = await rig.command(
        KIM, "/network", f"add {TAYLOR} alex.morgan@example.org", channel=channel_id
    )
    assert "Added" in reply["text"]
    await rig.deliver()
    channel = rig.slack.channels[channel_id]
    assert rig.uid("alex.morgan@example.org") in channel.members
    texts = " ".join(m.text for m in rig.messages_in(channel_id))
    assert "taylor.brown@example.org isn't in this Slack workspace" in texts


async def test_errors_and_help_are_ephemeral(rig: SlackRig) -> None:
    reply = await rig.command(KIM, "/action", "help")
    assert reply["response_type"] == "ephemeral"
    channel_id = await open_network(rig)
    reply = await rig.command(KIM, "/action", "assign @nobody Ring by Friday", channel=channel_id)
    assert reply["response_type"] == "ephemeral"
    assert "directory" in reply["text"]
    async with rig.app.db.reader() as session:
        assert (await session.scalars(select(Action))).all() == []


async def test_closing_posts_a_summary_then_archives_the_channel(rig: SlackRig) -> None:
    channel_id = await open_network(rig)
    reply = await rig.command(
        KIM, "/network", 'close --reason stepped-down "Outcomes met"', channel=channel_id
    )
    assert "Closed the network for DSR-0042" in reply["text"]
    await rig.deliver()
    channel = rig.slack.channels[channel_id]
    assert channel.is_archived
    assert "now closed (stepped down): Outcomes met" in rig.messages_in(channel_id)[-1].text


async def test_assign_with_no_text_opens_a_form_that_creates_the_action(rig: SlackRig) -> None:
    channel_id = await open_network(rig)
    await rig.command(KIM, "/action", "", channel=channel_id)
    view = rig.slack.views[-1]
    assert view["callback_id"] == "action.assign"
    taylor = {
        "owner": {"user": {"type": "users_select", "selected_user": rig.uid(TAYLOR)}},
        "text": {"value": {"type": "plain_text_input", "value": "Call the GP"}},
        "due": {"date": {"type": "datepicker", "selected_date": "2026-12-04"}},
    }
    response = await rig.submit(KIM, view, taylor, view_id="V1")
    body = response.json()
    assert body["response_action"] == "errors"
    assert "isn't in DSR-0042's network" in body["errors"]["owner"]  # shown next to the picker
    jo = {**taylor, "owner": {"user": {"type": "users_select", "selected_user": rig.uid(JO)}}}
    response = await rig.submit(KIM, view, jo, view_id="V2")
    assert response.status_code == 200 and not response.content.strip(b"{}")
    await rig.deliver()
    async with rig.app.db.reader() as session:
        [action] = (await session.scalars(select(Action))).all()
    assert (action.text, action.due_date.isoformat()) == ("Call the GP", "2026-12-04")


async def test_the_chase_digest_mentions_the_owner_in_the_channel(rig: SlackRig) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from commands.action.jobs import run_chase

    channel = await open_network(rig)
    reply = await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Send the EHCP draft by 25/11", channel=channel
    )
    assert "Action #1" in reply["text"], reply
    await rig.deliver()
    rig.clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("Europe/London")))
    await run_chase(rig.app.services, now=rig.clock.now())
    await rig.deliver()
    digest = rig.messages_in(channel)[-1]
    assert digest.text.startswith(f"<@{rig.uid(SAM)}> Overdue actions for DSR-0042")
    assert digest.blocks[0]["text"]["text"] == f"<@{rig.uid(SAM)}>"
    # The card was edited in place to show the chase, not posted again.
    cards = [m for m in rig.messages_in(channel) if metadata_key(m) == "card:action:1:e1"]
    assert len(cards) == 1
    assert "stage 1" in json.dumps(cards[0].blocks)


async def test_cetr_record_opens_a_form_that_refuses_a_missing_panel_then_records(
    rig: SlackRig,
) -> None:
    from store.models import Cetr

    channel_id = await open_network(rig)
    await rig.command(KIM, "/network", "add @priya.shah", channel=channel_id)
    await rig.command(KIM, "/cetr", "record", channel=channel_id)
    view = rig.slack.views[-1]
    assert view["callback_id"] == "cetr.record"
    values: dict[str, Any] = {
        "kind": {"choice": {"type": "static_select", "selected_option": {"value": "inpatient"}}},
        "held": {"date": {"type": "datepicker", "selected_date": "2026-11-20"}},
        "chair": {"user": {"type": "users_select", "selected_user": rig.uid(PRIYA)}},
        "clinical_expert": {"value": {"type": "plain_text_input", "value": 'Dr A "Ash" Khan'}},
        "expert_by_experience": {"value": {"type": "plain_text_input", "value": None}},
        "flags": {"flags": {"type": "checkboxes", "selected_options": [{"value": "delegated"}]}},
    }
    response = await rig.submit(KIM, view, values, view_id="V1")
    body = response.json()
    assert body["response_action"] == "errors"
    assert "expert by experience" in body["errors"]["expert_by_experience"].lower()
    async with rig.app.db.reader() as session:
        assert (await session.scalars(select(Cetr))).all() == []

    values["expert_by_experience"] = {"value": {"type": "plain_text_input", "value": "R Jones"}}
    response = await rig.submit(KIM, view, values, view_id="V2")
    assert response.status_code == 200 and not response.content.strip(b"{}"), response.text
    async with rig.app.db.reader() as session:
        [review] = (await session.scalars(select(Cetr))).all()
    assert (review.kind, review.held_on.isoformat(), review.delegated_chair) == (
        "inpatient",
        "2026-11-20",
        True,
    )
    assert review.clinical_expert == "Dr A 'Ash' Khan"


async def test_the_line_manager_acts_from_the_escalation_dm_without_typing(rig: SlackRig) -> None:
    """Stage 2 asks Sam's line manager, Morgan Reed, who is not in the network:
    the DM carries the action's buttons; Open shows it, Add update changes the
    card in the channel; once the action is done, Open is refused."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from commands.action.jobs import run_chase

    morgan = "morgan.reed@example.org"
    channel = await open_network(rig)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} Send the EHCP draft by 25/11", channel=channel
    )
    await rig.deliver()
    card = rig.messages_in(channel)[-1]
    for day in (date(2026, 11, 26), date(2026, 11, 30)):  # stage 1, then stage 2
        rig.clock.set(
            datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("Europe/London"))
        )
        await run_chase(rig.app.services, now=rig.clock.now())
        await rig.deliver()
    dm_channel = rig.slack.ims[rig.uid(morgan)]
    [dm] = [m for m in rig.messages_in(dm_channel) if "need you" in m.text]
    assert rig.uid(morgan) not in rig.slack.channels[channel].members

    response = await rig.click(
        morgan, "action.show", button_value(dm, "action.show"), channel=dm_channel, message_ts=dm.ts
    )
    assert response.status_code == 200
    [shown] = [m for m in rig.slack.messages[dm_channel] if m.ephemeral_for == rig.uid(morgan)]
    assert "Send the EHCP draft" in shown.text and "Kim Lee" in json.dumps(shown.blocks)

    await rig.click(
        morgan,
        "action.update",
        button_value(dm, "action.update"),
        channel=dm_channel,
        message_ts=dm.ts,
    )
    view = rig.slack.views[-1]
    assert view["callback_id"] == "action.update"
    response = await rig.submit(
        morgan,
        view,
        {"note": {"value": {"type": "plain_text_input", "value": "Spoke to Sam: Friday"}}},
        view_id="V-morgan",
    )
    assert response.status_code == 200 and not response.content.strip(b"{}")
    answers = [m.text for m in rig.slack.messages[dm_channel] if m.ephemeral_for]
    assert "Update added to action #1." in answers  # the reply, to Morgan only
    await rig.deliver()
    assert "Spoke to Sam: Friday" in json.dumps(card.blocks)  # the card in the channel

    await rig.command(SAM, "/action", "done 1 Sent to the family", channel=channel)
    await rig.click(morgan, "action.show", "1", channel=dm_channel, message_ts=dm.ts)
    refused = [m.text for m in rig.slack.messages[dm_channel] if m.ephemeral_for][-1]
    assert refused.startswith("Only the network's members"), refused


async def test_register_answers_are_for_the_asker_and_network_news_for_its_channel(
    rig: SlackRig,
) -> None:
    channel = await open_network(rig)
    # Another young person's rating, typed in DSR-0042's channel: only Priya sees it.
    reply = await rig.command(PRIYA, "/dsr", 'rate DSR-0043 red "Crisis at home"', channel=channel)
    assert reply["response_type"] == "ephemeral" and "DSR-0043 is now rated Red" in reply["text"]
    reply = await rig.command(PRIYA, "/dsr", "show DSR-0043")
    assert reply["response_type"] == "ephemeral"
    # Adding someone is news for the network's own channel…
    reply = await rig.command(KIM, "/network", f"add {mention(rig, PRIYA)}", channel=channel)
    assert reply["response_type"] == "in_channel", reply
    # …but not for #general, when added from there.
    reply = await rig.command(
        KIM, "/network", f"add {mention(rig, TAYLOR)} --network DSR-0042", channel="C0GENERAL"
    )
    assert reply["response_type"] == "ephemeral" and "Added Taylor Brown" in reply["text"]
