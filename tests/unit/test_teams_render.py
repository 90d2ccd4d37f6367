"""The Teams renderer: Adaptive Card JSON compared with golden files, the
official 1.5 schema, escaping, mentions, forms and the size budget.

To accept a deliberate change of wording or layout, run with UPDATE_GOLDEN=1,
then read the changed tests/unit/golden/teams_*.json files before committing them.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.calendar import WorkingCalendar
from bot.forms import submission_text
from bot.messages import (
    Actions,
    Attachment,
    BulletList,
    Button,
    Context,
    Divider,
    Fact,
    Facts,
    Header,
    Message,
    Section,
    plain,
)
from bot.policy import Policy
from commands import catalogue
from commands.action import views as action_views
from commands.dsr import agenda
from commands.dsr.agenda import AgendaData, Escalated, RatingChange
from commands.dsr.agenda import Person as AgendaPerson
from integrations.teams.icons import png
from integrations.teams.render import (
    ACTIVITY_BUDGET,
    CARD_CONTENT_TYPE,
    WORD_JOINER,
    Mention,
    card_size,
    escape,
    render_activity,
    render_card,
    submission_values,
    summary,
)
from store.models import Action
from tests.schemas import load as load_schema
from tests.unit.sample_models import sample_action

GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 23)  # a Monday
CALENDAR = WorkingCalendar()
TYPED = "<at>Kim Lee</at> **Send** the [EHCP draft](https://evil.example) to _the family_ & co"

HOSTILE = [
    "<at>Kim Lee</at> please",
    "</at><at>x</at>",
    "**bold** __bold__ *it* _it_",
    "[NHS login](https://evil.example) and ![img](https://evil.example/x.png)",
    "<https://evil.example> <b>html</b> <script>alert(1)</script>",
    "# Heading\n## Sub\nSetext\n===\nAlso\n---",
    "- item\n+ item\n* item\n1. one\n2) two\n  - nested",
    "> quoted\n>> twice",
    "`code` ``more`` ```fence```\n```\nblock\n```\n~~~\ntilde\n~~~",
    "    indented code\n\tand a tab",
    "~~struck~~ and ~single~",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "&lt;at&gt;Kim&lt;/at&gt; &amp; &#42;not bold&#42; &#x5F;",
    "back\\slash \\*still\\* \\",
    "line one\nline two\r\nline three\rline four",
    "emoji 😀👩🏽‍⚕️ accents café naïve, ünïcödé, 日本語, עברית",
    "a * b _ c ` d [ e ] f < g > h ~ i | j # k",
    "Sam Patel (CAMHS) — action #7, 12.5% done; 3) not a list mid-line",
]


# -- helpers ----------------------------------------------------------------------------------


@cache
def card_validator() -> Draft6Validator:
    schema = load_schema("adaptive-card.schema.1.5.json")
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def validate_card(card: dict[str, Any]) -> None:
    """Valid against the official Adaptive Card 1.5 schema.

    ``msteams`` is Teams' host extension (full width, mentions); the schema
    does not know it (AdaptiveCard has additionalProperties: false), so it is
    checked here by hand and left out of the schema check.
    """
    msteams = card.get("msteams", {})
    assert set(msteams) <= {"width", "entities"}, msteams
    assert msteams.get("width") == "Full"
    for entity in msteams.get("entities", []):
        assert set(entity) == {"type", "text", "mentioned"}
        assert entity["type"] == "mention"
        assert set(entity["mentioned"]) == {"id", "name"}
        assert entity["text"] == f"<at>{entity['mentioned']['name']}</at>"
    core = {k: v for k, v in card.items() if k != "msteams"}
    errors = sorted(card_validator().iter_errors(core), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"


def assert_valid(activity: dict[str, Any]) -> dict[str, Any]:
    assert activity["type"] == "message"
    assert activity["textFormat"] == "plain"
    assert activity["text"] and activity["summary"] == activity["text"]
    assert "\n" not in activity["text"] and len(activity["text"]) <= 200
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    validate_card(attachment["content"])
    assert card_size(activity) <= ACTIVITY_BUDGET
    content: dict[str, Any] = attachment["content"]
    return content


def assert_matches_golden(name: str, activity: dict[str, Any]) -> None:
    actual = json.dumps(activity, indent=2, ensure_ascii=False)
    path = GOLDEN / f"teams_{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual + "\n", encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8").removesuffix("\n")
    assert actual == expected, (
        f"the Teams card differs from {path.name}; if the change is intended, "
        f"run with UPDATE_GOLDEN=1 and check the file.\n--- expected\n{expected}\n"
        f"--- actual\n{actual}"
    )


def elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element and action in the card, nested ones included."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "type" in value:
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(card)
    return found


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """Every string Teams parses as markdown: TextBlock text, fact titles and values."""
    texts: list[str] = []
    for element in elements(card):
        if element["type"] == "TextBlock":
            texts.append(element["text"])
        elif element["type"] == "FactSet":
            texts.extend(t for f in element["facts"] for t in (f["title"], f["value"]))
    return texts


def show_cards(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in elements(card) if a["type"] == "Action.ShowCard"}


def tiny_png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 4) -> str:
    rows = [bytes(colour) * size for _ in range(size)]
    return base64.b64encode(png(size, size, rows, alpha=False)).decode()


# -- in-memory models (no database) -----------------------------------------------------------


def action(**changes: object) -> Action:
    fields: dict[str, object] = {
        "text": TYPED,
        "latest_update": "Rang the family *twice*; they have the letter 📬",
    }
    fields.update(changes)
    return sample_action(platform="teams", **fields)  # type: ignore[arg-type]


def action_card(a: Action) -> dict[str, Any]:
    return render_activity(action_views.action_card(a, today=TODAY, calendar=CALENDAR))


# -- golden files -------------------------------------------------------------------------------


def test_open_action_card() -> None:
    activity = action_card(action())

    card = assert_valid(activity)
    assert_matches_golden("action_card_open", activity)
    assert list(show_cards(card)) == ["Done", "Change due date", "Reassign", "Add update"]


def test_done_action_card_has_no_buttons() -> None:
    activity = action_card(
        action(status="done", evidence="Draft sent by email & post on Friday", latest_update=None)
    )

    card = assert_valid(activity)
    assert_matches_golden("action_card_done", activity)
    assert not [e for e in elements(card) if e["type"].startswith("Action.")]


def test_help_card() -> None:
    activity = render_activity(action_views.help_message(Policy()))

    card = assert_valid(activity)
    assert_matches_golden("action_help", activity)
    items = [e["text"] for e in elements(card) if e["type"] == "TextBlock"][1:]
    assert len(items) == len(catalogue.help_lines(catalogue.ACTION, Policy()))
    assert all(item.startswith("• /action ") for item in items[:-1])


def test_error_message() -> None:
    activity = render_activity(
        plain("I can't find action #99. Try /action list, or ask **the keyworker**.", tone="error")
    )

    card = assert_valid(activity)
    assert_matches_golden("error", activity)
    [container] = card["body"]
    assert container["type"] == "Container" and container["style"] == "attention"


def test_chase_digest_with_mentions() -> None:
    overdue = [
        action(id=7, escalation_stage=1),
        action(id=9, text="Book the *psychiatry* review", escalation_stage=2),
    ]
    message = action_views.chase_digest(
        overdue, newly_chased={7, 9}, today=TODAY, ladder=Policy().ladder
    )
    mentions = [
        Mention(user_id="11111111-2222-3333-4444-555555555555", name="Sam Patel"),
        Mention(user_id="11111111-2222-3333-4444-555555555555", name="Sam Patel"),  # once
        Mention(user_id="66666666-7777-8888-9999-000000000000", name="Jo <b>Hughes</b>"),
    ]
    activity = render_activity(message, mentions=mentions)

    card = assert_valid(activity)
    assert_matches_golden("chase_digest", activity)
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "<at>Sam Patel</at> <at>Jo bHughes/b</at>",
        "wrap": True,
    }
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == [
        "11111111-2222-3333-4444-555555555555",
        "66666666-7777-8888-9999-000000000000",
    ]


def test_agenda_like_long_message() -> None:
    data = AgendaData(
        meeting_on=date(2026, 11, 30),
        since=date(2026, 11, 23),
        people=tuple(
            AgendaPerson(f"DSR-{n:04}", ("red", "amber", "green")[n % 3], "Kim Lee")
            for n in range(1, 31)
        ),
        rating_changes=(RatingChange("DSR-0003", "red", TODAY, "Two A&E visits *this* week"),),
        escalated=(Escalated("CAMHS", 12, "DSR-0003", "Send the risk assessment", "Sam Patel", 2),),
    )
    message = agenda.as_message(agenda.build(data, today=TODAY, policy=Policy()))
    activity = render_activity(message)

    card = assert_valid(activity)
    assert_matches_golden("agenda", activity)
    headings = [e["text"] for e in elements(card) if e.get("style") == "heading"]
    assert headings[0].startswith("DSR review agenda")


def test_message_with_png_attachments() -> None:
    message = Message(
        text="Monthly report for the register",
        blocks=(Header(text="Monthly report"), Section(text="Two charts and the figures.")),
        attachments=(
            Attachment(
                filename="ratings.png",
                media_type="image/png",
                content_b64=tiny_png(),
                title="Ratings this month",
            ),
            Attachment(filename="trend.png", media_type="image/png", content_b64=tiny_png()),
            Attachment(
                filename="report.xlsx", media_type="application/vnd.ms-excel", content_b64=""
            ),
            Attachment(filename="report.csv", media_type="text/csv", content_b64="YSxiCg=="),
        ),
    )
    activity = render_activity(message)

    card = assert_valid(activity)
    assert_matches_golden("attachments", activity)
    images = [e for e in elements(card) if e["type"] == "Image"]
    assert [i["altText"] for i in images] == ["Ratings this month", "trend.png"]
    assert all(i["url"].startswith("data:image/png;base64,iVBORw0KGgo") for i in images)
    assert card["body"][-1]["text"] == (
        "Files not shown in Teams: report.xlsx, report.csv. "
        "Ask your Teamaround administrator for them."
    )


# -- every kind of block ------------------------------------------------------------------------


def test_every_kind_of_block_and_button() -> None:
    message = Message(
        text="Everything",
        blocks=(
            Header(text="A header with <at>x</at> & friends"),
            Section(text="A section"),
            Divider(),
            Facts(facts=(Fact(label="Owner", value="Sam *Patel*"), Fact(label="Empty", value=""))),
            Actions(
                buttons=(
                    Button(label="Approve", action_id="thing.approve", value="7", style="primary"),
                    Button(label="Cancel", action_id="thing.cancel", value="7", style="danger"),
                    Button(label="Open", action_id="thing.open"),
                )
            ),
            Divider(),
            Divider(),
            Context(text="DSR-0042 · context"),
            BulletList(items=("one", "two")),
            Divider(),
        ),
        tone="success",
    )
    card = assert_valid(render_activity(message))

    [container] = card["body"]
    assert container["style"] == "good"
    items = container["items"]
    assert [i["type"] for i in items] == [
        "TextBlock",
        "TextBlock",
        "FactSet",
        "ActionSet",
        "TextBlock",
        "TextBlock",
        "TextBlock",
    ]
    assert items[2]["separator"] is True and items[4]["separator"] is True
    assert sum(1 for i in items if i.get("separator")) == 2
    assert items[2]["facts"] == [
        {"title": "Owner", "value": "Sam \\*Patel\\*"},
        {"title": "Empty", "value": ""},
    ]
    assert items[3]["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Approve",
            "data": {"teamaround": "thing.approve", "value": "7"},
            "style": "positive",
        },
        {
            "type": "Action.Submit",
            "title": "Cancel",
            "data": {"teamaround": "thing.cancel", "value": "7"},
            "style": "destructive",
        },
        {
            "type": "Action.Submit",
            "title": "Open",
            "data": {"teamaround": "thing.open", "value": ""},
        },
    ]
    assert items[4] == {
        "type": "TextBlock",
        "text": "DSR-0042 · context",
        "wrap": True,
        "size": "Small",
        "isSubtle": True,
        "separator": True,
        "spacing": "Medium",
    }
    assert [i["text"] for i in items[5:]] == ["• one", "• two"]
    assert "spacing" not in items[5] and items[6]["spacing"] == "Small"


@pytest.mark.parametrize(
    ("tone", "style"),
    [("info", None), ("success", "good"), ("warning", "warning"), ("error", "attention")],
)
def test_tone_is_a_container_style(tone: str, style: str | None) -> None:
    card = render_card(plain("Saved.", tone=tone))  # type: ignore[arg-type]

    validate_card(card)
    first = card["body"][0]
    if style is None:
        assert first["type"] == "TextBlock"
    else:
        assert first["type"] == "Container" and first["style"] == style


def test_a_message_without_blocks_shows_its_text() -> None:
    card = render_card(Message(text="Hello **there**\nsecond line"))

    validate_card(card)
    assert card["body"] == [
        {"type": "TextBlock", "text": "Hello \\*\\*there\\*\\*\n\nsecond line", "wrap": True}
    ]


def test_empty_blocks_are_left_out() -> None:
    card = render_card(
        Message(
            text="t",
            blocks=(Header(text="  "), Section(text=""), Context(text=" "), Facts(facts=())),
        )
    )

    validate_card(card)
    assert card["body"] == []


def test_summary_is_one_plain_line() -> None:
    message = Message(text="\n  First **line**   here \nsecond", blocks=(Header(text="H"),))
    activity = render_activity(message)

    assert activity["text"] == activity["summary"] == "First **line** here"
    assert summary(Message(text="", blocks=(Header(text="Only a header"),))) == "Only a header"
    assert summary(Message(text="")) == "Teamaround"
    assert len(summary(Message(text="x" * 500))) == 200


# -- escaping -----------------------------------------------------------------------------------


_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape(text: str) -> str:
    """What a CommonMark reader shows for our escaped text (lines, no formatting)."""
    return _UNESCAPE.sub(r"\1", text).replace(WORD_JOINER, "")


def as_typed(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
    return "\n\n".join(s for s in (line.strip() for line in lines) if s)


@pytest.mark.parametrize("typed", HOSTILE)
def test_escaped_text_reads_back_exactly_as_typed(typed: str) -> None:
    shown = escape(typed)

    assert unescape(shown) == as_typed(typed)
    assert "<at>" not in shown.lower() and "</at>" not in shown.lower()


@pytest.mark.parametrize("typed", HOSTILE)
def test_commonmark_renders_hostile_text_with_no_formatting_links_or_html(typed: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable(["strikethrough", "table"])
    rendered = md.render(escape(typed))

    tags = set(re.findall(r"<(/?[a-z0-9]+)", rendered))
    assert tags <= {"p", "/p"}, (tags, rendered)
    paragraphs = re.findall(r"<p>(.*?)</p>", rendered, flags=re.S)
    shown = "\n\n".join(html.unescape(p) for p in paragraphs).replace(WORD_JOINER, "")
    assert shown == as_typed(typed)


def test_plain_ampersands_and_brackets_stay_readable() -> None:
    assert escape("SEN & Inclusion (CAMHS) #7") == "SEN & Inclusion (CAMHS) #7"
    assert escape("&amp; &#42; &#x2A;") == "\\&amp; \\&#42; \\&#x2A;"
    assert escape("café 😀 日本語") == "café 😀 日本語"


def test_typed_markup_in_a_card_is_never_a_mention_link_or_formatting() -> None:
    activity = render_activity(
        action_views.action_card(action(), today=TODAY, calendar=CALENDAR),
        mentions=[Mention(user_id="u-kim", name="Kim Lee")],
    )
    card = assert_valid(activity)
    texts = markdown_texts(card)

    # The only mention is the one Teamaround added, first in the card.
    assert card["body"][0]["text"] == "<at>Kim Lee</at>"
    assert all("<at>" not in t for t in texts[1:])
    joined = "\n".join(texts)
    assert (
        f"\\<{WORD_JOINER}at\\>Kim Lee\\</{WORD_JOINER}at\\> \\*\\*Send\\*\\* the "
        "\\[EHCP draft\\](https://evil.example) to \\_the family\\_ & co"
    ) in joined
    assert "Rang the family \\*twice\\*; they have the letter 📬" in joined
    assert "Sam Patel (SEN & Inclusion)" in joined


def test_plain_properties_are_not_escaped_only_shortened() -> None:
    card = render_card(
        Message(
            text="t",
            blocks=(Actions(buttons=(Button(label="A *b* " + "x" * 100, action_id="x"),)),),
        )
    )

    [action_set] = card["body"]
    title = action_set["actions"][0]["title"]
    assert title.startswith("A *b* x") and len(title) == 60 and title.endswith("…")


# -- forms ----------------------------------------------------------------------------------------


def submitted(show_card: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """The ``value`` of the message activity Teams sends for a form's submit."""
    inner = show_card["card"]
    [submit] = inner["actions"]
    assert submit["type"] == "Action.Submit"
    value = dict(submit["data"])
    for element in inner["body"]:
        key = element["id"].split(".")[0]
        value[element["id"]] = answers.get(key, "")
    return value


