"""The one-action page behind an emailed link (``/a/{token}``), over real HTTP
to the running server: what it shows, what it refuses (forged, expired,
closed, someone who left, revoked, a form without its CSRF token) with a
plain page and nothing changed, and that the token never reaches a log.
An escalation contact reached only by email reassigns within their agency.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from commands.action.jobs import run_chase
from store.models import Action, ActionEvent, AuditEvent, NetworkMember, Outbox, Person
from tests.integration.email_harness import (
    CH,
    JO,
    KIM,
    LEE,
    MORGAN,
    SAM,
    EmailRig,
    email_rig,
)

LONDON = ZoneInfo("Europe/London")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[EmailRig]:
    async with email_rig(migrated_url, via="smtp") as rig:
        yield rig


async def jo_has_action_one(rig: EmailRig) -> tuple[str, str]:
    """Jo (no Slack account) is given action #1; the channel and Jo's link."""
    channel = await rig.open_network()
    await rig.slack.command(
        KIM, "/action", f"assign {JO} Send the EHCP draft by 25/11", channel=channel
    )
    await rig.slack.deliver()
    return channel, rig.link_to(JO)


async def state(rig: EmailRig) -> tuple[int, int, int, str]:
    """What a refused request must leave as it was: the audit log, the
    outbox, the trail and the action's status."""
    async with rig.app.db.reader() as session:
        audits = await session.scalar(select(func.count()).select_from(AuditEvent))
        rows = await session.scalar(select(func.count()).select_from(Outbox))
        events = await session.scalar(select(func.count()).select_from(ActionEvent))
        status = await session.scalar(select(Action.status).where(Action.id == 1))
    return int(audits or 0), int(rows or 0), int(events or 0), str(status)


def shown(page: httpx.Response) -> str:
    """The page's text as a person reads it (entities such as &#39; undone)."""
    return html.unescape(page.text)


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_the_link_opens_the_action_and_done_closes_it_by_email_link(
    rig: EmailRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    channel, link = await jo_has_action_one(rig)
    http = rig.slack.http
    page = await http.get(link)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Send the EHCP draft" in shown(page) and "DSR-0042" in shown(page)
    assert "Jo Hughes (Children's Social Care)" in shown(page)
    assert "Kim Lee (kim.lee@example.org)" in shown(page)
    # Nothing else of the network: not its other members, nor its channel.
    assert "Sam Patel" not in shown(page) and CH not in shown(page)
    assert "<script" not in shown(page)
    done = await http.post(
        link,
        data={"form": "done", "csrf": csrf_of(page), "evidence": "Sent by secure email"},
    )
    assert done.status_code == 200
    assert "Action #1 is done. Thank you." in shown(done)
    assert "by email link" in shown(done)
    await rig.slack.deliver()
    assert (await state(rig))[3] == "done"
    [card] = [m for m in rig.slack.messages_in(channel) if "EHCP" in m.text]
    assert card.edited >= 1 and "Done" in str(card.blocks)
    async with rig.app.db.reader() as session:
        verbs = (
            await session.scalars(select(AuditEvent.verb).where(AuditEvent.verb.like("action.%")))
        ).all()
        [event] = (
            await session.scalars(select(ActionEvent).where(ActionEvent.kind == "done"))
        ).all()
    assert "action.page_view" in verbs and "action.done" in verbs
    assert event.data.get("through") == "email link"
    # The same link now says the action is closed.
    again = await http.get(link)
    assert again.status_code == 410 and "Action #1 is done" in shown(again)
    token = link.removeprefix("/a/")
    # Every record of the server's side, at every level, before any filter:
    # not the test's own HTTP client (standing in for the browser) nor the
    # fake mail server (standing in for the mailbox), which hold the link.
    logged = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "mail.log"))]
    access = [r.getMessage() for r in logged if r.name == "teamaround.access"]
    assert any("/a/{token}" in line for line in access), access  # the route, not the path
    assert not [r.name for r in logged if token in r.getMessage()]


