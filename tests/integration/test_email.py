"""People outside the Slack workspace are reached by email: through an SMTP
relay or GOV.UK Notify (fakes on loopback, spoken to by aiosmtplib and the
official Notify client), once, with nothing identifying in the subject and,
by default, only a link and the due date in the body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from store.models import Outbox
from tests.fakes.notify import Fault
from tests.integration.email_harness import JO, KIM, SAM, EmailRig, email_rig

SUBJECT = "DSR-0042: an action for you"


@pytest.fixture
async def smtp_rig(migrated_url: str) -> AsyncIterator[EmailRig]:
    async with email_rig(migrated_url, via="smtp") as rig:
        yield rig


@pytest.fixture
async def notify_rig(migrated_url: str) -> AsyncIterator[EmailRig]:
    async with email_rig(migrated_url, via="notify") as rig:
        yield rig


async def assign_to_jo(rig: EmailRig, *, channel: str | None = None) -> str:
    """Open the network (unless ``channel`` is given), give Jo action #1, deliver."""
    channel = channel or await rig.open_network()
    reply = await rig.slack.command(
        KIM, "/action", f"assign {JO} Send the EHCP draft by 25/11", channel=channel
    )
    assert "Action #1" in reply["text"], reply
    await rig.slack.deliver()
    return channel


async def deliver_over(rig: EmailRig, *, times: int, minutes: int) -> None:
    """Let the relay retry: deliver, then move the clock on, ``times`` times."""
    for _ in range(times):
        await rig.slack.deliver()
        rig.slack.clock.advance(timedelta(minutes=minutes))


def about_action_one(rig: EmailRig, email: str) -> list[tuple[str, str]]:
    return [(s, t) for s, t in rig.texts_to(email) if s == SUBJECT]


async def test_an_action_for_someone_without_slack_reaches_them_by_email_once(
    smtp_rig: EmailRig,
) -> None:
    rig = smtp_rig
    channel = await assign_to_jo(rig)
    await rig.slack.deliver()  # nothing is left to send again
    [(subject, text)] = about_action_one(rig, JO)
    # The subject holds the pseudonymous reference and "an action for you" only;
    # the body, by default, the link and the due date, never the action's text.
    assert subject == SUBJECT
    assert "EHCP" not in text and "EHCP" not in rig.smtp.to(JO)[-1].html  # type: ignore[union-attr]
    assert "Action #1 (DSR-0042), due Wed 25 Nov" in text
    assert rig.link_to(JO).startswith("/a/ta1.")
    [mail] = [r for r in rig.smtp.to(JO) if r.subject == SUBJECT]  # type: ignore[union-attr]
    assert mail.message["From"] == "Teamaround <teamaround@example.org>"
    assert mail.message["Message-ID"].endswith("@example.org>")
    # Sam, on Slack, gets Slack; nobody on Slack gets email.
    assert rig.smtp.to(SAM) == [] and rig.smtp.to(KIM) == []  # type: ignore[union-attr]
    # The card is in the network's channel as for anyone.
    assert any("EHCP" in m.text for m in rig.slack.messages_in(channel))


async def test_someone_on_slack_who_prefers_email_gets_email_instead(
    smtp_rig: EmailRig,
) -> None:
    from commands.directory.service import upsert_person

    rig = smtp_rig
    async with rig.app.db.transaction() as session:
        outcome = await upsert_person(
            session,
            email=SAM,
            name="Sam Patel",
            agency="CAMHS",
            role="Clinical psychologist",
            manager_email="morgan.reed@example.org",
            now=rig.slack.clock.now(),
            actor_label="cli:tester",
            reach="email",
        )
    assert outcome == "updated"
    channel = await rig.open_network()
    await rig.slack.command(
        KIM,
        "/action",
        f"assign <@{rig.slack.uid(SAM)}|sam.patel> Book the review by 25/11",
        channel=channel,
    )
    await rig.slack.deliver()
    assert [s for s, _ in rig.texts_to(SAM)].count(SUBJECT) == 1
    im = rig.slack.slack.ims.get(rig.slack.uid(SAM))
    assert im is None or not [m for m in rig.slack.messages_in(im) if "Book" in m.text]


