"""What people can type after `/action`, and what they are told when it doesn't make sense."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from commands.action.grammar import (
    ActionCommand,
    Assign,
    Cancel,
    Done,
    Due,
    Help,
    ListActions,
    Reassign,
    Show,
    Update,
    parse,
)
from tests.unit.grammar_checks import command_or_kind_refusal

# Monday 23 November 2026.
TODAY = date(2026, 11, 23)
CALENDAR = WorkingCalendar()
FRIDAY = date(2026, 11, 27)


def read(text: str) -> ActionCommand:
    return parse(text, today=TODAY, calendar=CALENDAR)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        read(text)
    return str(caught.value)


def assigned(text: str) -> Assign:
    command = read(text)
    assert isinstance(command, Assign), command
    return command


# -- assign: who ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("@sam.patel", "handle", "sam.patel"),
        ("sam@x.org", "email", "sam@x.org"),
        ("Sam@X.org", "email", "sam@x.org"),
        ("<@U0123ABC|sam>", "platform", "U0123ABC"),
        ("<@U0123ABC>", "platform", "U0123ABC"),
        ("<mailto:a@b.org|a@b.org>", "email", "a@b.org"),
    ],
)
def test_assign_names_the_owner_in_any_mention_form(typed: str, kind: str, value: str) -> None:
    command = assigned(f"assign {typed} Send the EHCP draft to the family by Friday")

    assert command.owner.kind == kind
    assert command.owner.value == value
    assert command.owner.typed == typed
    assert command.text == "Send the EHCP draft to the family"
    assert command.due == FRIDAY


def test_assign_without_an_owner_asks_for_a_mention_or_email() -> None:
    message = refusal("assign Send the draft by Friday")

    assert "@mention or email" in message
    assert "For example: /action assign @sam.patel" in message


def test_assign_with_nothing_after_it_asks_for_the_owner() -> None:
    assert "@mention or email" in refusal("assign")


# -- assign: what and when --------------------------------------------------------


def test_only_the_last_by_that_reads_as_a_date_starts_the_due_date() -> None:
    command = assigned("assign @sam Ring Sam by the school gate by Friday")

    assert command.text == "Ring Sam by the school gate"
    assert command.due == FRIDAY


def test_by_at_any_case_is_understood() -> None:
    command = assigned("assign @sam Ring the school BY Friday")

    assert command.text == "Ring the school"
    assert command.due == FRIDAY


def test_a_numeric_date_is_read_day_first() -> None:
    command = assigned("assign @sam Book the review meeting by 12/12")

    assert command.due == date(2026, 12, 12)


def test_a_weekend_due_date_is_kept_with_a_note() -> None:
    command = assigned("assign @sam Ring Sam by Saturday")

    assert command.due == date(2026, 11, 28)
    assert command.due_note is not None
    assert "weekend" in command.due_note
    assert "Mon 30 Nov" in command.due_note


def test_a_weekday_due_date_has_no_note() -> None:
    assert assigned("assign @sam Ring Sam by Friday").due_note is None


def test_assign_without_by_says_every_action_needs_a_due_date() -> None:
    message = refusal("assign @sam.patel Send the EHCP draft to the family")

    assert "`by`" in message
    assert "due date" in message


def test_assign_with_only_a_date_asks_what_the_action_is() -> None:
    assert "what the action is" in refusal("assign @sam by Friday")


def test_a_date_in_the_past_is_refused_saying_it_has_passed() -> None:
    message = refusal("assign @sam Ring the school by 20/11/2026")

    assert "Fri 20 Nov has already passed" in message
    assert "from today onwards" in message


def test_an_unreadable_date_lists_the_forms_that_are_understood() -> None:
    message = refusal("assign @sam Ring the school by the blue moon")

    assert "couldn't read" in message
    for form in ("12/12", "12 Dec", "Friday", "tomorrow", "in 2 weeks"):
        assert form in message


def test_an_impossible_date_says_why() -> None:
    assert "There's no 31 February 2027" in refusal("assign @sam Ring by 31/2/2027")


def test_an_action_of_five_thousand_characters_is_refused_counting_characters() -> None:
    message = refusal("assign @sam " + "x" * 5000 + " by Friday")

    assert "5,000 characters" in message
    assert "case record" in message


def test_action_text_spacing_is_tidied() -> None:
    command = assigned("assign @sam   Ring    the\tschool  by Friday")

    assert command.text == "Ring the school"


# -- assign: --agency -------------------------------------------------------------


def test_agency_at_the_end() -> None:
    command = assigned('assign @sam Ring Sam by Friday --agency "SEN Team"')

    assert command.agency == "SEN Team"
    assert command.text == "Ring Sam"
    assert command.due == FRIDAY


def test_agency_at_the_end_needs_no_quotes() -> None:
    assert assigned("assign @sam Ring Sam by Friday --agency SEN Team").agency == "SEN Team"


@pytest.mark.parametrize(
    "line",
    [
        'assign @sam --agency "SEN Team" Ring Sam by Friday',
        'assign --agency "SEN Team" @sam Ring Sam by Friday',
        'assign @sam Ring Sam --agency "SEN Team" by Friday',
    ],
    ids=["after-owner", "before-owner", "inside-the-action"],
)
def test_a_quoted_agency_can_go_anywhere(line: str) -> None:
    # pop_options says options may appear anywhere; a quoted value ends at its
    # closing quote, and the words after it are still the action.
    command = assigned(line)

    assert command.agency == "SEN Team"
    assert command.owner.value == "sam"
    assert command.text == "Ring Sam"
    assert command.due == FRIDAY


def test_agency_without_a_name_asks_for_one() -> None:
    assert "--agency needs a name" in refusal("assign @sam Ring Sam by Friday --agency")


def test_an_unknown_option_is_refused_naming_the_known_ones() -> None:
    message = refusal("assign @sam Ring Sam by Friday --urgent yes")

    assert "--urgent" in message
    assert "--agency" in message


def test_an_option_given_twice_is_refused() -> None:
    assert "twice" in refusal("assign @sam Ring by Friday --agency CAMHS --agency YOS")


# -- list -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "scope"),
    [
        ("list", "open"),
        ("list mine", "mine"),
        ("list overdue", "overdue"),
        ("list all", "all"),
        ("LIST Mine", "mine"),
    ],
)
def test_list_scopes(line: str, scope: str) -> None:
    command = read(line)

    assert isinstance(command, ListActions)
    assert command.scope == scope
    assert command.person is None


def test_list_someones_actions() -> None:
    command = read("list @jo.hughes")

    assert isinstance(command, ListActions)
    assert command.scope == "person"
    assert command.person is not None
    assert command.person.value == "jo.hughes"


def test_list_something_else_says_what_can_be_listed() -> None:
    message = refusal("list everything please")

    assert "`mine`, `overdue`, `all`" in message
    assert "'everything please'" in message


# -- show, done, update -----------------------------------------------------------


def test_show_by_number_with_or_without_hash() -> None:
    assert read("show 12") == Show(action_id=12)
    assert read("show #12") == Show(action_id=12)


def test_done_with_evidence() -> None:
    command = read("done 12 Rang the family; EHCP draft sent")

    assert command == Done(action_id=12, evidence="Rang the family; EHCP draft sent")


def test_done_with_a_hash_number_and_no_evidence() -> None:
    assert read("done #12") == Done(action_id=12, evidence=None)


def test_sub_commands_ignore_capitals() -> None:
    assert read("DONE 3") == Done(action_id=3)


@pytest.mark.parametrize("line", ["done", "done twelve", "done -3", "done " + "9" * 13])
def test_done_without_a_usable_number_asks_for_the_action_number(line: str) -> None:
    message = refusal(line)

    assert "action number" in message
    assert "/action done 12" in message


@pytest.mark.parametrize("line", ["done ²", "show ¹²", "cancel #³ duplicate"])
def test_superscript_digits_are_refused_kindly_not_a_crash(line: str) -> None:
    # str.isdigit() is True for "²" but int("²") raises ValueError.
    assert "action number" in refusal(line)


def test_update_keeps_the_note() -> None:
    command = read("update 4 Spoke to the school; meeting booked for Tuesday")

    assert command == Update(action_id=4, note="Spoke to the school; meeting booked for Tuesday")


def test_update_without_a_note_asks_for_one() -> None:
    assert "what the update is" in refusal("update 4")


# -- due --------------------------------------------------------------------------


def test_due_takes_the_date_then_the_reason() -> None:
    command = read("due 12 19/12 waiting for the panel date")

    assert isinstance(command, Due)
    assert command.action_id == 12
    assert command.due == date(2026, 12, 19)
    assert command.reason == "waiting for the panel date"
    assert command.due_note is not None  # a Saturday


def test_due_reads_a_date_of_several_words() -> None:
    command = read("due 12 next Friday school closed this week")

    assert isinstance(command, Due)
    assert command.due == date(2026, 12, 4)
    assert command.reason == "school closed this week"


def test_due_without_a_reason() -> None:
    command = read("due 12 in 2 weeks")

    assert isinstance(command, Due)
    assert command.due == date(2026, 12, 7)
    assert command.reason is None


def test_due_without_a_date_asks_for_one_and_lists_the_forms() -> None:
    message = refusal("due 12")

    assert "new due date" in message
    assert "12/12" in message


def test_due_with_an_unreadable_date_lists_the_forms() -> None:
    message = refusal("due 12 whenever suits")

    assert "couldn't read" in message
    assert "12/12" in message


def test_due_in_the_past_is_refused() -> None:
    assert "already passed" in refusal("due 12 1/1/2026 oops")


# -- reassign, cancel ---------------------------------------------------------------


def test_reassign_with_a_reason() -> None:
    command = read("reassign 12 @jo.hughes Jo now leads on housing")

    assert isinstance(command, Reassign)
    assert command.action_id == 12
    assert command.owner.value == "jo.hughes"
    assert command.reason == "Jo now leads on housing"


def test_reassign_to_an_email_without_a_reason() -> None:
    command = read("reassign #12 jo@council.gov.uk")

    assert isinstance(command, Reassign)
    assert command.owner.kind == "email"
    assert command.reason is None


def test_reassign_without_a_person_asks_who() -> None:
    assert "Who should own it now?" in refusal("reassign 12 Jo")


def test_cancel_with_a_reason() -> None:
    assert read("cancel 12 Duplicate of #14") == Cancel(action_id=12, reason="Duplicate of #14")


def test_cancel_without_a_reason_asks_why() -> None:
    message = refusal("cancel 12")

    assert "reason for cancelling" in message
    assert "/action cancel 12 Duplicate of #14" in message


# -- help and unknown -----------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "   ", "help", "HELP"])
def test_nothing_or_help_shows_help(line: str) -> None:
    assert read(line) == Help()


def test_an_unknown_sub_command_points_to_help() -> None:
    message = refusal("frobnicate 3")

    assert "/action frobnicate" in message
    assert "/action help" in message


# -- never a crash ----------------------------------------------------------------------

VOCABULARY = [
    "assign",
    "list",
    "show",
    "done",
    "update",
    "due",
    "reassign",
    "cancel",
    "help",
    "mine",
    "overdue",
    "all",
    "@sam",
    "@sam.patel",
    "sam@x.org",
    "<@U0123ABC|sam>",
    "<mailto:a@b.org|a@b.org>",
    "by",
    "BY",
    "Friday",
    "next",
    "tomorrow",
    "in",
    "2",
    "weeks",
    "working",
    "days",
    "end of month",
    "12/12",
    "31/2",
    "1/1/2020",
    "12 Dec",
    "--agency",
    "--reason",
    "--",
    '"',
    "'",
    "“",
    "”",
    '"SEN Team"',
    "#3",
    "#",
    "12",
    "0",
    "999999999",
    "²",
    "-",
    ",",
    "\t",
    "\n",
    "\u00a0",
    "x" * 600,
]

token_lines = st.lists(
    st.sampled_from(VOCABULARY) | st.text(max_size=6), min_size=0, max_size=14
).map(" ".join)


def _model_or_user_error(text: str) -> None:
    command_or_kind_refusal(read, text, union=ActionCommand)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(token_lines)
def test_any_mix_of_command_words_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["show", "done", "update", "due", "reassign", "cancel"]), token_lines)
@example("show", "²")
def test_any_words_after_a_sub_command_give_a_command_or_a_kind_refusal(
    sub: str, rest: str
) -> None:
    _model_or_user_error(f"{sub} {rest}")
