"""The membership review: every 8 weeks each open network's keyworker gets
one message listing members with no activity for 90 days and members who
have left, each with Remove and Keep; the answers are recorded, and Remove
takes the member out of the network and its space. Pressed as the platforms
press: a signed Slack ``block_actions`` and a Teams ``Action.Submit``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from commands.network.review import KEEP, REMOVE, run_membership_review
from store.models import MembershipReviewItem, NetworkMember, Person
from tests.fakes.slack import block_actions_body, sign
from tests.integration.test_both_platforms import ADE, KIM, SAM, SECRET, Both
from tests.integration.test_both_platforms import both as both  # the fixture

JO = "jo.hughes@example.org"
ALEX = "alex.morgan@example.org"
TAYLOR = "taylor.brown@example.org"
PRIYA = "priya.shah@example.org"  # DSR chair


async def press(h: Both, email: str, action_id: str, value: str, *, channel: str, ts: str) -> str:
    """A signed block_actions press; what the person was told (via response_url)."""
    user = h.slack_ids[email]
    body = block_actions_body(
        user_id=user,
        action_id=action_id,
        value=value,
        channel_id=channel,
        message_ts=ts,
        trigger_id=h.slack.new_trigger_id(),
        response_url=h.slack.new_response_url(channel=channel, user=user, message_ts=ts),
    )
    response = await h.http.post("/slack/events", content=body, headers=sign(body, secret=SECRET))
    assert response.status_code == 200, response.text
    answers = [m for m in h.slack.messages.get(channel, []) if m.ephemeral_for == user]
    return answers[-1].text if answers else ""


async def items(h: Both) -> list[tuple[str, str, str | None]]:
    async with h.app.db.reader() as session:
        found = (await session.scalars(select(MembershipReviewItem))).unique().all()
        return sorted((i.person.email, i.reason, i.answer) for i in found)


async def members(h: Both, reference_network_id: int) -> set[str]:
    async with h.app.db.reader() as session:
        rows = (
            await session.scalars(
                select(NetworkMember).where(
                    NetworkMember.network_id == reference_network_id,
                    NetworkMember.removed_at.is_(None),
                )
            )
        ).unique()
        return {m.person.email for m in rows}


async def dsr_list(h: Both) -> str:
    return await h.slash(PRIYA, "/dsr", "list", channel="C0GENERAL")


def buttons(blocks: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_the_keyworker_reviews_members_in_slack_and_remove_takes_them_out_of_the_space(
    both: Both,
) -> None:
    reply = await both.slash(
        KIM, "/network", f"open DSR-0042 --keyworker {KIM}", channel="C0GENERAL"
    )
    assert "yp-dsr-0042" in reply
    await both.deliver()
    channel = next(c for c in both.slack.channels.values() if c.name == "yp-dsr-0042")
    await both.slash(KIM, "/network", f"add {JO} {ALEX} {TAYLOR}", channel=channel.id)
    await both.deliver()
    assert {both.slack_ids[JO], both.slack_ids[ALEX]} <= channel.members

    # Seven weeks on: not due yet. Then Alex gives an update (activity); Taylor leaves.
    both.clock.advance(timedelta(weeks=7))
    assert (await run_membership_review(both.app.services, now=both.clock.now())).reviewed == 0
    await both.slash(ALEX, "/action", f"assign {ALEX} Share the school plan by 30/01", channel.id)
    async with both.app.db.transaction() as session:
        taylor = await session.scalar(select(Person).where(Person.email == TAYLOR))
        assert taylor is not None
        taylor.active = False  # as `directory import --leavers` marks them

    both.clock.advance(timedelta(weeks=6))  # 13 weeks: more than 90 days since Jo joined
    report = await run_membership_review(both.app.services, now=both.clock.now())
    assert report.asked == {"DSR-0042": 2}
    # Asked once: the job again (a restart's catch-up) asks nothing more.
    assert (await run_membership_review(both.app.services, now=both.clock.now())).reviewed == 0
    await both.deliver()
    # One message, to the keyworker, about Jo (no activity) and Taylor (left); not Alex.
    kim_dm = next(
        c for c in both.slack.channels.values() if c.is_im and c.user == both.slack_ids[KIM]
    )
    reviews = [m for m in both.slack.messages[kim_dm.id] if "Membership review" in m.text]
    assert len(reviews) == 1
    review = reviews[0]
    assert "Jo Hughes" in review.text and "no activity here since" in review.text
    assert "Taylor Brown" in review.text and "has left" in review.text
    assert "Alex Morgan" not in review.text
    pressed = buttons(review.blocks)
    assert [a for a, _ in pressed] == [REMOVE, KEEP, REMOVE, KEEP]
    jo_item, taylor_item = pressed[0][1], pressed[2][1]

    # Someone who is not the keyworker, a chair or an admin may not answer.
    refused = await press(both, ALEX, KEEP, jo_item, channel=kim_dm.id, ts=review.ts)
    assert refused.startswith("Only the keyworker (Kim Lee), a DSR chair or an admin can")
    assert await items(both) == [(JO, "inactive", None), (TAYLOR, "leaver", None)]

    told = await press(both, KIM, REMOVE, jo_item, channel=kim_dm.id, ts=review.ts)
    assert "Removed Jo Hughes from the network for DSR-0042" in told
    await both.deliver()
    assert both.slack_ids[JO] not in channel.members  # out of the space (conversations.kick)
    assert JO not in await members(both, 1)
    told = await press(both, KIM, KEEP, taylor_item, channel=kim_dm.id, ts=review.ts)
    assert "Kept Taylor Brown" in told
    # Pressed again: already answered, nothing changes.
    again = await press(both, KIM, KEEP, jo_item, channel=kim_dm.id, ts=review.ts)
    assert "Already answered: Jo Hughes was removed" in again
    assert await items(both) == [(JO, "inactive", "remove"), (TAYLOR, "leaver", "keep")]

    # Reviewed: not asked again until the next interval.
    both.clock.advance(timedelta(days=1))
    assert (await run_membership_review(both.app.services, now=both.clock.now())).reviewed == 0
    await both.deliver()
    assert len([m for m in both.slack.messages[kim_dm.id] if "Membership review" in m.text]) == 1


async def test_the_keyworker_answers_in_teams_with_the_card_s_keep_button(both: Both) -> None:
    ade_chat = both.teams.install_for_user(both.teams_users[ADE])
    await both.mention(ADE, ade_chat, f"network open DSR-0043 --keyworker {ADE} --members {SAM}")
    await both.deliver()
    both.clock.advance(timedelta(weeks=13))
    report = await run_membership_review(both.app.services, now=both.clock.now())
    assert report.asked == {"DSR-0043": 1}
    await both.deliver()
    card = next(
        a
        for a in both.teams.messages_in(ade_chat, from_bot=True)
        if "Membership review" in json.dumps(a.activity)
    )
    submits = [
        action["data"]
        for attachment in card.attachments
        for action in attachment["content"].get("actions", [])
        + [
            a
            for block in attachment["content"]["body"]
            if block.get("type") == "ActionSet"
            for a in block["actions"]
        ]
        if action.get("type") == "Action.Submit"
    ]
    keep = next(data for data in submits if data.get("teamaround") == KEEP)
    # Unanswered for twice the interval since the network opened: on the agenda.
    assert "membership not reviewed" not in await dsr_list(both)
    both.clock.advance(timedelta(weeks=4))
    assert "membership not reviewed since" in await dsr_list(both)
    activity = both.teams.card_submit_activity(
        both.teams_users[ADE], ade_chat, reply_to_id=card.id, value=keep
    )
    endpoint = str(both.http.base_url).rstrip("/") + "/api/messages"
    status, _ = await both.teams.deliver(endpoint, activity)
    assert status == 200
    assert await items(both) == [(SAM, "inactive", "keep")]
    assert SAM in await members(both, 1)
    # Answered in full: reviewed, and the flag clears.
    assert "membership not reviewed" not in await dsr_list(both)
