"""What people can type after `/cetr`, and what they are told when it doesn't make sense."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from commands.cetr.grammar import (
    CetrCommand,
    Help,
    ListReviews,
    Rec,
    RecMany,
    Record,
    ReportSent,
    Show,
    missing_panel,
    parse,
    parse_held_date,
)
from tests.unit.grammar_checks import command_or_kind_refusal

# Monday 23 November 2026.
TODAY = date(2026, 11, 23)
CALENDAR = WorkingCalendar()
PANEL = '--chair @priya.shah --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'


def read(text: str, *, today: date = TODAY) -> CetrCommand:
    return parse(text, today=today, calendar=CALENDAR)


def refusal(text: str) -> str:
    with pytest.raises(UserError) as caught:
        read(text)
    return str(caught.value)


def recorded(text: str) -> Record:
    command = read(text)
    assert isinstance(command, Record), command
    return command


# -- record -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("community-cetr", "community-cetr"),
        ("cetr", "community-cetr"),
        ("CETR", "community-cetr"),
        ("C(E)TR", "community-cetr"),
        ("community", "community-cetr"),
        ("community-ctr", "community-ctr"),
        ("ctr", "community-ctr"),
        ("Inpatient", "inpatient"),
        ("in-patient", "inpatient"),
        ("post-admission", "post-admission"),
        ("Post_Admission", "post-admission"),
        ("laep", "laep"),
        ("LAEP", "laep"),
    ],
)
def test_review_types_in_friendly_spellings(typed: str, kind: str) -> None:
    assert recorded(f"record {typed} 20/11 {PANEL}").kind == kind


def test_a_complete_record_is_read_in_full() -> None:
    command = recorded(f"record inpatient 20/11 {PANEL} --delegated --secure")
    assert command.held_on == date(2026, 11, 20)
    assert (command.chair.kind, command.chair.value) == ("handle", "priya.shah")
    assert command.clinical_expert == "Dr A Khan"
    assert command.expert_by_experience == "R Jones"
    assert command.delegated and command.secure


def test_options_may_come_in_any_order_and_names_need_no_quotes() -> None:
    command = recorded(
        "record cetr 20 Nov --expert-by-experience R Jones --delegated "
        "--clinical-expert Dr A Khan --chair priya.shah@example.org"
    )
    assert command.held_on == date(2026, 11, 20)
    assert command.chair.value == "priya.shah@example.org"
    assert (command.clinical_expert, command.expert_by_experience) == ("Dr A Khan", "R Jones")
    assert command.delegated and not command.secure


@pytest.mark.parametrize(
    ("typed", "held"),
    [
        ("today", TODAY),
        ("yesterday", date(2026, 11, 22)),
        ("20/11", date(2026, 11, 20)),
        ("20/11/2026", date(2026, 11, 20)),
        ("20 Nov", date(2026, 11, 20)),
        ("Fri 20 Nov", date(2026, 11, 20)),
        ("2/3/2025", date(2025, 3, 2)),
    ],
)
def test_held_dates_are_today_or_before(typed: str, held: date) -> None:
    assert recorded(f"record cetr {typed} {PANEL}").held_on == held


def test_a_december_date_typed_in_january_is_last_december() -> None:
    command = read(f"record cetr 18/12 {PANEL}", today=date(2027, 1, 5))
    assert isinstance(command, Record)
    assert command.held_on == date(2026, 12, 18)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Friday", "Fri 27 Nov is in the future"),
        ("tomorrow", "Tue 24 Nov is in the future"),
        ("25/11", "Wed 25 Nov is in the future"),
        ("1/12/2026", "Tue 1 Dec is in the future"),
    ],
)
def test_a_future_held_date_is_refused(typed: str, shown: str) -> None:
    said = refusal(f"record cetr {typed} {PANEL}")
    assert shown in said
    assert "held" in said


def test_an_unreadable_or_missing_held_date_says_which_forms_work() -> None:
    said = refusal(f"record cetr last week sometime {PANEL}")
    assert 'couldn\'t read "last week sometime"' in said
    assert "20/11/2026" in said
    assert "Please give the date the review was held" in refusal(f"record cetr {PANEL}")


def test_an_unknown_type_lists_the_types() -> None:
    said = refusal(f"record annual-review 20/11 {PANEL}")
    assert "I don't know the review type 'annual-review'" in said
    assert "community-cetr, community-ctr, inpatient, post-admission, laep" in said


def test_no_type_at_all_says_what_to_type() -> None:
    assert "Say which kind of review" in refusal(f"record {PANEL}")


def test_a_missing_chair_is_named_with_its_option() -> None:
    said = refusal('record cetr 20/11 --clinical-expert "A" --expert-by-experience "B"')
    assert "without a chair (--chair @person)" in said


def test_every_missing_panel_member_is_named_at_once() -> None:
    said = refusal("record inpatient 20/11")
    assert "a chair (--chair @person)" in said
    assert 'a clinical expert (--clinical-expert "Name")' in said
    assert 'an expert by experience (--expert-by-experience "Name")' in said


def test_a_laep_meeting_needs_only_a_chair() -> None:
    command = recorded("record laep today --chair @priya.shah")
    assert command.kind == "laep"
    assert command.clinical_expert is None and command.expert_by_experience is None
    assert "without a chair" in refusal("record laep today")


def test_missing_panel_rule() -> None:
    assert (
        missing_panel("laep", has_chair=True, clinical_expert=None, expert_by_experience=None) == []
    )
    assert (
        len(
            missing_panel(
                "inpatient", has_chair=True, clinical_expert="A", expert_by_experience=None
            )
        )
        == 1
    )


def test_a_chair_that_isnt_a_person_is_refused() -> None:
    said = refusal(
        "record cetr 20/11 --chair Priya Shah --clinical-expert A --expert-by-experience B"
    )
    assert "--chair takes one person" in said


def test_an_empty_expert_name_is_refused() -> None:
    assert "--clinical-expert needs a name" in refusal(
        "record cetr 20/11 --chair @p --clinical-expert --expert-by-experience B"
    )


def test_secure_is_only_for_inpatient_reviews() -> None:
    assert "--secure is for inpatient" in refusal(f"record community-cetr 20/11 {PANEL} --secure")
    assert recorded(f"record post-admission 20/11 {PANEL} --secure").secure


def test_unknown_options_are_named() -> None:
    assert "I don't know the option --venue" in refusal(f"record cetr 20/11 {PANEL} --venue Hall")


# -- rec ------------------------------------------------------------------------


def test_rec_reads_like_action_assign() -> None:
    command = read("rec 3 @sam.patel Review the medication plan by 18/12 --agency CAMHS")
    assert isinstance(command, Rec)
    assert (command.cetr_id, command.owner.value, command.text, command.due, command.agency) == (
        3,
        "sam.patel",
        "Review the medication plan",
        date(2026, 12, 18),
        "CAMHS",
    )


@pytest.mark.parametrize("owner", ["<@U0123ABC|jo.hughes>", "<@U0123ABC>", "<@W0123ABC|jo.hughes>"])
def test_rec_reads_slacks_mentions_escaped_or_not(owner: str) -> None:
    """With should_escape, Slack sends <@U…|name>: its bar is not the bulk form's."""
    command = read(f"rec 1 {owner} Confirm the short-break offer by 18/12")
    assert isinstance(command, Rec)
    assert (command.owner.kind, command.owner.value[1:]) == ("platform", "0123ABC")
    assert (command.text, command.due) == ("Confirm the short-break offer", date(2026, 12, 18))