def test_each_action_button_opens_its_form_and_submits_the_command() -> None:
    forms = show_cards(
        render_card(action_views.action_card(action(), today=TODAY, calendar=CALENDAR))
    )
    answers = {
        "evidence": "Sent on Friday",
        "due": "2026-12-11",
        "reason": "Waiting for the school",
        "owner": "jo@example.org",
        "note": "Rang the family",
    }
    expected = {
        "Done": ("action.done", "7", "done 7 Sent on Friday"),
        "Change due date": (
            "action.due",
            "7:2026-11-18",
            "due 7 2026-12-11 Waiting for the school",
        ),
        "Reassign": ("action.reassign", "7", "reassign 7 jo@example.org Waiting for the school"),
        "Add update": ("action.update", "7", "update 7 Rang the family"),
    }
    for title, (form, button_value, command) in expected.items():
        value = submitted(forms[title], answers)
        assert value["teamaround"] == form and value["value"] == button_value
        number = value["value"].partition(":")[0]
        text = submission_text(form, number=number, values=submission_values(value))
        assert text == command, title


def test_form_inputs() -> None:
    forms = show_cards(
        render_card(action_views.action_card(action(), today=TODAY, calendar=CALENDAR))
    )
    by_id = {e["id"]: e for f in forms.values() for e in f["card"]["body"]}

    assert by_id["evidence"] | {} == {
        "type": "Input.Text",
        "id": "evidence",
        "label": "Evidence (optional)",
        "maxLength": 2000,
        "isMultiline": True,
        "placeholder": "What was done? For example: draft EHCP sent to the family",
    }
    assert by_id["due"]["type"] == "Input.Date" and by_id["due"]["value"] == "2026-11-18"
    assert by_id["due"]["isRequired"] is True and by_id["due"]["errorMessage"]
    owner = by_id["owner"]
    assert owner["label"] == "New owner's email" and owner["style"] == "email"
    assert owner["isRequired"] is True and owner["errorMessage"]
    assert re.fullmatch(owner["regex"], "jo.hughes@example.nhs.uk")
    assert not re.fullmatch(owner["regex"], "<at>Jo</at>")
    assert not re.fullmatch(owner["regex"], "jo")
    assert by_id["note"]["isRequired"] is True and by_id["note"]["isMultiline"] is True
    # Input ids are unique in the card: the second form's reason is suffixed.
    assert sorted(by_id) == ["due", "evidence", "note", "owner", "reason", "reason.2"]
    assert forms["Done"]["style"] == "positive"