async def test_full_content_carries_the_action_text_in_the_body_never_the_subject(
    migrated_url: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("email:\n  content: full\n", encoding="utf-8")
    async with email_rig(migrated_url, via="smtp", config_path=policy) as rig:
        await assign_to_jo(rig)
        [(subject, text)] = about_action_one(rig, JO)
        assert subject == SUBJECT
        assert "Send the EHCP draft" in text


async def test_a_smtp_relay_that_is_busy_is_tried_again_and_sends_once(
    smtp_rig: EmailRig,
) -> None:
    rig = smtp_rig
    assert rig.smtp is not None
    channel = await rig.open_network()
    rig.smtp.busy = 2  # 451 twice
    await assign_to_jo(rig, channel=channel)
    await deliver_over(rig, times=4, minutes=5)
    assert rig.smtp.busy == 0  # both temporary failures were met
    assert len(about_action_one(rig, JO)) == 1


async def test_a_mailbox_that_does_not_exist_is_parked_and_the_keyworker_told(
    smtp_rig: EmailRig,
) -> None:
    rig = smtp_rig
    assert rig.smtp is not None
    rig.smtp.refuse[JO] = (550, "5.1.1 <jo.hughes@example.org>: Recipient address rejected")
    await assign_to_jo(rig)
    assert about_action_one(rig, JO) == []
    async with rig.app.db.reader() as session:
        [dead] = (
            await session.scalars(
                select(Outbox).where(Outbox.idempotency_key.like("dm:assigned:%"))
            )
        ).all()
    assert dead.status == "dead" and "550" in (dead.last_error or "")
    im = rig.slack.slack.ims[rig.slack.uid(KIM)]
    [told] = [m for m in rig.slack.messages_in(im) if "couldn't email" in m.text]
    assert f"I couldn't email {JO}" in told.text and "#1 (DSR-0042)" in told.text
    assert "EHCP" not in told.text


async def test_through_notify_rate_limits_and_failures_are_retried_and_one_email_sent(
    notify_rig: EmailRig,
) -> None:
    rig = notify_rig
    notify = rig.notify
    assert notify is not None
    channel = await rig.open_network()
    notify.inject(Fault(target="send", status=429))
    notify.inject(Fault(target="send", status=500))
    # Accepted, but the answer lost: the next attempt must find it, not resend.
    notify.inject(Fault(target="send", status=500, apply_then_fail=True))
    await assign_to_jo(rig, channel=channel)
    await deliver_over(rig, times=6, minutes=10)
    sent = [s for s in notify.sent if s.email_address == JO and s.subject == SUBJECT]
    assert len(sent) == 1
    assert sent[0].reference is not None and sent[0].reference.startswith("dm:assigned:1:")
    assert "EHCP" not in sent[0].body
    assert notify.refused and {r.status for r in notify.refused} == {429, 500}
    async with rig.app.db.reader() as session:
        row = await session.scalar(
            select(Outbox).where(Outbox.idempotency_key == sent[0].reference)
        )
    assert row is not None and row.status == "sent"


async def test_through_notify_an_address_notify_refuses_is_parked_and_reported(
    notify_rig: EmailRig,
) -> None:
    rig = notify_rig
    assert rig.notify is not None
    rig.notify.refuse.add(JO)
    await assign_to_jo(rig)
    assert [s for s in rig.notify.sent if s.email_address == JO] == []
    im = rig.slack.slack.ims[rig.slack.uid(KIM)]
    [told] = [m for m in rig.slack.messages_in(im) if "couldn't email" in m.text]
    assert "Not a valid email address" in told.text


async def test_notify_refuses_a_token_signed_with_the_wrong_secret(notify_rig: EmailRig) -> None:
    from notifications_python_client.errors import HTTPError
    from notifications_python_client.notifications import NotificationsAPIClient

    notify = notify_rig.notify
    assert notify is not None
    wrong = notify.api_key[:-12] + "000000000000"
    client = NotificationsAPIClient(wrong, base_url=notify.url)  # type: ignore[no-untyped-call]
    with pytest.raises(HTTPError) as caught:
        # The client is synchronous: in a thread, so the fake (on this loop) answers.
        await asyncio.to_thread(client.get_all_notifications, reference="x")
    assert caught.value.status_code == 403
    assert notify.refused[-1].message == "Invalid token: API key not found"


async def test_a_relay_without_starttls_is_refused_and_nothing_goes_in_the_clear() -> None:
    from bot.gateway import DeliveryError
    from integrations.email.render import Email
    from integrations.email.smtp import SmtpSender
    from tests.fakes.smtp import FakeSmtp

    async with FakeSmtp() as smtp:
        # Without ?tls=off the relay must offer STARTTLS; the fake does not.
        sender = SmtpSender(url=f"smtp://127.0.0.1:{smtp.port}", sender="teamaround@example.org")
        email = Email(subject="DSR-0042: an action for you", text="Hello\n", html="<p>Hello</p>")
        with pytest.raises(DeliveryError) as caught:
            await sender.send(to=JO, email=email, key="dm:assigned:1:1")
        assert not caught.value.retryable
        assert "does not offer STARTTLS, so nothing was sent" in str(caught.value)
        assert smtp.received == []
