"""Cards and help as the console (sandbox) shows them, compared with golden files.

To accept a deliberate change of wording or layout, run with UPDATE_GOLDEN=1,
then read the changed files in tests/unit/golden/ before committing them.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from bot.calendar import WorkingCalendar
from bot.policy import Policy
from commands.action import views as action_views
from commands.network import views as network_views
from integrations.sandbox.render import render
from store.models import Action, Agency, Network, NetworkMember, Person, YoungPerson

GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 23)  # a Monday
CALENDAR = WorkingCalendar()
TYPED_MARKUP = "<!channel> Send the EHCP draft \x1b[31mto the family\x1b[0m"


def assert_matches_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual + "\n", encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8").removesuffix("\n")
    assert actual == expected, (
        f"console output differs from {path.name}; if the change is intended, "
        f"run with UPDATE_GOLDEN=1 and check the file.\n--- expected\n{expected}\n"
        f"--- actual\n{actual}"
    )


# -- in-memory models (no database) ---------------------------------------------------


def person(pid: int, name: str, agency: Agency, role: str = "") -> Person:
    p = Person(id=pid, email=f"{name.split()[0].lower()}@example.org", name=name, role=role)
    p.agency = agency
    return p


SEN_TEAM = Agency(id=1, name="SEN Team")
SOCIAL_CARE = Agency(id=2, name="Children's Social Care")
SAM = person(1, "Sam Patel", SEN_TEAM, "SEN caseworker")
KIM = person(2, "Kim Lee", SOCIAL_CARE, "Social worker")
JO = person(3, "Jo Hughes", SEN_TEAM)


def network(*, keyworker: Person | None = KIM, rating: str | None = "amber") -> Network:
    n = Network(
        id=1,
        status="open",
        space_platform="console",
        space_name="yp-dsr-0042",
        keyworker_id=keyworker.id if keyworker else None,
        opened_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    n.young_person = YoungPerson(id=1, reference="DSR-0042", rating=rating)
    n.keyworker = keyworker
    return n


def action(**changes: object) -> Action:
    fields: dict[str, object] = {
        "id": 7,
        "text": TYPED_MARKUP,
        "due_date": date(2026, 11, 18),
        "status": "open",
        "latest_update": "Rang the family; they have the letter",
        "evidence": None,
        "created_at": datetime(2026, 11, 10, 10, 0, tzinfo=UTC),
    }
    fields.update(changes)
    a = Action(**fields)
    a.owner = SAM
    a.agency = SEN_TEAM
    a.assigned_by = KIM
    a.network = network()
    return a


def member(mid: int, who: Person, role: str = "") -> NetworkMember:
    m = NetworkMember(id=mid, role=role)
    m.person = who
    return m


def action_card_text(a: Action) -> str:
    return render(action_views.action_card(a, today=TODAY, calendar=CALENDAR))


# -- action cards ----------------------------------------------------------------------


def test_open_overdue_action_card() -> None:
    assert_matches_golden("action_card_open.txt", action_card_text(action()))


def test_done_action_card() -> None:
    card = action_card_text(
        action(status="done", evidence="Draft sent by email on Friday", latest_update=None)
    )

    assert_matches_golden("action_card_done.txt", card)


def test_typed_markup_is_shown_as_typed_but_control_characters_are_removed() -> None:
    card = action_card_text(action())

    assert "<!channel> Send the EHCP draft [31mto the family[0m" in card
    assert "\x1b" not in card


def test_an_open_card_offers_the_buttons_and_a_closed_one_does_not() -> None:
    assert "[Done] [Change due date] [Reassign] [Add update]" in action_card_text(action())
    assert "[Done]" not in action_card_text(action(status="cancelled"))


def test_an_action_due_today_says_so() -> None:
    assert "Due:           Mon 23 Nov (today)" in action_card_text(action(due_date=TODAY))


def test_a_due_date_next_year_shows_the_year() -> None:
    assert "Fri 8 Jan 2027" in action_card_text(action(due_date=date(2027, 1, 8)))


# -- network card ------------------------------------------------------------------------


def test_network_card() -> None:
    members = [member(1, KIM), member(2, SAM, "SENCo"), member(3, JO)]
    card = network_views.network_card(network(), members, open_actions=3, overdue=1, today=TODAY)

    assert_matches_golden("network_card.txt", render(card))


def test_network_card_with_nobody_yet_and_no_keyworker() -> None:
    card = network_views.network_card(
        network(keyworker=None, rating=None), [], open_actions=0, overdue=0, today=TODAY
    )

    assert_matches_golden("network_card_empty.txt", render(card))


def test_network_card_shows_the_day_it_was_opened_in_england() -> None:
    # 23:30 UTC on Tue 30 June is 00:30 on Wed 1 July in London (BST).
    late = network()
    late.opened_at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)

    text = render(network_views.network_card(late, [], open_actions=0, overdue=0, today=TODAY))

    assert "Opened Wed 1 Jul" in text


# -- help ----------------------------------------------------------------------------------


def test_action_help() -> None:
    # One bullet per command: the wrapped "Dates:" line is one item, not two.
    assert_matches_golden("action_help.txt", render(action_views.help_message(Policy())))


def test_network_help() -> None:
    assert_matches_golden("network_help.txt", render(network_views.help_message(Policy())))
