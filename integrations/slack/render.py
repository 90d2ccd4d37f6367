"""Slack renderer: the neutral message model as Block Kit.

Pure functions. Every string that came from the neutral model (and so maybe
from a person typing) is escaped for mrkdwn (``&``, ``<``, ``>`` only), so
``<!channel>`` or ``<@U123>`` typed by someone is shown as typed and never
pings anyone. mrkdwn text objects are also sent with ``verbatim: true`` so
Slack does not auto-parse bare mentions or channel names either. The only raw
mrkdwn is the structural emphasis added here (``*Label*`` on facts).

``plain_text`` (headers, button labels) is never parsed by Slack, so it is not
escaped, only shortened.

Block Kit limits are enforced here rather than trusted to callers: 50 blocks
per message, 3000 characters per section (longer text is split across
sections), 10 fields of 2000 characters per section, 150 characters per
header, 25 buttons per actions block with 75-character labels and
2000-character values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.messages import (
    Actions,
    Block,
    BulletList,
    Button,
    Context,
    Divider,
    Fact,
    Facts,
    Header,
    Message,
    Section,
)

ELLIPSIS = "…"
MAX_BLOCKS = 50
MAX_TEXT = 3000  # section text, context element text, fallback text
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_LABEL = 200  # a fact label is ours and short; keep room for the value
MORE_HINT = "(see /action list)"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


@dataclass(frozen=True)
class RenderedMessage:
    """What ``chat.postMessage``/``chat.update``/``ack`` take: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for Slack mrkdwn, and nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_text(message: Message) -> str:
    """The escaped plain-text fallback, at most 3000 characters."""
    return _fit(message.text, MAX_TEXT)


def render(message: Message) -> RenderedMessage:
    """Render a neutral message as Slack fallback text plus Block Kit blocks."""
    blocks: list[dict[str, Any]] = []
    if message.blocks:
        for block in message.blocks:
            blocks.extend(_render_block(block))
    else:
        blocks.extend(_sections(message.text))
    if len(blocks) > MAX_BLOCKS:
        hidden = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append(_context(f"{ELLIPSIS}and {hidden} more {MORE_HINT}", raw=True))
    return RenderedMessage(text=render_text(message), blocks=blocks)


# -- blocks -----------------------------------------------------------------------------


def _render_block(block: Block) -> list[dict[str, Any]]:
    if isinstance(block, Header):
        text = _plain(" ".join(block.text.split()), MAX_HEADER)
        return [{"type": "header", "text": _plain_object(text)}] if text else []
    if isinstance(block, Section):
        return _sections(block.text)
    if isinstance(block, Facts):
        return _facts(block.facts)
    if isinstance(block, Actions):
        return _actions(block.buttons)
    if isinstance(block, Context):
        return [_context(block.text)] if block.text.strip() else []
    if isinstance(block, Divider):
        return [{"type": "divider"}]
    if isinstance(block, BulletList):
        return _bullets(block.items)
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover - exhaustive above


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain_object(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _section(escaped: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(escaped)}


def _sections(raw: str) -> list[dict[str, Any]]:
    return [_section(chunk) for chunk in _chunks(raw, MAX_TEXT)]


def _context(text: str, *, raw: bool = False) -> dict[str, Any]:
    shown = text if raw else _fit(text, MAX_TEXT)
    return {"type": "context", "elements": [_mrkdwn(shown)]}


def _field(fact: Fact) -> dict[str, Any]:
    label = _fit(" ".join(fact.label.split()), MAX_LABEL)
    value = fact.value.strip()
    if not label:
        return _mrkdwn(_fit(value, MAX_FIELD) or "—")
    head = f"*{label}*"
    if not value:
        return _mrkdwn(head)
    return _mrkdwn(f"{head}\n{_fit(value, MAX_FIELD - len(head) - 1)}")


def _facts(facts: tuple[Fact, ...]) -> list[dict[str, Any]]:
    fields = [_field(f) for f in facts]
    return [
        {"type": "section", "fields": fields[i : i + MAX_FIELDS]}
        for i in range(0, len(fields), MAX_FIELDS)
    ]


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain_object(_plain(button.label, MAX_BUTTON_TEXT) or ELLIPSIS),
        "action_id": button.action_id[:MAX_ACTION_ID],
    }
    if button.value:
        element["value"] = button.value[:MAX_BUTTON_VALUE]
    if button.style:
        element["style"] = button.style
    return element


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """Buttons in rows of at most 25; a repeated action id starts a new row,
    because Slack wants action ids unique within a block."""
    rows: list[list[dict[str, Any]]] = []
    row: list[dict[str, Any]] = []
    seen: set[str] = set()
    for button in buttons:
        element = _button(button)
        if len(row) == MAX_BUTTONS or element["action_id"] in seen:
            rows.append(row)
            row, seen = [], set()
        row.append(element)
        seen.add(element["action_id"])
    if row:
        rows.append(row)
    return [{"type": "actions", "elements": r} for r in rows]


def _bullets(items: tuple[str, ...]) -> list[dict[str, Any]]:
    prefix = "• "
    lines = [prefix + _fit(item, MAX_TEXT - len(prefix)) for item in items]
    sections: list[dict[str, Any]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (1 if current else 0)
        if current and size + extra > MAX_TEXT:
            sections.append(_section("\n".join(current)))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        sections.append(_section("\n".join(current)))
    return sections


# -- text helpers -------------------------------------------------------------------------


def _plain(text: str, limit: int) -> str:
    """Shorten plain text to ``limit`` characters, ending with … when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _escaped_prefix(raw: str, limit: int) -> int:
    """How many characters of ``raw`` fit in ``limit`` characters once escaped."""
    used = 0
    for index, char in enumerate(raw):
        used += len(_ESCAPES.get(char, char))
        if used > limit:
            return index
    return len(raw)


def _fit(raw: str, limit: int) -> str:
    """Escape ``raw``; if longer than ``limit``, cut it (never inside an entity)
    and end it with …."""
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    keep = _escaped_prefix(raw, limit - 1)
    return escape(raw[:keep].rstrip()) + ELLIPSIS


def _chunks(raw: str, limit: int) -> list[str]:
    """Split ``raw`` into escaped pieces of at most ``limit`` characters,
    breaking at a newline if possible, else at a space, else mid-word."""
    chunks: list[str] = []
    rest = raw.strip()
    while rest:
        if len(escape(rest)) <= limit:
            chunks.append(escape(rest))
            break
        keep = _escaped_prefix(rest, limit)
        # A separator right after the part that fits is a fine place to break too.
        cut = rest.rfind("\n", 1, keep + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 1, keep + 1)
        if cut > 0:
            piece, rest = rest[:cut], rest[cut + 1 :]
        else:
            piece, rest = rest[:keep], rest[keep:]
        piece = piece.rstrip()
        if piece:
            chunks.append(escape(piece))
        rest = rest.lstrip()
    return chunks
