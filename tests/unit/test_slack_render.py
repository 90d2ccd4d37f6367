"""The Slack renderer: Block Kit JSON compared with golden files, escaping, limits.

To accept a deliberate change of wording or layout, run with UPDATE_GOLDEN=1,
then read the changed files in tests/unit/golden/slack/ before committing them.
Every rendered block is also parsed back with slack_sdk's own models, whose
``to_dict()`` enforces Block Kit's limits.
"""

from __future__ import annotations

import html
import json
import os
from datetime import date
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block as SlackBlock

from bot.calendar import WorkingCalendar
from bot.messages import (
    Actions,
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
from bot.policy import Policy
from commands.action import views as action_views
from integrations.slack.render import RenderedMessage, escape, render, render_text
from store.models import Action
from tests.unit.sample_models import sample_action

GOLDEN = Path(__file__).parent / "golden" / "slack"
TODAY = date(2026, 11, 23)  # a Monday
CALENDAR = WorkingCalendar()
TYPED = "<!channel> Send the EHCP draft to <@U123> & the family"


def as_json(rendered: RenderedMessage) -> str:
    return json.dumps(
        {"text": rendered.text, "blocks": rendered.blocks}, indent=2, ensure_ascii=False
    )


def assert_matches_golden(name: str, rendered: RenderedMessage) -> None:
    actual = as_json(rendered)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual + "\n", encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8").removesuffix("\n")
    assert actual == expected, (
        f"Slack blocks differ from {path.name}; if the change is intended, "
        f"run with UPDATE_GOLDEN=1 and check the file.\n--- expected\n{expected}\n"
        f"--- actual\n{actual}"
    )


def assert_valid(rendered: RenderedMessage) -> None:
    """Within Slack's limits, as slack_sdk's models check them."""
    assert len(rendered.text) <= 3000
    assert len(rendered.blocks) <= 50
    for block in rendered.blocks:
        parsed = SlackBlock.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block  # to_dict() validates every nested element


def mrkdwn_texts(rendered: RenderedMessage) -> list[str]:
    """Every mrkdwn string in the blocks (where Slack would parse mentions)."""
    texts: list[str] = []
    for block in rendered.blocks:
        if block["type"] == "section":
            if "text" in block:
                texts.append(block["text"]["text"])
            texts.extend(f["text"] for f in block.get("fields", []))
        elif block["type"] == "context":
            texts.extend(e["text"] for e in block["elements"])
    return texts


# -- in-memory models (no database) ---------------------------------------------------


def action(**changes: object) -> Action:
    fields: dict[str, object] = {
        "text": TYPED,
        "latest_update": "Rang the family <@U999>; they have the letter",
    }
    fields.update(changes)
    return sample_action(platform="slack", **fields)  # type: ignore[arg-type]


def card(a: Action) -> RenderedMessage:
    return render(action_views.action_card(a, today=TODAY, calendar=CALENDAR))


# -- golden files -------------------------------------------------------------------------


def test_open_action_card() -> None:
    rendered = card(action())

    assert_valid(rendered)
    assert_matches_golden("action_card_open.json", rendered)


def test_done_action_card() -> None:
    rendered = card(
        action(status="done", evidence="Draft sent by email & post on Friday", latest_update=None)
    )

    assert_valid(rendered)
    assert_matches_golden("action_card_done.json", rendered)
    assert all(b["type"] != "actions" for b in rendered.blocks)


def test_action_help() -> None:
    rendered = render(action_views.help_message(Policy()))

    assert_valid(rendered)
    assert_matches_golden("action_help.json", rendered)


def test_every_kind_of_block() -> None:
    message = Message(
        text="Everything <b> & more",
        blocks=(
            Header(text="A header with <!here> & friends"),
            Section(text="A section by <@U123> & <#C123>"),
            Facts(facts=(Fact(label="Owner", value="Sam <Patel>"), Fact(label="Empty", value=""))),
            Actions(
                buttons=(
                    Button(label="Done", action_id="action.done", value="7", style="primary"),
                    Button(label="Cancel", action_id="action.cancel", value="7", style="danger"),
                    Button(label="Open", action_id="action.open"),
                )
            ),
            Context(text="DSR-0042 · <!everyone>"),
            Divider(),
            BulletList(items=("one & two", "<https://evil.example|click me>")),
        ),
    )
    rendered = render(message)

    assert_valid(rendered)
    assert_matches_golden("every_block.json", rendered)


# -- escaping -------------------------------------------------------------------------------


def test_escape_only_touches_ampersand_and_angle_brackets() -> None:
    assert escape("<!channel> & <@U123> *bold* _it_ `code`") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; *bold* _it_ `code`"
    )
    assert escape("&amp;") == "&amp;amp;"  # shown as typed, not decoded


