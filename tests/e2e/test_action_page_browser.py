"""The one-action page in a real browser: Debian's Chromium (the system's,
nothing downloaded), driven headless by Playwright, opens the link from the
email the fake SMTP relay captured, marks the action done with evidence and
sees the confirmation; the network's Slack card is then edited and the trail
says it was done by email link.

Skipped only when no Chromium is installed (``.ci/run`` installs Debian's
``chromium`` package when it is missing).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from tests.integration.email_harness import CH, JO, KIM, email_rig

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="needs Debian's chromium (apt-get install chromium; .ci/run does it)",
    ),
]


async def test_done_with_evidence_from_the_emailed_link_in_chromium(migrated_url: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with email_rig(migrated_url, via="smtp") as rig:
        channel = await rig.open_network()
        await rig.slack.command(
            KIM, "/action", f"assign {JO} Send the EHCP draft by 25/11", channel=channel
        )
        await rig.slack.deliver()
        [mail] = [m for m in rig.smtp.to(JO) if "an action for you" in m.subject]  # type: ignore[union-attr]
        [link] = [line.split(": ", 1)[1] for line in mail.text.splitlines() if "/a/" in line]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                # A phone's screen: the page must fit it without sideways scrolling.
                page = await browser.new_page(viewport={"width": 375, "height": 740})
                await page.goto(link)
                await expect(page).to_have_title("Action #1 – Teamaround")
                await expect(page.get_by_role("heading", level=1)).to_have_text("Action #1")
                await expect(page.locator(".action-text")).to_have_text("Send the EHCP draft")
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375, width
                # The keyboard reaches the skip link first, then the page's fields.
                await page.keyboard.press("Tab")
                await expect(page.get_by_text("Skip to main content")).to_be_focused()
                await page.get_by_label("What was done").fill("Sent by secure email on 23/11")
                await page.get_by_role("button", name="Mark as done").click()
                status = page.get_by_role("status")
                await expect(status).to_contain_text("Action #1 is done. Thank you.")
                await expect(page.locator(".facts")).to_contain_text("Done")
                await expect(page.locator(".trail")).to_contain_text("by email link")
                # Nothing left to do on the page: no forms once it is done.
                assert await page.locator("form").count() == 0
            finally:
                await browser.close()
        await rig.slack.deliver()
        [card] = [m for m in rig.slack.messages_in(channel) if "EHCP" in m.text]
        assert card.edited >= 1 and "Done" in str(card.blocks)
        reply = await rig.slack.command(KIM, "/action", "show 1", channel=channel)
        trail = html.unescape(str(reply["text"]))
        assert "Completed by Jo Hughes, by email link: Sent by secure email on 23/11" in trail
        assert rig.slack.channel_named(CH).id == channel
