"""The weekly DSR agenda from a synthetic register with known answers.

The meeting is Mon 30 Nov 2026 and today is Mon 23 Nov 2026; the last
meeting was a week before (Mon 23 Nov). The Markdown is compared with a
golden file (run with UPDATE_GOLDEN=1 to accept a deliberate change).
"""

from __future__ import annotations

from datetime import date

from bot.policy import Policy
from commands.dsr import agenda
from commands.dsr.agenda import AgendaData, Escalated, Person, RatingChange, ReviewDue
from tests.unit.test_render_console import assert_matches_golden

TODAY = date(2026, 11, 23)

PEOPLE = (
    Person("DSR-0007", "green", "Kim Lee", rated_on=date(2026, 9, 1)),  # step-down
    Person("DSR-0008", "green", "Kim Lee", rated_on=date(2026, 9, 1), open_actions=1),
    Person("DSR-0003", "red", None, ("keyworker needed", "C(E)TR needed"), rated_on=TODAY),
    Person("DSR-0001", "red", "Ade Okafor", rated_on=TODAY, added_on=date(2026, 11, 24)),
    Person("DSR-0004", "amber", "Kim Lee", rated_on=date(2026, 10, 1)),  # due review
    Person("DSR-0005", "amber", None, rated_on=date(2026, 11, 20)),  # reviewed recently
    Person(
        "DSR-0002",
        "blue",
        "Kim Lee",
        admitted_on=date(2026, 11, 2),
        setting="Oak Ward",
        out_of_area=True,
        last_review=date(2026, 11, 6),
        next_review=date(2027, 2, 6),
        open_actions=2,
    ),
    Person("DSR-0006", None, None, added_on=date(2026, 11, 23)),  # not after the last meeting
)

DATA = AgendaData(
    meeting_on=date(2026, 11, 30),
    since=date(2026, 11, 23),
    people=PEOPLE,
    rating_changes=(
        RatingChange("DSR-0003", "red", date(2026, 11, 23), "Two A&E visits this week"),
    ),
    escalated=(
        Escalated("CAMHS", 12, "DSR-0003", "Send the risk assessment", "Sam Patel", 2),
        Escalated("CAMHS", 9, "DSR-0001", "Book the psychiatry review", "Sam Patel", 4),
        Escalated("Oakfield School", 15, "DSR-0004", "Agree a timetable", "Alex Morgan", 3),
    ),
    reviews_due=(
        ReviewDue("DSR-0002", "Hold the next inpatient review", date(2027, 2, 6)),  # too far
        ReviewDue("DSR-0003", "Hold a C(E)TR (rated Red)", date(2026, 12, 7)),
        ReviewDue("DSR-0004", "Hold the post-admission C(E)TR", date(2026, 11, 20)),
    ),
)


def sections() -> dict[str, tuple[str, ...]]:
    built = agenda.build(DATA, today=TODAY, policy=Policy())
    return {s.title.split(" (")[0].split(" since")[0]: s.lines for s in built.sections}


def refs(lines: tuple[str, ...]) -> list[str]:
    return [line.split(" — ")[0] for line in lines]


def test_every_section_holds_exactly_the_right_people_in_order() -> None:
    found = sections()
    assert list(found) == [
        "New to the register",
        "Blue: in hospital",
        "Red",
        "Amber due review",
        "Rating changes",
        "Escalated actions by agency",
        "Reviews due in the next 4 weeks or overdue",
        "Keyworker coverage",
        "Proposed step-downs",
        "Any other business",
    ]
    assert refs(found["New to the register"]) == ["DSR-0001"]
    assert refs(found["Blue: in hospital"]) == ["DSR-0002"]
    assert refs(found["Red"]) == ["DSR-0001", "DSR-0003"]
    assert refs(found["Amber due review"]) == ["DSR-0004"]
    assert refs(found["Proposed step-downs"]) == ["DSR-0007"]
    assert found["Reviews due in the next 4 weeks or overdue"] == (
        "DSR-0004 — Hold the post-admission C(E)TR — due 20/11/2026 (overdue)",
        "DSR-0003 — Hold a C(E)TR (rated Red) — due 07/12/2026",
    )
    assert found["Escalated actions by agency"][0].startswith(
        "CAMHS: #9 Book the psychiatry review (DSR-0001, Sam Patel) at stage 4; #12"
    )
    assert found["Keyworker coverage"][0] == (
        "Red and Amber with a named keyworker: 2 of 4 (50%; target 90%)"
    )


def test_one_line_per_young_person_with_rating_keyworker_and_flags() -> None:
    red = sections()["Red"]
    assert red[1] == "DSR-0003 — Red — no keyworker — keyworker needed; C(E)TR needed"
    blue = sections()["Blue: in hospital"][0]
    assert blue == (
        "DSR-0002 — Blue — Kim Lee; admitted 02/11/2026 to Oak Ward, out of area (21 days); "
        "last review 06/11/2026, next 06/02/2027; 2 open actions"
    )


def test_an_empty_register_still_gives_a_readable_agenda_and_no_division_by_zero() -> None:
    empty = AgendaData(meeting_on=date(2026, 11, 30), since=date(2026, 11, 23), people=())
    built = agenda.build(empty, today=TODAY, policy=Policy())
    text = agenda.as_markdown(built)
    assert "Red and Amber with a named keyworker: 0 of 0 (n/a; target 90%)" in text
    assert text.count("Nobody.") == 5


def test_the_agenda_document_matches_the_golden_file() -> None:
    built = agenda.build(DATA, today=TODAY, policy=Policy())
    assert_matches_golden("dsr_agenda.md", agenda.as_markdown(built).rstrip("\n"))


def test_the_agenda_message_fits_slack() -> None:
    from integrations.slack.render import render

    message = agenda.as_message(agenda.build(DATA, today=TODAY, policy=Policy()))
    rendered = render(message)
    assert len(rendered.blocks) <= 50
    assert rendered.blocks[0]["text"]["text"] == "DSR review agenda — Mon 30 Nov"


def test_a_long_agenda_is_split_into_messages_that_fit_slack() -> None:
    from integrations.slack.render import render

    many = tuple(Person(f"DSR-{n:04d}", "red", "Kim Lee") for n in range(130))
    data = AgendaData(meeting_on=date(2026, 11, 30), since=date(2026, 11, 23), people=many)
    messages = agenda.as_messages(agenda.build(data, today=TODAY, policy=Policy()))
    assert len(messages) >= 4
    shown = [line for m in messages for line in m.text.splitlines()]
    assert sum(1 for line in shown if line.startswith("DSR-") and "Red" in line) == 130
    assert "Red (continued)" in shown
    for message in messages:
        rendered = render(message)
        assert len(rendered.blocks) <= 50
        assert "more" not in rendered.blocks[-1].get("elements", [{}])[0].get("text", "")
