"""Email renderer: a neutral message as an email (subject, plain text and
simple HTML). Pure; golden-file tests in tests/unit/test_email_render.py.

Following NHS guidance for email, the subject holds nothing that identifies
anyone: the young person's pseudonymous reference and "an action for you"
only. The body holds what the policy allows (``email.content``):
``link-only`` (the default) gives, for each action the message is about
(``Message.actions``), its number, reference, due date and a link to the
one-action page, and never the action's text; ``full`` adds the message as
chat would show it. Buttons are not rendered (the page has the forms).
Every value is escaped in the HTML part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Literal

from bot.dates import format_day_year
from bot.messages import (
    ActionRef,
    Actions,
    BulletList,
    Context,
    Divider,
    Facts,
    Header,
    Message,
    Section,
)

Content = Literal["link-only", "full"]


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Link:
    """One action's link for this recipient (minted by the gateway)."""

    action: ActionRef
    url: str


def subject(message: Message) -> str:
    references = sorted({a.reference for a in message.actions})
    if not references:
        return "Teamaround: a message for you"
    shown = ", ".join(references[:3]) + (" and others" if len(references) > 3 else "")
    what = "an action for you" if len(message.actions) == 1 else "actions for you"
    return f"{shown}: {what}"


def _due(action: ActionRef, today: date) -> str:
    shown = format_day_year(action.due, today=today)
    return f"{shown} (overdue)" if action.due < today else shown


def render(
    message: Message, *, content: Content, links: Sequence[Link], today: date, link_days: int
) -> Email:
    text: list[str] = ["Hello,", ""]
    html: list[str] = ["<p>Hello,</p>"]
    if links:
        lead = (
            "There is an action for you in Teamaround:"
            if len(links) == 1
            else f"There are {len(links)} actions for you in Teamaround:"
        )
        text += [lead, ""]
        html.append(f"<p>{escape(lead)}</p><ul>")
        for link in links:
            a = link.action
            line = f"Action #{a.action_id} ({a.reference}), due {_due(a, today)}"
            text += [line, f"Open it: {link.url}", ""]
            html.append(
                f'<li>{escape(line)}<br><a href="{escape(link.url, quote=True)}">'
                f"Open action #{a.action_id}</a></li>"
            )
        html.append("</ul>")
    elif content == "link-only":
        lead = (
            "There is a message for you in Teamaround. Your area's policy keeps its content "
            "out of email: your keyworking service can tell you more."
        )
        text += [lead, ""]
        html.append(f"<p>{escape(lead)}</p>")
    if content == "full":
        body_text, body_html = _body(message)
        text += [*body_text, ""]
        html += body_html
    if links:
        note = (
            f"Each link is for you alone and works for {link_days} days, until the action is "
            "closed, or until your keyworker stops it. Please don't forward this email."
        )
        text += [note, ""]
        html.append(f"<p>{escape(note)}</p>")
    footer = "Teamaround, for your area's keyworking service. Replies to this email are not read."
    text.append(footer)
    html.append(f'<p style="color:#505a5f">{escape(footer)}</p>')
    return Email(subject=subject(message), text="\n".join(text) + "\n", html=_page(html))


def _body(message: Message) -> tuple[list[str], list[str]]:
    """The message as chat shows it (without buttons)."""
    if not message.blocks:
        return message.text.splitlines(), [f"<p>{_lines(message.text)}</p>"]
    text: list[str] = []
    html: list[str] = []
    for block in message.blocks:
        if isinstance(block, Header):
            text.append(block.text)
            html.append(f"<h2>{escape(block.text)}</h2>")
        elif isinstance(block, Section):
            text.extend(block.text.splitlines())
            html.append(f"<p>{_lines(block.text)}</p>")
        elif isinstance(block, Facts):
            text.extend(f"{f.label}: {f.value}" for f in block.facts)
            rows = "".join(
                f'<tr><th scope="row">{escape(f.label)}</th><td>{escape(f.value)}</td></tr>'
                for f in block.facts
            )
            html.append(f"<table>{rows}</table>")
        elif isinstance(block, BulletList):
            text.extend(f"- {item}" for item in block.items)
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Context):
            text.append(block.text)
            html.append(f'<p style="color:#505a5f">{_lines(block.text)}</p>')
        elif isinstance(block, Divider):
            text.append("---")
            html.append("<hr>")
        elif isinstance(block, Actions):
            continue  # buttons belong to chat; the page has the forms
    return text, html


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.splitlines())


def _page(parts: Sequence[str]) -> str:
    body = "\n".join(parts)
    return (
        '<!doctype html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
        '<body style="font-family:Arial,sans-serif;font-size:16px;color:#0b0c0c;'
        'line-height:1.5">\n'
        f"{body}\n</body></html>\n"
    )
