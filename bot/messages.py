"""The neutral message model.

Commands and jobs describe what to show with these frozen models; each
integration renders them (console text, Slack Block Kit, Teams Adaptive Card).
Text fields hold *user-visible plain text*: renderers escape it for their
platform, so text a person typed (``<!channel>``, ``<@U123>``) is shown as
typed and can never ping anyone. Emphasis is expressed structurally (headers,
fact labels), never by embedding platform markup in strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Header(_Frozen):
    kind: Literal["header"] = "header"
    text: str


class Section(_Frozen):
    kind: Literal["section"] = "section"
    text: str


class Fact(_Frozen):
    label: str
    value: str


class Facts(_Frozen):
    kind: Literal["facts"] = "facts"
    facts: tuple[Fact, ...]


class Button(_Frozen):
    """A button; ``action_id`` and ``value`` come back as a neutral interaction."""

    label: str
    action_id: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


class Actions(_Frozen):
    kind: Literal["actions"] = "actions"
    buttons: tuple[Button, ...]


class Context(_Frozen):
    kind: Literal["context"] = "context"
    text: str


class Divider(_Frozen):
    kind: Literal["divider"] = "divider"


class BulletList(_Frozen):
    kind: Literal["list"] = "list"
    items: tuple[str, ...]


Block = Annotated[
    Header | Section | Facts | Actions | Context | Divider | BulletList,
    Field(discriminator="kind"),
]


class Attachment(_Frozen):
    """A file sent with a message: a report document or a picture.

    The content is base64 text so that an outbox row stays plain JSON.
    """

    filename: str
    media_type: str  # "image/png", "text/csv", ...
    content_b64: str
    title: str = ""
    # What a picture shows, in words (screen readers; Slack's alt text).
    alt_text: str = ""

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


class Message(_Frozen):
    """One message. ``text`` is the mandatory plain-text fallback (notifications,
    screen readers, platforms that cannot render blocks)."""

    text: str
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False
    tone: Literal["info", "success", "warning", "error"] = "info"
    # A card (by its key, e.g. "action:12") this message should link to, where
    # the platform can link to a message.
    link_card: str | None = None
    # People (by email) to mention so that the platform notifies them. Only
    # Teamaround sets this; text people type never becomes a mention.
    mentions: tuple[str, ...] = ()
    # Files to send with the message, where the platform can carry them.
    attachments: tuple[Attachment, ...] = ()


def plain(
    text: str,
    *,
    ephemeral: bool = True,
    tone: Literal["info", "success", "warning", "error"] = "info",
) -> Message:
    """A one-section message, ephemeral by default (replies to the caller)."""
    return Message(
        text=text,
        blocks=(Section(text=text),),
        ephemeral=ephemeral,
        tone=tone,
    )


def help_card(title: str, lines: Sequence[str]) -> Message:
    """A command's help: a title and one line per sub-command, to the caller only."""
    return Message(
        text="\n".join(lines),
        blocks=(Header(text=title), BulletList(items=tuple(lines))),
        ephemeral=True,
    )


def record_card(title: str, facts: Sequence[Fact], heading: str, items: Sequence[str]) -> Message:
    """One record for the caller: a title, its facts, then a headed list
    (a review and its follow-ups, a young person and their rating history)."""
    text = "\n".join((title, *(f"{f.label}: {f.value}" for f in facts), heading + ":", *items))
    return Message(
        text=text,
        blocks=(
            Header(text=title),
            Facts(facts=tuple(facts)),
            Header(text=heading),
            BulletList(items=tuple(items)),
        ),
        ephemeral=True,
    )