def test_a_due_button_without_a_date_still_asks_for_one() -> None:
    card = render_card(
        Message(
            text="t",
            blocks=(Actions(buttons=(Button(label="Due", action_id="action.due", value="7"),)),),
        )
    )

    [due, _reason] = show_cards(card)["Due"]["card"]["body"]
    assert "value" not in due and due["isRequired"] is True


def test_submission_values() -> None:
    value = {"teamaround": "action.reassign", "value": "7", "owner": " a@b.org ", "reason.2": "x"}

    assert submission_values(value) == {"owner": "a@b.org", "reason": "x"}
    assert submission_values({"reason": "", "reason.2": "kept", "note": None}) == {"reason": "kept"}


# -- size --------------------------------------------------------------------------------------


def test_card_size_counts_utf16_bytes() -> None:
    assert card_size({"a": "b"}) == len('{"a":"b"}') * 2
    assert card_size(["😀"]) == (4 + 4) * 2 - 4  # [" "] = 4 units, the emoji 2 units


def test_a_huge_section_is_shortened_where_it_says_so() -> None:
    text = "The family & school agreed a *plan*. " * 5000  # ~185,000 characters
    activity = render_activity(
        Message(text="long", blocks=(Header(text="Long"), Section(text=text), Context(text="end")))
    )

    card = assert_valid(activity)
    body = card["body"]
    assert body[1]["text"].endswith("… (shortened)")
    assert unescape(body[1]["text"]).startswith("The family & school agreed a *plan*.")
    assert body[2]["text"] == "Shortened here: 1 more part of this message did not fit in Teams."
    assert card_size(activity) > ACTIVITY_BUDGET - 1000  # it used the room it had


