"""Slash-command text as Slack sends it → the neutral text the grammars read.

Slack escapes what people type (``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` →
``&gt;``) and, with ``should_escape`` (our manifest), writes what they pick
from its menus as tokens in angle brackets: people as ``<@U123|jo.hughes>``,
channels as ``<#C123|general>``, email addresses as
``<mailto:jo@example.org|jo@example.org>``, links as ``<https://…|…>``,
``@here`` as ``<!here>``. Neutral text keeps people as ``<@U123>`` (the one
form every grammar reads as a platform mention), turns the other tokens
back into what was typed, and unescapes the rest; typed text that looks like
a mention (``&lt;@U123&gt;``) stays text and never names anyone.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>")
_PERSON = re.compile(r"@([UW][A-Z0-9]+)(?:\|[^>]*)?")
_SPECIAL = {"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}


def command_text(text: str) -> str:
    """The neutral text of a slash command's ``text`` field."""
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        out.append(_typed(text[last : match.start()]))
        out.append(_token(match.group(1)))
        last = match.end()
    out.append(_typed(text[last:]))
    return "".join(out)


def _typed(fragment: str) -> str:
    """What the person typed, unescaped; a typed ``<@`` is not a mention."""
    fragment = fragment.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return fragment.replace("<@", "< @").replace("<mailto:", "< mailto:")


def _token(inner: str) -> str:
    if person := _PERSON.fullmatch(inner):
        return f"<@{person.group(1)}>"
    target, _, label = inner.partition("|")
    if target in _SPECIAL:
        return _SPECIAL[target]
    if target.startswith("mailto:"):
        return _typed(target.removeprefix("mailto:"))
    if target.startswith("#"):
        return "#" + _typed(label or target[1:])
    if target.startswith("!"):  # user groups, dates: what the person saw
        return _typed(label or target[1:])
    return _typed(target)  # a link: the address itself, never a label hiding it
