"""A running Teamaround on Slack that also reaches people by email: a fake
Slack where some directory people have no account, and a fake SMTP relay or
a fake GOV.UK Notify, all on loopback; the one-action page is served by the
same server the links in the emails point at."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from tests.fakes.notify import TEMPLATE_ID, FakeNotify
from tests.fakes.smtp import FakeSmtp
from tests.integration.loopback import free_port
from tests.integration.slack_harness import SlackRig, running

SECRET_KEY = "test-only-secret-key-for-signing-one-action-links"
FROM = "Teamaround <teamaround@example.org>"
KIM = "kim.lee@example.org"  # keyworker, on Slack
SAM = "sam.patel@example.org"  # CAMHS, on Slack; line manager Morgan Reed
JO = "jo.hughes@example.org"  # Children's Social Care: no Slack account
MORGAN = "morgan.reed@example.org"  # CAMHS team manager
LEE = "lee.grant@example.org"  # CAMHS clinical director
CH = "yp-dsr-0042"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+)(/a/[A-Za-z0-9._-]+)")


@dataclass
class EmailRig:
    slack: SlackRig
    smtp: FakeSmtp | None
    notify: FakeNotify | None

    @property
    def app(self) -> Any:
        return self.slack.app

    def texts_to(self, email: str) -> list[tuple[str, str]]:
        """(subject, plain-text body) of every email to ``email``, in order."""
        if self.smtp is not None:
            return [(r.subject, r.text) for r in self.smtp.to(email)]
        assert self.notify is not None
        return [(s.subject, s.body) for s in self.notify.sent if s.email_address == email]

    def link_to(self, email: str, *, index: int = -1) -> str:
        """The path of the one-action link in the ``index``th email to ``email``."""
        _subject, text = self.texts_to(email)[index]
        found = LINK.search(text)
        assert found is not None, text
        return found.group(2)

    async def open_network(self, *, members: Iterable[str] = (SAM, JO)) -> str:
        rig = self.slack
        reply = await rig.command(KIM, "/network", "open DSR-0042")
        assert CH in reply["text"], reply
        await rig.deliver()
        channel = rig.channel_named(CH)
        reply = await rig.command(KIM, "/network", f"add {' '.join(members)}", channel=channel.id)
        assert "Added" in reply["text"], reply
        await rig.deliver()
        return str(channel.id)


@asynccontextmanager
async def email_rig(
    database_url: str,
    *,
    via: Literal["smtp", "notify"] = "smtp",
    not_on_slack: Iterable[str] = (JO,),
    **settings: Any,
) -> AsyncIterator[EmailRig]:
    port = free_port()
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "public_url": f"http://127.0.0.1:{port}",
        **settings,
    }
    if via == "smtp":
        async with FakeSmtp() as smtp:
            values |= {"smtp_url": smtp.url, "email_from": FROM}
            async with running(database_url, not_on_slack=not_on_slack, port=port, **values) as rig:
                yield EmailRig(slack=rig, smtp=smtp, notify=None)
        return
    async with FakeNotify() as notify:
        values |= {
            "notify_api_key": notify.api_key,
            "notify_template_id": TEMPLATE_ID,
            "notify_url": notify.url,
        }
        async with running(database_url, not_on_slack=not_on_slack, port=port, **values) as rig:
            yield EmailRig(slack=rig, smtp=None, notify=notify)
