"""Options a command does not take are refused, in every grammar, before any
text is read: never kept as part of a rationale, a note or an action. And
`--on DATE`, the day something happened, on `/dsr add`, `rate` and `keyworker`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from commands.action import grammar as action_grammar
from commands.cetr import grammar as cetr_grammar
from commands.dsr import grammar as dsr_grammar
from commands.dsr.grammar import Add, Admit, Keyworker, Rate, StepDown
from commands.network import grammar as network_grammar
from tests.unit.grammar_checks import sub_commands

TODAY = date(2026, 11, 23)  # a Monday
CAL = WorkingCalendar()
ADD = "add DSR-0100 --age-band under-18 --consent parental --consent-date 20/11/2026"


def dsr(text: str, **kwargs: Any) -> dsr_grammar.DsrCommand:
    return dsr_grammar.parse(text, today=TODAY, calendar=CAL, **kwargs)


def refusal(read: Callable[[str], Any], text: str) -> str:
    with pytest.raises(UserError) as caught:
        read(text)
    return str(caught.value)


GRAMMARS: dict[str, tuple[Callable[[str], Any], Any, dict[str, frozenset[str]]]] = {
    "action": (
        lambda text: action_grammar.parse(text, today=TODAY, calendar=CAL),
        action_grammar.ActionCommand,
        action_grammar.OPTIONS,
    ),
    "cetr": (
        lambda text: cetr_grammar.parse(text, today=TODAY, calendar=CAL),
        cetr_grammar.CetrCommand,
        cetr_grammar.OPTIONS,
    ),
    "dsr": (dsr, dsr_grammar.DsrCommand, dsr_grammar.OPTIONS),
    "network": (network_grammar.parse, network_grammar.NetworkCommand, network_grammar.OPTIONS),
}
EVERY_SUB = sorted(
    (command, sub) for command, (_, union, _) in GRAMMARS.items() for sub in sub_commands(union)
)


@pytest.mark.parametrize(("command", "sub"), EVERY_SUB)
def test_every_sub_command_refuses_an_option_it_does_not_take(command: str, sub: str) -> None:
    read, _, _ = GRAMMARS[command]
    message = refusal(read, f"{sub} 12 some words --nosuch 01/10/2026 more words")
    assert f"I don't know the option --nosuch for `/{command} " in message, message
    assert "01/10/2026" not in message.split("\n")[0]


@settings(deadline=None, max_examples=200)
@given(
    command=st.sampled_from(sorted(GRAMMARS)),
    words=st.lists(st.sampled_from(["12", "DSR-0042", "@sam.patel", "red", "why", "today"])),
    option=st.from_regex(r"[a-z][a-z-]{0,12}", fullmatch=True),
)
def test_an_unknown_option_anywhere_is_refused_never_kept(
    command: str, words: list[str], option: str
) -> None:
    read, union, options = GRAMMARS[command]
    for sub in sub_commands(union):
        if option in options.get(sub, ()) or any(option in o for o in options.values()):
            continue
        text = " ".join([sub, *words, f"--{option}", "kept?"])
        try:
            parsed = read(text)
        except UserError:
            continue
        assert f"--{option}" not in repr(parsed), (text, parsed)


def test_the_refusal_says_which_commands_take_the_option() -> None:
    message = refusal(dsr, 'rate DSR-0042 amber "why" --consent parental')
    assert message == (
        "I don't know the option --consent for `/dsr rate`. It is an option of `/dsr add` and "
        "`/dsr support`.\n"
        "Options of /dsr rate: --on."
    )
    assert "/dsr show takes no options" in refusal(dsr, "show DSR-0042 --on today")
    assert "Options of /action assign: --agency." in refusal(
        GRAMMARS["action"][0], "assign @sam.patel Send it by Friday --owner @jo"
    )


def test_an_option_inside_double_quotes_is_text() -> None:
    command = dsr('rate DSR-0042 amber "Agreed --on advice from CAMHS"')
    assert isinstance(command, Rate)
    assert (command.rationale, command.on) == ("Agreed --on advice from CAMHS", None)


@pytest.mark.parametrize("dash", ["—", "–", "--"])
def test_an_option_typed_with_an_em_or_en_dash_is_an_option(dash: str) -> None:
    command = dsr(f'rate DSR-0042 amber "Placement at risk" {dash}on 01/10/2026')
    assert isinstance(command, Rate)
    assert (command.rationale, command.on) == ("Placement at risk", date(2026, 10, 1))
    assert "I don't know the option --until" in refusal(
        dsr, f'rate DSR-0042 amber "x" {dash}until 1/10'
    )


def test_option_names_are_read_in_any_case() -> None:
    command = dsr("add DSR-0100 --Age-Band under-18 --EHCP --consent parental --consent-date today")
    assert isinstance(command, Add) and command.ehcp


# -- --on DATE ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'rate DSR-0042 amber "Placement at risk" --on 01/10/2026',
        'rate DSR-0042 amber --on 01/10/2026 "Placement at risk"',
        "rate DSR-0042 amber Placement at risk --on 1 Oct",
    ],
)
def test_rate_on_an_earlier_day(text: str) -> None:
    assert dsr(text) == Rate(
        reference="DSR-0042", rating="amber", rationale="Placement at risk", on=date(2026, 10, 1)
    )


def test_add_and_keyworker_on_an_earlier_day() -> None:
    added = dsr(f"{ADD} --on 21/11/2026")
    assert isinstance(added, Add) and added.on == date(2026, 11, 21)
    keyworker = dsr("keyworker DSR-0042 @kim.lee --on yesterday")
    assert isinstance(keyworker, Keyworker) and keyworker.on == date(2026, 11, 22)
    assert dsr("keyworker DSR-0042 @kim.lee") == Keyworker(
        reference="DSR-0042", person=keyworker.person
    )
    stepped = dsr('step-down DSR-0042 --on 20/11 "Settled"')
    assert stepped == StepDown(reference="DSR-0042", on=date(2026, 11, 20), note="Settled")


def test_on_is_never_in_the_future_nor_further_back_than_the_policy_allows() -> None:
    assert "is in the future" in refusal(dsr, 'rate DSR-0042 red "x" --on tomorrow')
    message = refusal(dsr, 'rate DSR-0042 red "x" --on 22/11/2024')
    assert "is before 23/11/2024, the earliest day I can record here" in message
    assert isinstance(dsr('rate DSR-0042 red "x" --on 23/11/2024'), Rate)
    shorter = refusal(lambda t: dsr(t, backdate_months=6), 'rate DSR-0042 red "x" --on 01/05/2026')
    assert "is before 23/05/2026" in shorter


def test_an_admission_further_back_than_the_limit_needs_confirm() -> None:
    message = refusal(dsr, 'admit DSR-0042 01/03/2020 --setting "Oak Ward"')
    assert "01/03/2020 is before 23/11/2024" in message
    assert "--confirm: /dsr admit DSR-0042 01/03/2020 --setting NAME --confirm" in message
    admitted = dsr('admit DSR-0042 01/03/2020 --setting "Oak Ward" --confirm')
    assert isinstance(admitted, Admit) and admitted.admitted_on == date(2020, 3, 1)
    assert "confirm" in dsr_grammar.OPTIONS["admit"]
