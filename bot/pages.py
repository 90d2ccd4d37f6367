"""The one-action page (``/a/{token}``), in neutral form.

The feature (``commands/action/page.py``) says what the page holds: the
action's facts and trail, the forms the person may use, a confirmation or an
error; the web renderer (``integrations/web``) turns it into HTML. Like a
``Message``, every text here is plain text that the renderer escapes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.messages import Fact


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    value: str
    label: str


class Field(_Frozen):
    name: str
    label: str
    kind: Literal["text", "textarea", "date", "select"] = "text"
    hint: str = ""
    required: bool = False
    choices: tuple[Choice, ...] = ()


class Form(_Frozen):
    """One thing the person can do on the page (posted back with ``name``)."""

    name: str
    title: str
    intro: str = ""
    fields: tuple[Field, ...] = ()
    submit: str = "Send"


Tone = Literal["success", "error"]


class Page(_Frozen):
    """The action's page, or a refusal (``refused``: no facts, no forms;
    ``why`` and ``ask`` say what happened and whom to ask)."""

    title: str
    status: int = 200
    refused: bool = False
    why: str = ""
    ask: str = ""
    notice: str = ""
    notice_tone: Tone = "success"
    action_text: str = ""
    facts: tuple[Fact, ...] = ()
    trail: tuple[str, ...] = ()
    forms: tuple[Form, ...] = ()
    # The CSRF token every form carries (bot.links.LinkSigner.form_token).
    form_token: str = ""


def refusal(*, title: str, why: str, ask: str, status: int) -> Page:
    return Page(title=title, why=why, ask=ask, status=status, refused=True)
