"""Teams renderer: the neutral message model as an Adaptive Card 1.5 activity.

Pure functions; :func:`render_activity` is what the gateway and the inbound
handler send through the Bot Connector.

**Escaping.** Teams runs the text of every ``TextBlock`` and ``Fact`` through
a CommonMark subset (bold, italic, lists, links; Teams clients also accept
some headings, quotes, code and strike-through) and turns ``<at>Name</at>``
into a mention when the card lists a matching entity. Text in the neutral
model is what a person typed, so :func:`escape` makes it show as typed:

- CommonMark's own mechanism, a backslash before ASCII punctuation, for the
  characters that format anywhere in a line (``\\ * _ ` [ ] < > ~ |``) and
  for the ones that only matter at the start of a line (``#``, ``-``, ``+``,
  ``=``, and the ``.``/``)`` of ``1.``/``1)``); spaces around a line are
  dropped, so four of them cannot open a code block nor two make a line
  break. Square brackets are always escaped, so ``[text](url)`` can never
  become a disguised link; round brackets are then harmless and are left
  alone ("Sam Patel (CAMHS)" stays readable).
- ``&`` is escaped only where it starts an entity (``&lt;``, ``&#60;``), so
  "SEN & Inclusion" has no backslash in it.
- A WORD JOINER (U+2060, invisible) goes between ``<`` and ``at`` so typed
  ``<at>…</at>`` can never match a mention entity, whatever order a client
  parses markdown and mentions in.

Backslash escapes are what the Adaptive Cards renderers implement; some
older Teams mobile builds showed the backslash instead of removing it
(microsoft/AdaptiveCards#5590, #7474, Teams-AdaptiveCards-Mobile#58, all
since fixed), which fails safe: a stray ``\\`` is visible, nothing is
formatted. Bare web addresses are not altered: some clients make them
clickable, but the visible text is then the real address, never a disguise
(breaking them would also break copying them). Non-ASCII text (emoji,
accents, other scripts) passes through untouched.

Plain properties (button titles, input labels, image alt text, the
activity's ``text`` and ``summary``, sent with ``textFormat: plain``) are
never parsed by Teams and are only shortened.

**Size.** Teams refuses a message over about 100 KB of UTF-16 JSON (older
documentation says 40 KB); PLATFORMS.md says keep under 80 KB. Every
activity is kept within :data:`ACTIVITY_BUDGET` (80,000 bytes less room for
what the gateway and the connector add): text blocks are kept in order until
the budget is reached, the one that crosses it is shortened (ending
"… (shortened)") and a notice says how many parts were left out; buttons and
mentions are always kept. Images are embedded as data URIs only while they
fit after the text; anything not shown is named in a closing line.

**Forms.** The action card's four buttons open small forms
(``Action.ShowCard``) whose ``Action.Submit`` sends ``{"teamaround":
"action.done", "value": "7", <inputs>}``; the input ids are the ``values``
keys of :func:`bot.forms.submission_text`. Adaptive Cards require input ids
to be unique in a card (Teams mobile does not render a card with repeated
ids), so a key used by a second form gets a suffix (``reason.2``);
:func:`submission_values` turns a submission back into form values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.messages import (
    Actions,
    Attachment,
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

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

# PLATFORMS.md B3: keep a whole activity under 80 KB of UTF-16. Room is left for
# what is added after rendering: the gateway's "Open the card" link, and the
# connector's from/recipient/conversation/replyToId fields.
MAX_ACTIVITY_BYTES = 80_000
ACTIVITY_BUDGET = MAX_ACTIVITY_BYTES - 4_000

ELLIPSIS = "…"
SHORTENED = f"{ELLIPSIS} (shortened)"
MAX_HEADER = 200
MAX_LABEL = 200  # fact titles are ours and short
MAX_SUMMARY = 200
MAX_BUTTON_TITLE = 60
MAX_ACTIONS_PER_SET = 5  # Teams shows at most six; the gateway may add "Open the card"
MAX_NOTE = 2000  # evidence and updates: the same limit as the /action grammar's notes
MAX_REASON = 500
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})  # what cards can show

TONE_STYLE = {"success": "good", "warning": "warning", "error": "attention"}
BUTTON_STYLE = {"primary": "positive", "danger": "destructive"}
# A person's work email: something@domain.tld, nothing that could be markup.
EMAIL_PATTERN = r"^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$"

WORD_JOINER = "\u2060"
_ANYWHERE = frozenset("\\*_`[]<>~|")
_LINE_START = frozenset("#-+=")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_AT_TAG = re.compile(r"<(/?)(?=at)", re.IGNORECASE)
_SUFFIXED = re.compile(r"^(.+)\.\d+$")


@dataclass(frozen=True)
class Mention:
    """A person to @mention: their Entra object id and display name."""

    user_id: str
    name: str


# -- escaping ---------------------------------------------------------------------------


def _break_at_tags(text: str) -> str:
    """``<at>``/``</at>`` typed by a person, with an invisible WORD JOINER after ``<``."""
    return _AT_TAG.sub(lambda m: f"<{m.group(1)}{WORD_JOINER}", text)


def _escape_line(line: str) -> str:
    line = _break_at_tags(line.strip())
    escaped = "".join(f"\\{c}" if c in _ANYWHERE else c for c in line)
    escaped = _ENTITY.sub(r"\\&", escaped)  # entity names hold no escaped characters
    if escaped[:1] in _LINE_START:
        escaped = "\\" + escaped
    return _ORDERED.sub(r"\1\\\2", escaped)


def escape(text: str) -> str:
    """``text`` as Teams markdown that shows exactly what was typed.

    Lines are separated by a blank line, because Adaptive Cards markdown joins
    single newlines into one paragraph; blank lines typed are not repeated.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
    return "\n\n".join(e for e in (_escape_line(line) for line in lines) if e)


