"""What people can type after `/dsr`, and what they are told when it doesn't make sense."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from commands.dsr.grammar import (
    Add,
    Admit,
    Discharge,
    DsrCommand,
    Help,
    Keyworker,
    ListRegister,
    Rate,
    Remove,
    Show,
    Support,
    Transition,
    parse,
    parse_month,
)
from tests.unit.grammar_checks import command_or_kind_refusal, sub_commands

# Monday 23 November 2026.
TODAY = date(2026, 11, 23)
CALENDAR = WorkingCalendar()
OPTIONS = "--age-band under-18 --ehcp --consent parental --consent-date 20/11/2026"


def read(text: str) -> DsrCommand:
    return parse(text, today=TODAY, calendar=CALENDAR)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        read(text)
    return str(caught.value)


# -- every sub-command ------------------------------------------------------------


def test_add_is_read_in_full() -> None:
    # The reference is kept as typed: the policy's pattern is checked against it.
    assert read(f"add dsr-0100 {OPTIONS}") == Add(
        reference="dsr-0100",
        age_band="under-18",
        ehcp=True,
        consent_basis="parental",
        consent_date=date(2026, 11, 20),
    )


def test_support_begins_or_ends_with_its_keyworker_and_day() -> None:
    kim = read("support DSR-0042 preventive @kim.lee --on 20/11")
    assert isinstance(kim, Support) and (kim.kind, kim.on) == ("preventive", date(2026, 11, 20))
    assert kim.keyworker is not None and kim.keyworker.value == "kim.lee"
    new = read(f"support DSR-0100 preventive {OPTIONS}")
    assert isinstance(new, Support) and new.keyworker is None and new.ehcp
    assert (new.age_band, new.consent_basis, new.consent_date) == (
        "under-18",
        "parental",
        date(2026, 11, 20),
    )
    assert read("support DSR-0042 ended") == Support(reference="DSR-0042", kind="end")
    assert "takes only --on DATE" in refusal("support DSR-0042 end @kim.lee")
    assert "takes only --on DATE" in refusal("support DSR-0042 end --age-band 18-25")
    assert "it is `preventive` (support begins) or `end`" in refusal("support DSR-0042 maybe")
    assert "name the keyworker as one @mention" in refusal("support DSR-0042 preventive Kim Lee")
    assert "I don't know the option --setting for `/dsr support`" in refusal(
        "support DSR-0042 preventive --setting x"
    )


def test_add_options_come_in_any_order_and_friendly_spellings() -> None:
    command = read('add DSR-0100 --consent "Best interests" --consent-date today --age-band 18-25')
    assert isinstance(command, Add)
    assert (command.age_band, command.ehcp, command.consent_basis, command.consent_date) == (
        "18-25",
        False,
        "best-interests",
        TODAY,
    )
    assert isinstance(read(f"add DSR-0100 --ehcp {OPTIONS.replace('--ehcp', '')}"), Add)


def test_rate_takes_a_quoted_or_bare_rationale() -> None:
    assert read('rate DSR-0042 RED "Family in crisis"') == Rate(
        reference="DSR-0042", rating="red", rationale="Family in crisis"
    )
    assert read("rate DSR-0042 green Settled at home") == Rate(
        reference="DSR-0042", rating="green", rationale="Settled at home"
    )


def test_admit_reads_the_date_setting_and_out_of_area() -> None:
    assert read('admit DSR-0042 20 Nov --setting "Oak Ward" --out-of-area') == Admit(
        reference="DSR-0042",
        admitted_on=date(2026, 11, 20),
        setting="Oak Ward",
        out_of_area=True,
    )
    command = read("admit DSR-0042 --out-of-area yesterday --setting Oak Ward")
    assert isinstance(command, Admit)
    assert (command.admitted_on, command.setting, command.out_of_area) == (
        date(2026, 11, 22),
        "Oak Ward",
        True,
    )


def test_discharge_keyworker_transition_show_list_remove_help() -> None:
    assert read("discharge DSR-0042 today") == Discharge(reference="DSR-0042", discharged_on=TODAY)
    command = read("keyworker DSR-0042 @kim.lee")
    assert isinstance(command, Keyworker)
    assert (command.person.kind, command.person.value) == ("handle", "kim.lee")
    assert read("transition DSR-0042 03/2027") == Transition(
        reference="DSR-0042", month=date(2027, 3, 1)
    )
    assert read("show DSR-0042") == Show(reference="DSR-0042")
    assert read("list") == ListRegister()
    assert read("list Amber") == ListRegister(only="amber")
    assert read("list no-keyworker") == ListRegister(only="no-keyworker")
    assert read('remove DSR-0042 "Consent withdrawn"') == Remove(
        reference="DSR-0042", reason="Consent withdrawn"
    )
    assert read("") == Help()
    assert read("help") == Help()


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("03/2027", date(2027, 3, 1)),
        ("3/2027", date(2027, 3, 1)),
        ("Mar 2027", date(2027, 3, 1)),
        ("march 2027", date(2027, 3, 1)),
        ("Sept 2028", date(2028, 9, 1)),
        ("12/27", date(2027, 12, 1)),
        ("01/2020", date(2020, 1, 1)),  # already an adult: still worth recording
    ],
)
def test_transition_months_in_the_forms_people_write(typed: str, month: date) -> None:
    assert parse_month(typed, today=TODAY) == month


# -- friendly refusals ------------------------------------------------------------


def test_adding_without_a_consent_basis_or_date_says_why() -> None:
    shown = refusal("add DSR-0100 --age-band under-18")
    assert "without the consent basis" in shown and "its date" in shown
    assert "recorded best-interests decision" in shown
    assert "--consent-date" in refusal("add DSR-0100 --age-band under-18 --consent consent")
    assert "--consent consent, best-interests or parental" in refusal(
        "add DSR-0100 --age-band under-18 --consent-date today"
    )


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("add Jane Smith --age-band under-18", "never a name"),
        ("add DSR 0100 --consent consent", "no spaces"),
        ("add DSR-0100 --consent consent --consent-date today", "age band"),
        ("add DSR-0100 --age-band adult --consent consent --consent-date today", "18-25"),
        ("add DSR-0100 --age-band under-18 --consent verbal --consent-date today", "verbal"),
        ("add DSR-0100 --age-band under-18 --consent consent --consent-date tomorrow", "future"),
        ("add DSR-0100 --age-band under-18 --consent consent --consent-date soon", "soon"),
        ("add DSR-0100 --nhs 1234 --consent consent", "--nhs"),
        ("rate DSR-0042", "red, amber, green or blue"),
        ("rate DSR-0042 purple because", "isn't a rating"),
        ("rate DSR-0042 red", "reason for rating DSR-0042 red"),
        ('rate DSR-0042 red ""', "reason"),
        ("rate", "register reference"),
        ("admit DSR-0042 today", "--setting"),
        ("admit DSR-0042 --setting Oak Ward", "date"),
        ("admit DSR-0042 next Friday --setting Oak Ward", "in the future"),
        (
            "admit DSR-0042 today --setting Oak Ward --ehcp",
            "I don't know the option --ehcp for `/dsr admit`. It is an option of `/dsr add` "
            "and `/dsr support`.",
        ),
        ("discharge DSR-0042", "date"),
        ("keyworker DSR-0042", "Name the keyworker"),
        ("keyworker DSR-0042 Kim Lee", "one person"),
        ("transition DSR-0042", "month they turn 18"),
        ("transition DSR-0042 2027", "month and year"),
        ("transition DSR-0042 13/2027", "month and year"),
        ("transition DSR-0042 03/2099", "looks wrong"),
        ("show DSR-0042 now", "only the young person's reference"),
        ("list purple", "red, amber, green, blue, no-keyworker or preventive"),
        ("remove DSR-0042", "reason"),
        ("agenda publish", "`preview`"),
        ("outcome DSR-0042", "decision"),
        ("outcome DSR-0042 Stays amber --rate purple", "isn't a rating"),
        ("rename DSR-0042", "/dsr help"),
    ],
)
def test_friendly_refusals_say_what_to_type(typed: str, says: str) -> None:
    assert says in refusal(typed)


# -- any text gives a command or a kind refusal ----------------------------------

VOCABULARY = [
    "add",
    "rate",
    "admit",
    "discharge",
    "keyworker",
    "transition",
    "show",
    "list",
    "remove",
    "help",
    "agenda",
    "DSR-0042",
    "dsr-0100",
    "red",
    "amber",
    "green",
    "blue",
    "no-keyworker",
    "--age-band",
    "under-18",
    "18-25",
    "--ehcp",
    "--consent",
    "consent",
    "best-interests",
    "parental",
    "--consent-date",
    "--setting",
    "--out-of-area",
    "--",
    "@kim.lee",
    "kim.lee@example.org",
    "today",
    "yesterday",
    "20/11",
    "31/02",
    "03/2027",
    "Mar",
    "2027",
    "13/2027",
    '"',
    "“",
    "²",
    "\n",
    "\u00a0",
    "x" * 600,
]

token_lines = st.lists(
    st.sampled_from(VOCABULARY) | st.text(max_size=6), min_size=0, max_size=16
).map(" ".join)

SUBS = sub_commands(DsrCommand)


def _model_or_user_error(text: str) -> None:
    command_or_kind_refusal(read, text, union=DsrCommand)


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("AGENDA")
@example("QUARTERLY")
def test_any_text_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SUBS - {"help"})), token_lines)
@example("transition", "DSR-0042 ²/2027")
@example("add", "DSR-0042 --consent")
@example("admit", "DSR-0042 today --setting “")
def test_any_words_after_a_sub_command_give_a_command_or_a_kind_refusal(
    sub: str, rest: str
) -> None:
    _model_or_user_error(f"{sub} {rest}")