def test_several_recommendations_with_slacks_escaped_mentions() -> None:
    command = read(
        "rec 1\n<@U0123ABC|jo.hughes> | Confirm the short-break offer | 18/12\n"
        "<@U0456DEF|sam.patel> | Review the plan | Friday | CAMHS"
    )
    assert isinstance(command, RecMany)
    first, second = command.lines
    assert (first.error, second.error) == (None, None)
    assert first.owner is not None and first.owner.value == "U0123ABC"
    assert first.text == "Confirm the short-break offer"
    assert second.owner is not None and second.owner.value == "U0456DEF"
    assert (second.due, second.agency) == (date(2026, 11, 27), "CAMHS")


def test_rec_errors_give_a_cetr_example() -> None:
    said = refusal("rec 3 Review the plan by Friday")
    assert "Start with the person who will own" in said
    assert "/cetr rec 3 @sam.patel" in said and "/action assign" not in said
    assert "needs a due date" in refusal("rec 3 @sam.patel Review the plan")
    assert "has already passed" in refusal("rec 3 @sam.patel Review the plan by 1/1/2026")


def test_rec_needs_a_review_number() -> None:
    assert "I need the review number" in refusal("rec @sam.patel Review by Friday")
    assert "Give the recommendation" in refusal("rec 3")


def test_several_recommendations_one_a_line() -> None:
    command = read(
        "rec #3\n@sam.patel | Review the plan | 18/12\n\n"
        "jo.hughes@example.org | Book a meeting | Friday | Children's Social Care\n"
    )
    assert isinstance(command, RecMany)
    assert (command.cetr_id, command.confirm) == (3, False)
    first, second = command.lines
    assert (first.number, first.owner and first.owner.value, first.text, first.due) == (
        1,
        "sam.patel",
        "Review the plan",
        date(2026, 12, 18),
    )
    assert (second.number, second.due, second.agency) == (
        2,
        date(2026, 11, 27),
        "Children's Social Care",
    )
    assert first.error is None and second.error is None