def _plain(text: str, limit: int) -> str:
    """One line of plain (never parsed) text, at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _mention_name(name: str) -> str:
    """A display name that cannot close or open the ``<at>`` tag around it."""
    return _plain(name.replace("<", "").replace(">", ""), 100) or "someone"


# -- size ---------------------------------------------------------------------------------


def card_size(activity: Mapping[str, Any] | Sequence[Any]) -> int:
    """Bytes of ``activity`` as compact JSON in UTF-16, as Teams measures a message."""
    encoded = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    return len(encoded.encode("utf-16-le"))


def _element_size(element: dict[str, Any]) -> int:
    return card_size(element) + 2  # and the comma between it and its neighbour


# -- elements -----------------------------------------------------------------------------


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _header(block: Header) -> dict[str, Any] | None:
    text = escape(_plain(block.text, MAX_HEADER))
    if not text:
        return None
    return _text_block(text, size="Medium", weight="Bolder", style="heading")


def _fact(fact: Fact) -> dict[str, str]:
    return {"title": escape(_plain(fact.label, MAX_LABEL)), "value": escape(fact.value.strip())}


@dataclass
class _Part:
    """One body element, with what is needed to shorten it to fit."""

    element: dict[str, Any]
    essential: bool = False  # buttons: kept whatever the size
    raw: str | None = None  # the unescaped text of a TextBlock, to shorten
    prefix: str = ""  # "• " before a list item's text


def _text_part(raw: str, *, prefix: str = "", **style: Any) -> _Part | None:
    if not raw.strip():
        return None
    # The prefix is escaped with the text, so "• #7" has no needless backslash.
    return _Part(_text_block(escape(prefix + raw.strip()), **style), raw=raw, prefix=prefix)


def _parts(block: Block, next_id: Callable[[str], str]) -> list[_Part]:
    if isinstance(block, Header):
        header = _header(block)
        return [_Part(header, raw=None)] if header else []
    if isinstance(block, Section):
        part = _text_part(block.text)
        return [part] if part else []
    if isinstance(block, Facts):
        facts = [_fact(f) for f in block.facts]
        return [_Part({"type": "FactSet", "facts": facts})] if facts else []
    if isinstance(block, Context):
        part = _text_part(block.text, size="Small", isSubtle=True)
        return [part] if part else []
    if isinstance(block, BulletList):
        items = [_text_part(item, prefix="• ", spacing="Small") for item in block.items]
        parts = [p for p in items if p]
        if parts:
            parts[0].element.pop("spacing")
        return parts
    if isinstance(block, Actions):
        actions = [_action(b, next_id) for b in block.buttons]
        return [
            _Part({"type": "ActionSet", "actions": actions[i : i + MAX_ACTIONS_PER_SET]}, True)
            for i in range(0, len(actions), MAX_ACTIONS_PER_SET)
        ]
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover - Divider handled by caller


# -- buttons and their forms ------------------------------------------------------------------


def _submit(title: str, button: Button, *, style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": title,
        "data": {"teamaround": button.action_id, "value": button.value},
    }
    if style:
        action["style"] = style
    return action


def _text_input(
    input_id: str,
    label: str,
    *,
    max_length: int,
    multiline: bool = False,
    placeholder: str | None = None,
    required: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "maxLength": max_length,
    }
    if multiline:
        element["isMultiline"] = True
    if placeholder:
        element["placeholder"] = placeholder
    if required:
        element["isRequired"] = True
        element["errorMessage"] = error or f"{label} is needed."
    return element


def _current_due(value: str) -> str | None:
    _, _, day = value.partition(":")
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        return None


def _form(button: Button, next_id: Callable[[str], str]) -> tuple[list[dict[str, Any]], str] | None:
    """The inputs and submit title of the form a button opens, if it has one."""
    kind = button.action_id
    if kind == "action.done":
        return [
            _text_input(
                next_id("evidence"),
                "Evidence (optional)",
                max_length=MAX_NOTE,
                multiline=True,
                placeholder="What was done? For example: draft EHCP sent to the family",
            )
        ], "Mark done"
    if kind == "action.due":
        due: dict[str, Any] = {
            "type": "Input.Date",
            "id": next_id("due"),
            "label": "New due date",
            "isRequired": True,
            "errorMessage": "Choose the new due date.",
        }
        current = _current_due(button.value)
        if current:
            due["value"] = current
        reason = _text_input(
            next_id("reason"),
            "Reason (optional)",
            max_length=MAX_REASON,
            placeholder="Why is the date changing?",
        )
        return [due, reason], "Save the date"
    if kind == "action.reassign":
        owner = _text_input(
            next_id("owner"),
            "New owner's email",
            max_length=254,
            placeholder="name@example.nhs.uk",
            required=True,
            error="Enter the new owner's work email address.",
        )
        owner["style"] = "email"
        owner["regex"] = EMAIL_PATTERN
        reason = _text_input(
            next_id("reason"),
            "Reason (optional)",
            max_length=MAX_REASON,
            placeholder="Why is it moving?",
        )
        return [owner, reason], "Reassign"
    if kind == "action.update":
        return [
            _text_input(
                next_id("note"),
                "Progress update",
                max_length=MAX_NOTE,
                multiline=True,
                placeholder="For example: rang the family; they have the letter",
                required=True,
                error="Write the update first.",
            )
        ], "Add update"
    return None


def _action(button: Button, next_id: Callable[[str], str]) -> dict[str, Any]:
    title = _plain(button.label, MAX_BUTTON_TITLE) or ELLIPSIS
    style = BUTTON_STYLE.get(button.style or "")
    form = _form(button, next_id)
    if form is None:
        return _submit(title, button, style=style)
    inputs, submit_title = form
    action: dict[str, Any] = {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": inputs,
            "actions": [_submit(submit_title, button, style=style or "positive")],
        },
    }
    if style:
        action["style"] = style
    return action


def _id_allocator() -> Callable[[str], str]:
    """Input ids unique within one card: ``reason``, then ``reason.2``, …"""
    used: dict[str, int] = {}

    def next_id(key: str) -> str:
        used[key] = used.get(key, 0) + 1
        return key if used[key] == 1 else f"{key}.{used[key]}"

    return next_id


def submission_values(value: Mapping[str, Any]) -> dict[str, str]:
    """A card submission's inputs as :func:`bot.forms.submission_text` values.

    Drops our own ``teamaround``/``value`` keys and empty inputs, and maps a
    suffixed id (``reason.2``) back to its key (``reason``).
    """
    values: dict[str, str] = {}
    for key, given in value.items():
        if key in ("teamaround", "value") or given is None:
            continue
        match = _SUFFIXED.match(key)
        name = match.group(1) if match else key
        text = str(given).strip()
        if text or name not in values:
            values[name] = text
    return values


# -- attachments ----------------------------------------------------------------------------


def _image(attachment: Attachment) -> dict[str, Any]:
    content = "".join(attachment.content_b64.split())
    return {
        "type": "Image",
        "url": f"data:{attachment.media_type};base64,{content}",
        "altText": _plain(attachment.title or attachment.filename, 250),
    }


def _not_shown_note(names: Sequence[str]) -> dict[str, Any] | None:
    if not names:
        return None
    listed = ", ".join(_plain(name, 100) for name in names)
    noun, pronoun = ("File", "it") if len(names) == 1 else ("Files", "them")
    text = f"{noun} not shown in Teams: {listed}. Ask your Teamaround administrator for {pronoun}."
    return _text_block(escape(text), size="Small", isSubtle=True, separator=True)


# -- fitting the budget ---------------------------------------------------------------------


def _shortened(part: _Part, room: int) -> dict[str, Any] | None:
    """``part``'s TextBlock with its text cut to fit ``room`` bytes, or None."""
    if part.raw is None:
        return None
    raw = part.raw.strip()

    def build(keep: int) -> dict[str, Any]:
        text = escape(part.prefix + raw[:keep].rstrip()) + " " + SHORTENED
        return {**part.element, "text": text}

    low, high = 1, len(raw)
    best: dict[str, Any] | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate = build(middle)
        if _element_size(candidate) <= room:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _left_out(count: int) -> dict[str, Any]:
    noun = "part" if count == 1 else "parts"
    return _text_block(
        escape(f"Shortened here: {count} more {noun} of this message did not fit in Teams."),
        size="Small",
        isSubtle=True,
    )