def test_a_very_long_list_keeps_whole_items_and_says_how_many_more() -> None:
    items = tuple(f"DSR-{n:04} — rated *amber*, keyworker Kim Lee 😀" for n in range(3000))
    message = Message(
        text="list",
        blocks=(
            Header(text="Register"),
            BulletList(items=items),
            Actions(buttons=(Button(label="Done", action_id="action.done", value="1"),)),
        ),
    )
    activity = render_activity(message)

    card = assert_valid(activity)
    body = card["body"]
    assert body[-1]["type"] == "ActionSet"  # buttons are always kept
    notice = body[-2]["text"]
    match = re.fullmatch(
        r"Shortened here: (\d+) more parts of this message did not fit in Teams\.", notice
    )
    assert match
    listed = [b for b in body if b["type"] == "TextBlock" and b["text"].startswith("• ")]
    assert len(listed) + int(match.group(1)) == len(items)
    assert all(unescape(b["text"]).startswith("• DSR-") for b in listed)


def test_images_are_embedded_only_while_they_fit() -> None:
    big = base64.b64encode(os.urandom(40_000)).decode()  # ~53,000 base64 characters
    message = Message(
        text="charts",
        blocks=(Section(text="Charts"),),
        attachments=(
            Attachment(filename="small.png", media_type="image/png", content_b64=tiny_png()),
            Attachment(filename="big.png", media_type="image/png", content_b64=big),
            Attachment(filename="chart.svg", media_type="image/svg+xml", content_b64="PHN2Zy8+"),
            Attachment(filename="after.png", media_type="image/png", content_b64=tiny_png()),
        ),
    )
    activity = render_activity(message)

    card = assert_valid(activity)
    images = [e["altText"] for e in elements(card) if e["type"] == "Image"]
    assert images == ["small.png", "after.png"]
    assert card["body"][-1]["text"] == (
        "Files not shown in Teams: big.png, chart.svg. Ask your Teamaround administrator for them."
    )


def test_one_attachment_not_shown_is_named_in_the_singular() -> None:
    card = render_card(
        Message(
            text="report",
            attachments=(
                Attachment(filename="report_2026.csv", media_type="text/csv", content_b64="YQo="),
            ),
        )
    )

    validate_card(card)
    assert card["body"][-1]["text"] == (
        "File not shown in Teams: report\\_2026.csv. Ask your Teamaround administrator for it."
    )