def test_confirm_is_read_on_the_first_line() -> None:
    command = read("rec 3 --confirm\n@sam.patel | Review the plan | 18/12")
    assert isinstance(command, RecMany) and command.confirm


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("@sam.patel Review the plan by 18/12", "three parts separated by |"),
        ("@sam.patel | Review the plan", "three parts separated by |"),
        ("Sam Patel | Review the plan | 18/12", "I couldn't tell who 'Sam Patel' is"),
        ("| Review the plan | 18/12", "Start with the person"),
        ("@sam.patel |  | 18/12", "Please say what the recommendation is"),
        ("@sam.patel | Review the plan | ", "needs a due date"),
        ("@sam.patel | Review the plan | 1/1/2026", "has already passed"),
        ("@sam.patel | Review the plan | someday", 'couldn\'t read "someday"'),
        ("@sam.patel | Review the plan | 18/12 | ", "agency, is empty"),
    ],
)
def test_a_bad_line_is_reported_on_its_own_line_number(line: str, said: str) -> None:
    command = read(f"rec 3\n@jo.hughes | Book a meeting | Friday\n{line}")
    assert isinstance(command, RecMany)
    good, bad = command.lines
    assert good.error is None
    assert bad.number == 2 and bad.error is not None and said in bad.error, bad.error


def test_too_many_lines_are_refused() -> None:
    lines = "\n".join("@sam.patel | Ring | Friday" for _ in range(31))
    assert "at most 30" in refusal(f"rec 3\n{lines}")


# -- show, list, report-sent, help -------------------------------------------------


def test_show_list_report_sent_and_help() -> None:
    assert read("show 3") == Show(cetr_id=3)
    assert read("SHOW #3") == Show(cetr_id=3)
    assert read("list") == ListReviews()
    assert read("report-sent 3 today") == ReportSent(cetr_id=3, sent_on=TODAY)
    assert read("report-sent 3 20/11/2026") == ReportSent(cetr_id=3, sent_on=date(2026, 11, 20))
    assert read("") == Help()
    assert read("help") == Help()


def test_show_list_report_sent_refusals() -> None:
    assert "I need the review number" in refusal("show three")
    assert "takes only the review number" in refusal("show 3 please")
    assert "takes nothing after it" in refusal("list mine")
    assert "Please give the date the report was sent" in refusal("report-sent 3")
    assert "is in the future" in refusal("report-sent 3 tomorrow")
    assert "I don't know `/cetr schedule`" in refusal("schedule 3")


def test_parse_held_date_directly() -> None:
    assert parse_held_date("yesterday", today=TODAY, calendar=CALENDAR, what="x") == date(
        2026, 11, 22
    )
    with pytest.raises(UserError, match="more than 2 years ago"):
        parse_held_date("1/1/2020", today=TODAY, calendar=CALENDAR, what="x")


# -- any text -----------------------------------------------------------------------

VOCABULARY = [
    "record",
    "rec",
    "show",
    "list",
    "report-sent",
    "help",
    "cetr",
    "ctr",
    "inpatient",
    "laep",
    "post-admission",
    "--chair",
    "--clinical-expert",
    "--expert-by-experience",
    "--delegated",
    "--secure",
    "--confirm",
    "--agency",
    "@sam.patel",
    "sam@x.org",
    "<@U0123ABC>",
    "|",
    "\n",
    "by",
    "today",
    "yesterday",
    "Friday",
    "20/11",
    "31/02",
    "13/13",
    "18/12/2026",
    "20 Nov",
    "3",
    "#3",
    "0",
    "999999999",
    '"',
    "“",
    "²",
    "-",
    "\t",
    "\u00a0",
    "x" * 600,
]

token_lines = st.lists(
    st.sampled_from(VOCABULARY) | st.text(max_size=6), min_size=0, max_size=16
).map(" ".join)


def _model_or_user_error(text: str) -> None:
    command_or_kind_refusal(read, text, union=CetrCommand)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(token_lines)
def test_any_mix_of_command_words_gives_a_command_or_a_kind_refusal(text: str) -> None:
    _model_or_user_error(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["record", "rec", "show", "report-sent"]), token_lines)
@example("rec", "3\n²")
@example("record", "cetr 20/11 --chair")
def test_any_words_after_a_sub_command_give_a_command_or_a_kind_refusal(
    sub: str, rest: str
) -> None:
    _model_or_user_error(f"{sub} {rest}")
