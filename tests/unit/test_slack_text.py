"""Slash-command text as Slack sends it, read as the grammars expect it."""

from __future__ import annotations

import pytest

from integrations.slack.text import command_text


@pytest.mark.parametrize(
    ("sent", "neutral"),
    [
        # With should_escape Slack writes people as <@U…|username>.
        (
            "rec 1 <@U0123ABC|jo.hughes> Confirm the short-break offer by Friday",
            "rec 1 <@U0123ABC> Confirm the short-break offer by Friday",
        ),
        ("assign <@W0123ABC> Ring the GP by Friday", "assign <@W0123ABC> Ring the GP by Friday"),
        ("add <mailto:jo@example.org|jo@example.org>", "add jo@example.org"),
        ("note from <#C0123|yp-dsr-0042> today", "note from #yp-dsr-0042 today"),
        ("see <https://example.org/a?b=1&amp;c=2|the plan>", "see https://example.org/a?b=1&c=2"),
        ("<!here> and <!subteam^S0123|@camhs>", "@here and @camhs"),
        # What people type is escaped by Slack; typed "<@…>" never names anyone.
        ("Send the draft &lt;!channel&gt; &amp; co", "Send the draft <!channel> & co"),
        ("assign &lt;@U0123ABC&gt; Ring", "assign < @U0123ABC> Ring"),
        (
            "rec 1\n<@U1|a> | Ring | Friday\n<@U2|b> | Book | 18/12",
            "rec 1\n<@U1> | Ring | Friday\n<@U2> | Book | 18/12",
        ),
    ],
)
def test_slack_text_becomes_neutral_text(sent: str, neutral: str) -> None:
    assert command_text(sent) == neutral
