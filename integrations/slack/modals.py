"""Slack modal views for actions, and reading their submissions back.

Pure builders: each returns a ``views.open`` view (a dict). The ids below are
a contract with the ``view_submission`` handler, which reads each answer from
``view["state"]["values"][block_id][action_id]`` (see
:func:`values_from_submission`, which flattens that to ``{block_id: value}``).

- ``action.done`` (metadata ``action_id``, ``channel_id``):
  ``evidence``/``value``: plain_text_input, multiline, optional.
- ``action.due`` (metadata ``action_id``, ``channel_id``):
  ``due``/``date``: datepicker, initially the current due date;
  ``reason``/``value``: plain_text_input, optional.
- ``action.reassign`` (metadata ``action_id``, ``channel_id``):
  ``owner``/``user``: users_select;
  ``reason``/``value``: plain_text_input, optional.
- ``action.update`` (metadata ``action_id``, ``channel_id``):
  ``note``/``value``: plain_text_input, multiline, required.
- ``action.assign`` (metadata ``channel_id``):
  ``owner``/``user``: users_select;
  ``text``/``value``: plain_text_input, at most 500 characters;
  ``due``/``date``: datepicker;
  ``agency``/``choice``: static_select, optional, present only when the
  register lists agencies.

(Each line is ``block_id``/``action_id``.)

``private_metadata`` is compact JSON, e.g. ``{"action_id":7,"channel_id":"C123"}``.
Dates come back from the date picker as ISO ``YYYY-MM-DD``; people come back as
Slack user ids (``U…``); the agency comes back as its name.

Slack limits respected here: title, submit and close at most 24 characters;
``private_metadata`` at most 3000; a static select at most 100 options, each
with text of at most 75 characters and a value of at most 150.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

CLOSE = "Cancel"
MAX_VIEW_TEXT = 24
MAX_METADATA = 3000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_ACTION_TEXT = 500  # the same limit the /action grammar applies to typed text
MAX_NOTE = 2000  # evidence and updates: shown whole in a card field (2000 characters)
MAX_REASON = 500


# -- building blocks ----------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _metadata(**values: object) -> str:
    encoded = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    if len(encoded) > MAX_METADATA:
        raise ValueError("private_metadata would be longer than Slack allows")
    return encoded


def _card_metadata(action_id: int, channel_id: str, response_url: str | None) -> str:
    """A card button's modal remembers the action, where it was opened and,
    when Slack gave one, the button's ``response_url``: the reply to the
    submission goes there (to the person only), as a command's reply would."""
    if response_url:
        return _metadata(action_id=action_id, channel_id=channel_id, response_url=response_url)
    return _metadata(action_id=action_id, channel_id=channel_id)


def _modal(
    *, callback_id: str, title: str, submit: str, metadata: str, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    for text in (title, submit, CLOSE):
        if not 0 < len(text) <= MAX_VIEW_TEXT:
            raise ValueError(f"{text!r} does not fit a modal title or button")
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain(CLOSE),
        "blocks": blocks,
    }


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text_input(
    *, max_length: int, multiline: bool = False, placeholder: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    return element


def _date_input(initial: date | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "datepicker",
        "action_id": "date",
        "placeholder": _plain("Choose a date"),
    }
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def _user_input(placeholder: str) -> dict[str, Any]:
    return {"type": "users_select", "action_id": "user", "placeholder": _plain(placeholder)}


def _about(action_id: int) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Action #{action_id}", "verbatim": True}],
    }


def _option_text(name: str) -> str:
    return name if len(name) <= MAX_OPTION_TEXT else name[: MAX_OPTION_TEXT - 1].rstrip() + "…"


def _agency_options(agencies: list[str]) -> list[dict[str, Any]]:
    """One option per distinct agency, in the order given, at most 100.

    The value is the agency's name (cut to 150 characters, Slack's limit) so
    that the submission reads like ``--agency NAME`` typed by hand.
    """
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for agency in agencies:
        name = " ".join(agency.split())
        value = name[:MAX_OPTION_VALUE]
        if not name or value in seen:
            continue
        seen.add(value)
        options.append({"text": _plain(_option_text(name)), "value": value})
        if len(options) == MAX_OPTIONS:
            break
    return options


# -- the modals -----------------------------------------------------------------------------


def done_modal(
    *, action_id: int, channel_id: str, response_url: str | None = None
) -> dict[str, Any]:
    """**Done** on a card: ask what was done, as evidence."""
    return _modal(
        callback_id="action.done",
        title="Mark action done",
        submit="Mark done",
        metadata=_card_metadata(action_id, channel_id, response_url),
        blocks=[
            _about(action_id),
            _input(
                "evidence",
                "What was done (evidence)",
                _text_input(
                    max_length=MAX_NOTE,
                    multiline=True,
                    placeholder="For example: draft EHCP sent to the family on 12 March",
                ),
                optional=True,
                hint="Say what was done so the network can see it, not just that it is done.",
            ),
        ],
    )


def due_modal(
    *, action_id: int, channel_id: str, current_due: date, response_url: str | None = None
) -> dict[str, Any]:
    """**Change due date** on a card: a date picker and an optional reason."""
    return _modal(
        callback_id="action.due",
        title="Change due date",
        submit="Save",
        metadata=_card_metadata(action_id, channel_id, response_url),
        blocks=[
            _about(action_id),
            _input("due", "New due date", _date_input(current_due)),
            _input(
                "reason",
                "Reason",
                _text_input(max_length=MAX_REASON, placeholder="Why is the date changing?"),
                optional=True,
                hint="The owner is told about the new date, with this reason.",
            ),
        ],
    )