def _fit(parts: list[_Part], room: int) -> list[dict[str, Any]]:
    """The elements, in order, within ``room`` bytes (essential ones always)."""
    essential = sum(_element_size(p.element) for p in parts if p.essential)
    notice = _element_size(_left_out(len(parts)))
    budget = room - essential
    optional = [index for index, part in enumerate(parts) if not part.essential]
    last_optional = optional[-1] if optional else -1
    kept: list[dict[str, Any]] = []
    used = 0
    for index, part in enumerate(parts):
        if part.essential:
            kept.append(part.element)
            continue
        size = _element_size(part.element)
        rest = parts[index + 1 :]
        reserve = 0 if index == last_optional else notice
        if used + size + reserve <= budget:
            kept.append(part.element)
            used += size
            continue
        short = _shortened(part, budget - used - notice)
        dropped = [p for p in rest if not p.essential]
        if short is not None:
            kept.append(short)
        else:
            dropped.insert(0, part)
        if dropped:
            kept.append(_left_out(len(dropped)))
        kept.extend(p.element for p in rest if p.essential)
        return kept
    return kept


# -- cards and activities -------------------------------------------------------------------


def _separate(element: dict[str, Any]) -> None:
    element["separator"] = True
    element["spacing"] = "Medium"


def _body_parts(message: Message) -> list[_Part]:
    next_id = _id_allocator()
    blocks: tuple[Block, ...] = message.blocks or (Section(text=message.text),)
    parts: list[_Part] = []
    divider = False
    for block in blocks:
        if isinstance(block, Divider):
            divider = bool(parts)
            continue
        new = _parts(block, next_id)
        if new and divider:
            _separate(new[0].element)
            divider = False
        parts.extend(new)
    return parts


