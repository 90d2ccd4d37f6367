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
from datetime import date
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


Audience = Literal["asker", "space"]


class ActionRef(_Frozen):
    """An action a message is about, declared by the feature so that a
    channel that cannot carry the message's text (email under the policy's
    ``email.content: link-only``) can say which action, with a link to it,
    and when it is due: the action's number, the young person's
    pseudonymous reference and the due date, nothing more."""

    action_id: int
    reference: str
    due: date


class Message(_Frozen):
    """One message. ``text`` is the mandatory plain-text fallback (notifications,
    screen readers, platforms that cannot render blocks)."""

    text: str
    blocks: tuple[Block, ...] = ()
    # Who sees a reply to a command: only the person who asked ("asker", the
    # default), or everyone in the space it was typed in ("space"), which a
    # feature declares only for a reply about the network whose space that is
    # (``commands.replies.public_in``). Adapters render it and never decide it:
    # Slack shows an "asker" reply ephemerally, Teams sends it to the asker's
    # 1:1 chat when asked in a shared chat, the console marks it "only you can
    # see this". Messages sent through the outbox go where their row says.
    audience: Audience = "asker"
    tone: Literal["info", "success", "warning", "error"] = "info"
    # A card (by its key, e.g. "action:12") this message should link to, where
    # the platform can link to a message.
    link_card: str | None = None
    # People (by email) to mention so that the platform notifies them. Only
    # Teamaround sets this; text people type never becomes a mention.
    mentions: tuple[str, ...] = ()
    # Files to send with the message, where the platform can carry them.
    attachments: tuple[Attachment, ...] = ()
    # The actions this message is about (see ActionRef): chat renderers ignore
    # it; email gives each its own link to the one-action page.
    actions: tuple[ActionRef, ...] = ()


def plain(
    text: str,
    *,
    audience: Audience = "asker",
    tone: Literal["info", "success", "warning", "error"] = "info",
) -> Message:
    """A one-section message, to the person who asked unless declared otherwise."""
    return Message(text=text, blocks=(Section(text=text),), audience=audience, tone=tone)


def help_card(title: str, lines: Sequence[str]) -> Message:
    """A command's help: a title and one line per sub-command, to the caller only."""
    return Message(
        text="\n".join(lines),
        blocks=(Header(text=title), BulletList(items=tuple(lines))),
    )


def record_card(
    title: str, facts: Sequence[Fact], lists: Sequence[tuple[str, Sequence[str]]]
) -> Message:
    """One record for the caller: a title, its facts, then headed lists
    (a review and its follow-ups; a young person, their rating history and
    what DSR meetings decided about them)."""
    text = [title, *(f"{f.label}: {f.value}" for f in facts)]
    blocks: list[Block] = [Header(text=title), Facts(facts=tuple(facts))]
    for heading, items in lists:
        text += [heading + ":", *items]
        blocks += [Header(text=heading), BulletList(items=tuple(items))]
    return Message(text="\n".join(text), blocks=tuple(blocks))