def test_typed_mentions_in_a_card_cannot_ping_anyone() -> None:
    rendered = card(action())
    texts = mrkdwn_texts(rendered)

    for text in [*texts, rendered.text]:
        assert "<" not in text and ">" not in text, text
    joined = "\n".join(texts)
    assert "&lt;!channel&gt; Send the EHCP draft to &lt;@U123&gt; &amp; the family" in joined
    assert "&lt;@U999&gt;" in joined
    assert "Sam Patel (SEN &amp; Inclusion)" in joined
    assert rendered.text.startswith("Action #7 (open) for Sam Patel: &lt;!channel&gt;")


def test_mrkdwn_is_verbatim_so_bare_mentions_are_not_parsed_either() -> None:
    rendered = render(Message(text="x", blocks=(Section(text="@channel #general"),)))

    assert rendered.blocks[0]["text"]["verbatim"] is True


def test_plain_text_is_not_escaped_because_slack_never_parses_it() -> None:
    rendered = render(
        Message(
            text="t",
            blocks=(
                Header(text="<!channel> & co"),
                Actions(buttons=(Button(label="A & <b>", action_id="x"),)),
            ),
        )
    )

    assert rendered.blocks[0]["text"] == {"type": "plain_text", "text": "<!channel> & co"}
    assert rendered.blocks[1]["elements"][0]["text"]["text"] == "A & <b>"


# -- limits ---------------------------------------------------------------------------------


def test_long_text_is_split_across_sections_at_line_breaks() -> None:
    paragraph = "The family & school agreed <this> plan. " * 40  # ~1600 chars raw
    text = "\n".join([paragraph.strip()] * 5)
    rendered = render(Message(text=text, blocks=(Section(text=text),)))

    assert_valid(rendered)
    sections = [b["text"]["text"] for b in rendered.blocks]
    assert len(sections) > 2
    assert all(len(s) <= 3000 for s in sections)
    # Nothing lost, nothing cut inside an entity such as &amp;.
    assert "\n".join(html.unescape(s) for s in sections) == text
    assert rendered.text.endswith("…") and len(rendered.text) <= 3000


def test_one_long_word_is_cut_hard_but_whole() -> None:
    word = "&" * 2000 + "x" * 4000  # 14,000 characters once escaped
    rendered = render(Message(text="long", blocks=(Section(text=word),)))

    assert_valid(rendered)
    sections = [b["text"]["text"] for b in rendered.blocks]
    assert [len(s) for s in sections] == [3000, 3000, 3000, 3000, 2000]
    assert "".join(html.unescape(s) for s in sections) == word


def test_the_fallback_text_is_truncated_without_breaking_an_entity() -> None:
    text = "a" * 2998 + "&&&"
    rendered = render(Message(text=text))

    assert len(rendered.text) <= 3000
    assert rendered.text == "a" * 2998 + "…"
    assert render_text(Message(text=text)) == rendered.text


