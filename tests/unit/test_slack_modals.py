"""Slack modals: Slack's limits, the fixed ids, and reading a submission back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from slack_sdk.models.views import View

from integrations.slack import modals

DUE = date(2026, 11, 27)

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "action.done": lambda: modals.done_modal(action_id=7, channel_id="C0NET"),
    "action.due": lambda: modals.due_modal(action_id=7, channel_id="C0NET", current_due=DUE),
    "action.reassign": lambda: modals.reassign_modal(action_id=7, channel_id="C0NET"),
    "action.update": lambda: modals.update_modal(action_id=7, channel_id="C0NET"),
    "action.assign": lambda: modals.assign_modal(
        channel_id="C0NET", agencies=["CAMHS", "Children's Social Care", "SEN Team"]
    ),
}

# callback_id → [(block_id, action_id, element type, optional)]
INPUTS = {
    "action.done": [("evidence", "value", "plain_text_input", True)],
    "action.due": [
        ("due", "date", "datepicker", False),
        ("reason", "value", "plain_text_input", True),
    ],
    "action.reassign": [
        ("owner", "user", "users_select", False),
        ("reason", "value", "plain_text_input", True),
    ],
    "action.update": [("note", "value", "plain_text_input", False)],
    "action.assign": [
        ("owner", "user", "users_select", False),
        ("text", "value", "plain_text_input", False),
        ("due", "date", "datepicker", False),
        ("agency", "choice", "static_select", True),
    ],
}

ANSWERS = {
    "plain_text_input": "Sent the draft & rang <@U1>",
    "datepicker": "2026-12-04",
    "users_select": "U0KIM",
    "static_select": "Children's Social Care",
}


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == "input"]


def submission(view: dict[str, Any], answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A synthetic ``view_submission`` view with every input answered."""
    answers = ANSWERS if answers is None else answers
    values: dict[str, dict[str, Any]] = {}
    for block in inputs(view):
        element = block["element"]
        kind = element["type"]
        answer = answers.get(kind)
        state: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            state["value"] = answer
        elif kind == "datepicker":
            state["selected_date"] = answer
        elif kind == "users_select":
            state["selected_user"] = answer
        elif kind == "static_select":
            state["selected_option"] = (
                None
                if answer is None
                else {"text": {"type": "plain_text", "text": answer}, "value": answer}
            )
        values[block["block_id"]] = {element["action_id"]: state}
    return {
        "id": "V123",
        "type": "modal",
        "callback_id": view["callback_id"],
        "private_metadata": view["private_metadata"],
        "state": {"values": values},
    }


@pytest.mark.parametrize("callback_id", sorted(BUILDERS))
def test_each_modal_is_within_slacks_limits(callback_id: str) -> None:
    view = BUILDERS[callback_id]()

    assert view["type"] == "modal"
    assert view["callback_id"] == callback_id
    for key in ("title", "submit", "close"):
        assert view[key]["type"] == "plain_text"
        assert 0 < len(view[key]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    assert 0 < len(view["blocks"]) <= 100
    assert len(json.dumps(view)) < 250_000
    # slack_sdk's own models check the view and every element in it.
    assert View(**view).to_dict() == view


@pytest.mark.parametrize("callback_id", sorted(BUILDERS))
def test_each_modal_has_the_documented_fixed_ids(callback_id: str) -> None:
    view = BUILDERS[callback_id]()

    found = [
        (b["block_id"], b["element"]["action_id"], b["element"]["type"], b["optional"])
        for b in inputs(view)
    ]
    assert found == INPUTS[callback_id]
    for block in inputs(view):
        assert len(block["label"]["text"]) <= 2000


@pytest.mark.parametrize("callback_id", sorted(BUILDERS))
def test_private_metadata_says_which_action_and_channel(callback_id: str) -> None:
    meta = json.loads(BUILDERS[callback_id]()["private_metadata"])

    if callback_id == "action.assign":
        assert meta == {"channel_id": "C0NET"}
    else:
        assert meta == {"action_id": 7, "channel_id": "C0NET"}


@pytest.mark.parametrize("callback_id", sorted(BUILDERS))
def test_a_submission_reads_back_by_block_id(callback_id: str) -> None:
    view = BUILDERS[callback_id]()

    values = modals.values_from_submission(submission(view))

    assert values == {block_id: ANSWERS[kind] for block_id, _, kind, _ in INPUTS[callback_id]}


@pytest.mark.parametrize("callback_id", sorted(BUILDERS))
def test_unanswered_optional_fields_read_back_as_empty(callback_id: str) -> None:
    view = BUILDERS[callback_id]()

    values = modals.values_from_submission(submission(view, answers={}))

    assert values == dict.fromkeys((b for b, _, _, _ in INPUTS[callback_id]), "")


def test_values_from_submission_copes_with_odd_payloads() -> None:
    assert modals.values_from_submission({}) == {}
    assert modals.values_from_submission({"state": None}) == {}
    assert modals.values_from_submission({"state": {"values": {"x": {}}}}) == {"x": ""}
    assert modals.values_from_submission(
        {"state": {"values": {"note": {"value": {"type": "plain_text_input", "value": "  hi \n"}}}}}
    ) == {"note": "hi"}


def test_the_due_modal_starts_at_the_current_due_date() -> None:
    view = modals.due_modal(action_id=7, channel_id="C1", current_due=DUE)

    picker = next(b["element"] for b in inputs(view) if b["block_id"] == "due")
    assert picker["initial_date"] == "2026-11-27"


def test_the_done_and_update_boxes_are_multiline() -> None:
    done = inputs(modals.done_modal(action_id=1, channel_id="C1"))[0]
    update = inputs(modals.update_modal(action_id=1, channel_id="C1"))[0]

    assert done["label"]["text"] == "What was done (evidence)"
    assert done["element"]["multiline"] is True
    assert update["element"]["multiline"] is True and update["optional"] is False


def test_the_assign_text_is_limited_to_five_hundred_characters() -> None:
    view = modals.assign_modal(channel_id="C1", agencies=[])

    text = next(b["element"] for b in inputs(view) if b["block_id"] == "text")
    assert text["max_length"] == 500


def test_the_assign_modal_has_no_agency_picker_without_agencies() -> None:
    view = modals.assign_modal(channel_id="C1", agencies=[])

    assert [b["block_id"] for b in inputs(view)] == ["owner", "text", "due"]
    assert View(**view).to_dict() == view


def test_many_and_long_agencies_are_kept_within_the_select_limits() -> None:
    agencies = [f"Agency {n}" for n in range(150)]
    agencies[0] = "A" * 200  # longer than both option text and value allow
    agencies[1] = "Agency 2"  # a duplicate
    view = modals.assign_modal(channel_id="C1", agencies=agencies)

    select = next(b["element"] for b in inputs(view) if b["block_id"] == "agency")
    options = select["options"]
    assert len(options) == 100
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    assert options[0]["text"]["text"] == "A" * 74 + "…"
    assert [o["value"] for o in options].count("Agency 2") == 1
    assert View(**view).to_dict() == view


def test_modal_wording_is_british_english() -> None:
    text = json.dumps([builder() for builder in BUILDERS.values()]).lower()

    for american in ("color", "organization", "canceled", "behavior", "center"):
        assert american not in text