def _mentions(mentions: Sequence[Mention]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    seen: set[str] = set()
    tags: list[str] = []
    entities: list[dict[str, Any]] = []
    for mention in mentions:
        if not mention.user_id or mention.user_id in seen:
            continue
        seen.add(mention.user_id)
        name = _mention_name(mention.name)
        tag = f"<at>{name}</at>"
        tags.append(tag)
        entities.append(
            {"type": "mention", "text": tag, "mentioned": {"id": mention.user_id, "name": name}}
        )
    if not tags:
        return None, []
    return _text_block(" ".join(tags)), entities


def _card(
    body: list[dict[str, Any]],
    *,
    tone: str,
    mention_block: dict[str, Any] | None,
    entities: list[dict[str, Any]],
) -> dict[str, Any]:
    style = TONE_STYLE.get(tone)
    content: list[dict[str, Any]] = (
        [{"type": "Container", "style": style, "items": body}] if style and body else body
    )
    if mention_block is not None:
        content = [mention_block, *content]
    msteams: dict[str, Any] = {"width": "Full"}
    if entities:
        msteams["entities"] = entities
    return {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": content,
        "msteams": msteams,
    }


def summary(message: Message) -> str:
    """One plain line for notifications and the chat list (sent as plain text,
    with typed ``<at>`` broken up all the same)."""
    for line in message.text.splitlines():
        if line.strip():
            return _break_at_tags(_plain(line, MAX_SUMMARY))
    for block in message.blocks:
        if isinstance(block, Header) and block.text.strip():
            return _plain(block.text, MAX_SUMMARY)
    return "Teamaround"


def _activity(card: dict[str, Any], line: str) -> dict[str, Any]:
    return {
        "type": "message",
        "text": line,
        "textFormat": "plain",
        "summary": line,
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


def render_activity(message: Message, *, mentions: Sequence[Mention] = ()) -> dict[str, Any]:
    """A Bot Framework message activity: a one-line plain ``text`` and
    ``summary`` (what notifications show) and the Adaptive Card, all within
    :data:`ACTIVITY_BUDGET`."""
    line = summary(message)
    mention_block, entities = _mentions(mentions)
    parts = _body_parts(message)
    images = [a for a in message.attachments if a.media_type in IMAGE_TYPES]
    documents = [a.filename for a in message.attachments if a.media_type not in IMAGE_TYPES]

    def build(body: list[dict[str, Any]], hidden: Sequence[str]) -> dict[str, Any]:
        note = _not_shown_note(hidden)
        full = [*body, note] if note else body
        card = _card(full, tone=message.tone, mention_block=mention_block, entities=entities)
        return _activity(card, line)

    # Text first: leave room for the closing line naming every attachment.
    every_name = [a.filename for a in message.attachments]
    room = ACTIVITY_BUDGET - card_size(build([], every_name))
    body = _fit(parts, room)
    # Then pictures, in order, while they fit.
    shown: list[dict[str, Any]] = []
    hidden: list[str] = []
    for index, image in enumerate(images):
        left = [a.filename for a in images[index + 1 :]]
        candidate = [*shown, _image(image)]
        if card_size(build([*body, *candidate], [*hidden, *left, *documents])) <= ACTIVITY_BUDGET:
            shown = candidate
        else:
            hidden.append(image.filename)
    return build([*body, *shown], [*hidden, *documents])


def render_card(message: Message, *, mentions: Sequence[Mention] = ()) -> dict[str, Any]:
    """The Adaptive Card alone (the content of :func:`render_activity`'s attachment)."""
    card: dict[str, Any] = render_activity(message, mentions=mentions)["attachments"][0]["content"]
    return card