async def test_a_forged_or_altered_link_is_refused_and_changes_nothing(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    before = await state(rig)
    altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    for path in (altered, "/a/ta1.eyJub3QiOiJvdXJzIn0.c2lnbmF0dXJl", "/a/anything"):
        page = await rig.slack.http.get(path)
        assert page.status_code == 404, path
        assert "This link doesn't work" in shown(page)
        assert "EHCP" not in shown(page) and "<form" not in shown(page)
        posted = await rig.slack.http.post(path, data={"form": "done", "evidence": "x"})
        assert posted.status_code == 404
    assert await state(rig) == before


async def test_an_expired_link_is_refused_and_says_whom_to_ask(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    page = await rig.slack.http.get(link)
    csrf = csrf_of(page)
    rig.slack.clock.advance(timedelta(days=15))
    before = await state(rig)
    expired = await rig.slack.http.get(link)
    assert expired.status_code == 410
    assert "This link has expired" in shown(expired) and "work for 14 days" in shown(expired)
    assert "Ask Kim Lee, the keyworker (kim.lee@example.org)." in shown(expired)
    posted = await rig.slack.http.post(
        link, data={"form": "done", "csrf": csrf, "evidence": "Sent"}
    )
    assert posted.status_code == 410
    assert await state(rig) == before


async def test_a_link_to_a_closed_action_is_refused(rig: EmailRig) -> None:
    channel, link = await jo_has_action_one(rig)
    csrf = csrf_of(await rig.slack.http.get(link))
    await rig.slack.command(KIM, "/action", "cancel 1 Agreed at the DSR meeting", channel=channel)
    await rig.slack.deliver()
    before = await state(rig)
    page = await rig.slack.http.get(link)
    assert page.status_code == 410 and "Action #1 is cancelled" in shown(page)
    posted = await rig.slack.http.post(
        link, data={"form": "update", "csrf": csrf, "note": "Chased"}
    )
    assert posted.status_code == 410
    assert await state(rig) == before


async def test_the_link_of_someone_who_left_is_refused(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    async with rig.app.db.transaction() as session:
        await session.execute(update(Person).where(Person.email == JO).values(active=False))
    before = await state(rig)
    page = await rig.slack.http.get(link)
    assert page.status_code == 403 and "says you have left" in shown(page)
    assert "EHCP" not in shown(page)
    assert await state(rig) == before


async def test_a_revoked_link_is_refused_and_the_next_email_carries_a_new_one(
    rig: EmailRig,
) -> None:
    channel, link = await jo_has_action_one(rig)
    reply = await rig.slack.command(KIM, "/action", f"revoke-link 1 {JO}", channel=channel)
    assert "no longer work" in reply["text"], reply
    await rig.slack.deliver()
    before = await state(rig)
    page = await rig.slack.http.get(link)
    assert page.status_code == 403 and "This link has been stopped" in shown(page)
    assert await state(rig) == before
    # Someone who is not the keyworker may not stop links.
    refused = await rig.slack.command(SAM, "/action", f"revoke-link 1 {JO}", channel=channel)
    assert "no longer work" not in refused["text"]
    # The next email about the action, a second later, carries a link that works.
    rig.slack.clock.advance(timedelta(seconds=1))
    await rig.slack.command(KIM, "/action", "due 1 27/11 agreed with Jo", channel=channel)
    await rig.slack.deliver()
    fresh = rig.link_to(JO)
    assert fresh != link
    assert (await rig.slack.http.get(fresh)).status_code == 200


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    rig: EmailRig,
) -> None:
    _, link = await jo_has_action_one(rig)
    page = await rig.slack.http.get(link)
    before = await state(rig)
    for data in (
        {"form": "done", "evidence": "Sent by secure email"},
        {"form": "done", "evidence": "Sent", "csrf": "made.up"},
        # A genuine token for a different page (another link) does not fit this one.
        {"form": "done", "evidence": "Sent", "csrf": csrf_of(page)[:-2] + "xx"},
    ):
        posted = await rig.slack.http.post(link, data=data)
        assert posted.status_code == 403, data
        assert "That form can't be sent" in shown(posted) and "nothing was changed" in shown(posted)
    assert await state(rig) == before


async def test_a_double_submitted_form_acts_once(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    csrf = csrf_of(await rig.slack.http.get(link))
    form = {"form": "update", "csrf": csrf, "note": "Draft with the team"}
    first = await rig.slack.http.post(link, data=form)
    second = await rig.slack.http.post(link, data=form)
    assert "Your update is on action #1." in shown(first)
    assert "That was already done." in shown(second)
    async with rig.app.db.reader() as session:
        updates = await session.scalar(
            select(func.count()).select_from(ActionEvent).where(ActionEvent.kind == "update")
        )
    assert updates == 1


async def test_an_empty_evidence_is_asked_for_kindly_and_changes_nothing(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    page = await rig.slack.http.get(link)
    views_before = (await state(rig))[0]
    posted = await rig.slack.http.post(
        link, data={"form": "done", "csrf": csrf_of(page), "evidence": "  "}
    )
    assert posted.status_code == 400
    assert "Please write what was done (the evidence)." in shown(posted)
    assert (await state(rig))[3] == "open"
    # Only the page's view (audited) was added, no change to the action.
    async with rig.app.db.reader() as session:
        verbs = (
            await session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id.desc()).limit(2))
        ).all()
    assert "action.done" not in verbs and views_before <= (await state(rig))[0]


async def test_a_proposed_date_goes_to_the_keyworker_and_chasing_waits(rig: EmailRig) -> None:
    _, link = await jo_has_action_one(rig)
    page = await rig.slack.http.get(link)
    posted = await rig.slack.http.post(
        link,
        data={
            "form": "propose",
            "csrf": csrf_of(page),
            "until": "04/12/2026",
            "note": "Waiting for the school's report",
        },
    )
    assert "Kim Lee has been asked to agree the new date." in shown(posted), posted.text
    await rig.slack.deliver()
    im = rig.slack.slack.ims[rig.slack.uid(KIM)]
    [asked] = [m for m in rig.slack.messages_in(im) if "proposes" in m.text]
    assert "Jo Hughes proposes Fri 4 Dec for action #1" in asked.text


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


async def test_an_email_only_line_manager_reassigns_within_their_agency_from_the_page(
    migrated_url: str,
) -> None:
    async with email_rig(migrated_url, via="smtp", not_on_slack=(MORGAN,)) as rig:
        channel = await rig.open_network(members=(SAM, JO))
        await rig.slack.command(
            KIM,
            "/action",
            f"assign <@{rig.slack.uid(SAM)}|sam.patel> Send the EHCP draft by 25/11",
            channel=channel,
        )
        await rig.slack.deliver()
        for day in (date(2026, 11, 26), date(2026, 11, 30)):  # stage 1, then stage 2
            rig.slack.clock.set(at(day))
            await run_chase(rig.app.services, now=rig.slack.clock.now())
            await rig.slack.deliver()
        [(subject, text)] = rig.texts_to(MORGAN)
        assert subject == "DSR-0042: an action for you"
        assert "EHCP" not in subject + text
        link = rig.link_to(MORGAN)
        page = await rig.slack.http.get(link)
        assert page.status_code == 200
        assert "Reassign within CAMHS" in shown(page)
        assert "Lee Grant (CAMHS clinical director)" in shown(page)
        assert "Jo Hughes" not in shown(page)  # not CAMHS: not offered
        csrf = csrf_of(page)
        # Someone outside Morgan's agency, typed into a crafted form: refused.
        before = await state(rig)
        outside = await rig.slack.http.post(
            link, data={"form": "reassign", "csrf": csrf, "owner": JO}
        )
        assert outside.status_code == 400 and "There is a problem" in shown(outside)
        async with rig.app.db.reader() as session:
            still = await session.scalar(
                select(Person.email).join(Action, Action.owner_id == Person.id)
            )
            moves = await session.scalar(
                select(func.count())
                .select_from(ActionEvent)
                .where(ActionEvent.kind == "reassigned")
            )
        assert still == SAM and moves == 0
        assert (await state(rig))[1] == before[1]  # nothing queued to send
        moved = await rig.slack.http.post(
            link,
            data={"form": "reassign", "csrf": csrf_of(outside), "owner": LEE, "reason": "Cover"},
        )
        assert "Action #1 is now with Lee Grant (CAMHS)." in shown(moved), moved.text
        assert "by email link" in shown(moved)
        await rig.slack.deliver()
        async with rig.app.db.reader() as session:
            owner = await session.scalar(
                select(Person.email).join(Action, Action.owner_id == Person.id)
            )
            members = (
                await session.scalars(
                    select(Person.email).join(NetworkMember, NetworkMember.person_id == Person.id)
                )
            ).all()
        assert owner == LEE and LEE in members
        assert rig.slack.uid(LEE) in rig.slack.slack.channels[channel].members