def reassign_modal(
    *, action_id: int, channel_id: str, response_url: str | None = None
) -> dict[str, Any]:
    """**Reassign** on a card: a person picker and an optional reason."""
    return _modal(
        callback_id="action.reassign",
        title="Reassign action",
        submit="Reassign",
        metadata=_card_metadata(action_id, channel_id, response_url),
        blocks=[
            _about(action_id),
            _input(
                "owner",
                "New owner",
                _user_input("Choose a person"),
                hint="Someone in this network; if it was escalated to you, someone in your "
                "own agency.",
            ),
            _input(
                "reason",
                "Reason",
                _text_input(max_length=MAX_REASON, placeholder="Why is it moving?"),
                optional=True,
            ),
        ],
    )


def update_modal(
    *, action_id: int, channel_id: str, response_url: str | None = None
) -> dict[str, Any]:
    """**Add update** on a card: a required progress note."""
    return _modal(
        callback_id="action.update",
        title="Add an update",
        submit="Add update",
        metadata=_card_metadata(action_id, channel_id, response_url),
        blocks=[
            _about(action_id),
            _input(
                "note",
                "Progress update",
                _text_input(
                    max_length=MAX_NOTE,
                    multiline=True,
                    placeholder="For example: rang the family; they have the letter",
                ),
            ),
        ],
    )


def assign_modal(*, channel_id: str, agencies: list[str]) -> dict[str, Any]:
    """``/action`` with no text: the assign form."""
    blocks = [
        _input("owner", "Owner", _user_input("Who will do it?")),
        _input(
            "text",
            "What needs doing",
            _text_input(
                max_length=MAX_ACTION_TEXT,
                placeholder="For example: send the EHCP draft to the family",
            ),
        ),
        _input("due", "Due date", _date_input()),
    ]
    options = _agency_options(agencies)
    if options:
        blocks.append(
            _input(
                "agency",
                "Agency",
                {
                    "type": "static_select",
                    "action_id": "choice",
                    "placeholder": _plain("Choose an agency"),
                    "options": options,
                },
                optional=True,
                hint="Leave this blank to use the owner's own agency.",
            )
        )
    return _modal(
        callback_id="action.assign",
        title="Assign an action",
        submit="Assign",
        metadata=_metadata(channel_id=channel_id),
        blocks=blocks,
    )


REVIEW_TYPES = (
    ("community-cetr", "Community C(E)TR (under 18, or with an EHCP)"),
    ("community-ctr", "Community CTR (adult)"),
    ("inpatient", "Inpatient C(E)TR or CTR"),
    ("post-admission", "Post-admission C(E)TR"),
    ("laep", "Local area emergency protocol meeting"),
)


def cetr_record_modal(*, channel_id: str) -> dict[str, Any]:
    """``/cetr record`` with nothing after it: the review form. A review can
    only be recorded as held with its whole panel (a LAEP meeting: a chair)."""
    options = [
        {"text": _plain(_option_text(label)), "value": value} for value, label in REVIEW_TYPES
    ]
    flags = [
        {"text": _plain("The chair was delegated by the commissioner"), "value": "delegated"},
        {"text": _plain("An adult in a secure setting (inpatient reviews)"), "value": "secure"},
    ]
    blocks = [
        _input(
            "kind",
            "Type of review",
            {
                "type": "static_select",
                "action_id": "choice",
                "placeholder": _plain("Choose the type"),
                "options": options,
            },
        ),
        _input("held", "Date held", _date_input()),
        _input("chair", "Chair", _user_input("Who chaired it?")),
        _input(
            "clinical_expert",
            "Clinical expert",
            _text_input(max_length=120, placeholder="Name"),
            optional=True,
            hint="Needed for every review except a LAEP meeting.",
        ),
        _input(
            "expert_by_experience",
            "Expert by experience",
            _text_input(max_length=120, placeholder="Name"),
            optional=True,
            hint="Needed for every review except a LAEP meeting.",
        ),
        _input(
            "flags",
            "Also",
            {"type": "checkboxes", "action_id": "flags", "options": flags},
            optional=True,
        ),
    ]
    return _modal(
        callback_id="cetr.record",
        title="Record a review",
        submit="Record",
        metadata=_metadata(channel_id=channel_id),
        blocks=blocks,
    )


# -- reading a submission back --------------------------------------------------------------


def _element_value(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    value: Any
    if kind == "plain_text_input":
        value = element.get("value")
    elif kind == "datepicker":
        value = element.get("selected_date")
    elif kind == "users_select":
        value = element.get("selected_user")
    elif kind == "static_select":
        value = (element.get("selected_option") or {}).get("value")
    elif kind == "checkboxes":
        value = ",".join(str(o.get("value", "")) for o in element.get("selected_options") or [])
    else:
        value = next(
            (
                element.get(key)
                for key in ("value", "selected_date", "selected_user")
                if element.get(key)
            ),
            None,
        )
    return str(value).strip() if value is not None else ""


def values_from_submission(view: Mapping[str, Any]) -> dict[str, str]:
    """Flatten ``view["state"]["values"]`` to ``{block_id: value}``.

    Handles plain_text_input (``value``), datepicker (``selected_date``),
    users_select (``selected_user``) and static_select
    (``selected_option.value``). An empty or missing answer is ``""``; text is
    stripped of surrounding whitespace.
    """
    state = view.get("state") or {}
    values = state.get("values") or {}
    flat: dict[str, str] = {}
    if not isinstance(values, Mapping):
        return flat
    for block_id, elements in values.items():
        if not isinstance(elements, Mapping):
            continue
        first = next(iter(elements.values()), None)
        flat[str(block_id)] = _element_value(first) if isinstance(first, Mapping) else ""
    return flat
