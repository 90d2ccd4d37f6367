"""What people can type after `/network`, and what they are told when it doesn't make sense."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from commands.network.grammar import (
    Add,
    Close,
    Help,
    Keyworker,
    NetworkCommand,
    Open,
    Remove,
    Show,
    parse,
)
from tests.unit.grammar_checks import command_or_kind_refusal


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        parse(text)
    return str(caught.value)


# -- open -------------------------------------------------------------------------


def test_open_with_a_keyworker() -> None:
    command = parse("open DSR-0042 --keyworker @kim.lee")

    assert isinstance(command, Open)
    assert command.reference == "DSR-0042"
    assert command.keyworker is not None
    assert command.keyworker.kind == "handle"
    assert command.keyworker.value == "kim.lee"


def test_open_without_a_keyworker_and_the_reference_in_capitals() -> None:
    assert parse("open dsr-0042") == Open(reference="DSR-0042", keyworker=None)


def test_open_with_a_keyworker_named_by_slack_mention() -> None:
    command = parse("open DSR-0042 --keyworker <@U0123ABC|kim>")

    assert isinstance(command, Open)
    assert command.keyworker is not None
    assert command.keyworker.value == "U0123ABC"


@pytest.mark.parametrize(
    "line",
    ["open Jane Smith", "open Jane Smith --keyworker @kim.lee", "open", "open J"],
)
def test_open_with_something_other_than_a_register_reference_is_refused(line: str) -> None:
    message = refusal(line)

    assert "register reference" in message
    assert "never a name" in message
    assert "/network open DSR-0042" in message


def test_open_with_two_keyworkers_asks_for_one() -> None:
    assert "Name one person" in refusal("open DSR-0042 --keyworker @kim.lee @sam.patel")


def test_open_with_an_empty_keyworker_option_asks_for_one() -> None:
    assert "Name one person" in refusal("open DSR-0042 --keyworker")


# -- add, remove, keyworker, show ------------------------------------------------------


def test_add_several_people_with_a_role() -> None:
    command = parse('add @a @b --role "SENCo"')

    assert isinstance(command, Add)
    assert [p.value for p in command.people] == ["a", "b"]
    assert command.role == "SENCo"


def test_add_people_separated_by_commas_in_mixed_forms() -> None:
    command = parse("add @sam.patel, jo@council.gov.uk,<@U0123ABC|kim>")

    assert isinstance(command, Add)
    assert [(p.kind, p.value) for p in command.people] == [
        ("handle", "sam.patel"),
        ("email", "jo@council.gov.uk"),
        ("platform", "U0123ABC"),
    ]
    assert command.role is None


def test_add_with_someone_who_is_not_a_mention_says_who_was_not_understood() -> None:
    message = refusal("add @sam.patel Jo Hughes")

    assert "'Jo'" in message
    assert "@mentions or email" in message


def test_add_nobody_asks_for_someone() -> None:
    assert "at least one person" in refusal("add")


def test_add_with_an_empty_role_asks_what_it_is() -> None:
    assert "what the role is" in refusal('add @a --role ""')


def test_remove_one_person() -> None:
    command = parse("remove @sam.patel")

    assert isinstance(command, Remove)
    assert command.person.value == "sam.patel"


def test_remove_two_people_at_once_is_refused() -> None:
    assert "Name one person" in refusal("remove @a @b")


def test_name_a_keyworker_by_email() -> None:
    command = parse("keyworker Kim@Council.gov.uk")

    assert isinstance(command, Keyworker)
    assert command.person.value == "kim@council.gov.uk"


def test_show() -> None:
    assert parse("show") == Show()


# -- close ---------------------------------------------------------------------------


def test_close_with_reason_then_note() -> None:
    command = parse('close --reason stepped-down "Outcomes met"')

    assert command == Close(reason="stepped-down", note="Outcomes met")


def test_close_with_note_then_reason() -> None:
    assert parse('close "Moved to another area" --reason moved') == Close(
        reason="moved", note="Moved to another area"
    )


def test_close_reason_ignores_capitals() -> None:
    command = parse("close --reason Other Family asked for it to end")

    assert command == Close(reason="other", note="Family asked for it to end")


@pytest.mark.parametrize(
    "line",
    ['close --reason retired "Outcomes met"', 'close "Outcomes met"', "close"],
)
def test_close_without_a_known_reason_lists_the_three_reasons(line: str) -> None:
    message = refusal(line)

    for reason in ("stepped-down", "moved", "other"):
        assert reason in message


def test_close_without_a_note_asks_for_one() -> None:
    message = refusal("close --reason moved")

    assert "closing note" in message


# -- help and unknown -------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "  ", "help", "Help"])
def test_nothing_or_help_shows_help(line: str) -> None:
    assert parse(line) == Help()


def test_an_unknown_sub_command_points_to_help() -> None:
    message = refusal("archive DSR-0042")

    assert "/network archive" in message
    assert "/network help" in message


# -- never a crash ----------------------------------------------------------------------

VOCABULARY = [
    "open",
    "add",
    "remove",
    "keyworker",
    "show",
    "close",
    "help",
    "DSR-0042",
    "dsr-1",
    "--keyworker",
    "--role",
    "--reason",
    "--",
    "stepped-down",
    "moved",
    "other",
    "@kim.lee",
    "@a",
    "sam@x.org",
    "<@U0123ABC|sam>",
    "<mailto:a@b.org|a@b.org>",
    '"SENCo"',
    '"',
    "'",
    "“",
    "”",
    ",",
    "Jane",
    "²",
    "\t",
    "\n",
    "\u00a0",
    "x" * 600,
]

token_lines = st.lists(
    st.sampled_from(VOCABULARY) | st.text(max_size=6), min_size=0, max_size=12
).map(" ".join)


def _model_or_user_error(text: str) -> None:
    command_or_kind_refusal(parse, text, union=NetworkCommand)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(token_lines)
def test_any_mix_of_command_words_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["open", "add", "remove", "keyworker", "close"]), token_lines)
def test_any_words_after_a_sub_command_give_a_command_or_a_kind_refusal(
    sub: str, rest: str
) -> None:
    _model_or_user_error(f"{sub} {rest}")


# -- opening with members, adding by reference ----------------------------------------


def test_open_can_name_the_first_members_so_a_teams_group_chat_can_start() -> None:
    command = parse("open DSR-0042 --members sam.patel@example.org <@U0SAM>")
    assert isinstance(command, Open)
    assert command.reference == "DSR-0042"
    assert [p.value for p in command.members] == ["sam.patel@example.org", "U0SAM"]


def test_add_can_name_the_network_when_typed_outside_its_space() -> None:
    command = parse("add sam.patel@example.org --network dsr-0042")
    assert isinstance(command, Add)
    assert command.reference == "DSR-0042"
    assert "register reference" in refusal("add sam.patel@example.org --network not a ref!")