def test_a_message_without_blocks_shows_its_text_as_sections() -> None:
    rendered = render(Message(text="Hello <@U1> & all"))

    assert_valid(rendered)
    assert rendered.blocks == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Hello &lt;@U1&gt; &amp; all", "verbatim": True},
        }
    ]
    assert render(Message(text="")).blocks == []


def test_more_than_fifty_blocks_keeps_forty_nine_and_says_how_many_more() -> None:
    message = Message(text="many", blocks=tuple(Section(text=f"Line {n}") for n in range(60)))
    rendered = render(message)

    assert_valid(rendered)
    assert len(rendered.blocks) == 50
    assert rendered.blocks[48]["text"]["text"] == "Line 48"
    assert rendered.blocks[49] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "…and 11 more (see /action list)", "verbatim": True}
        ],
    }


def test_exactly_fifty_blocks_are_kept_whole() -> None:
    message = Message(text="many", blocks=tuple(Divider() for _ in range(50)))

    assert render(message).blocks == [{"type": "divider"}] * 50


def test_twelve_facts_become_two_sections() -> None:
    facts = tuple(Fact(label=f"Label {n}", value=f"value & {n}") for n in range(12))
    rendered = render(Message(text="facts", blocks=(Facts(facts=facts),)))

    assert_valid(rendered)
    assert [len(b["fields"]) for b in rendered.blocks] == [10, 2]
    assert rendered.blocks[1]["fields"][1]["text"] == "*Label 11*\nvalue &amp; 11"


def test_a_long_fact_value_is_cut_to_the_field_limit() -> None:
    rendered = render(
        Message(text="f", blocks=(Facts(facts=(Fact(label="Evidence", value="<" * 1000),)),))
    )

    assert_valid(rendered)
    field = rendered.blocks[0]["fields"][0]["text"]
    assert len(field) <= 2000 and field.endswith("&lt;…")


def test_headers_and_button_labels_are_shortened() -> None:
    rendered = render(
        Message(
            text="t",
            blocks=(
                Header(text="H" * 200),
                Actions(buttons=(Button(label="B" * 100, action_id="x", value="v" * 2500),)),
            ),
        )
    )

    assert_valid(rendered)
    assert rendered.blocks[0]["text"]["text"] == "H" * 149 + "…"
    button = rendered.blocks[1]["elements"][0]
    assert button["text"]["text"] == "B" * 74 + "…"
    assert len(button["value"]) == 2000


def test_buttons_are_split_into_rows_of_twenty_five_and_never_repeat_an_id_in_a_row() -> None:
    many = tuple(Button(label=f"#{n}", action_id=f"a.{n}", value=str(n)) for n in range(30))
    repeated = tuple(
        Button(label=f"Done #{n}", action_id="action.done", value=str(n)) for n in (1, 2)
    )
    rendered = render(Message(text="t", blocks=(Actions(buttons=many), Actions(buttons=repeated))))

    assert_valid(rendered)
    assert [len(b["elements"]) for b in rendered.blocks] == [25, 5, 1, 1]


@pytest.mark.parametrize("count", [10, 400])
def test_a_long_list_is_chunked_under_the_section_limit(count: int) -> None:
    items = tuple(f"Item {n}: the school & CAMHS <agreed>" for n in range(count))
    rendered = render(Message(text="list", blocks=(BulletList(items=items),)))

    assert_valid(rendered)
    lines = [line for b in rendered.blocks for line in b["text"]["text"].split("\n")]
    assert lines == [f"• {escape(item)}" for item in items]
    assert all(len(b["text"]["text"]) <= 3000 for b in rendered.blocks)


def test_empty_text_blocks_are_left_out_rather_than_sent_invalid() -> None:
    rendered = render(
        Message(
            text="t",
            blocks=(Header(text="  "), Section(text=""), Context(text=" "), Facts(facts=())),
        )
    )

    assert rendered.blocks == []


def test_rendered_message_is_frozen() -> None:
    rendered = render(Message(text="t"))

    with pytest.raises(AttributeError):
        rendered.text = "other"  # type: ignore[misc]
