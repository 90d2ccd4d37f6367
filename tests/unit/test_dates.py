"""Reading due dates the way people in England type them, and showing them back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.dates import (
    ACCEPTED_FORMS,
    DateParseError,
    DueDate,
    format_day,
    format_day_year,
    format_numeric,
    parse_due_date,
    relative_tail,
)
from bot.errors import UserError

CAL = WorkingCalendar()
WED_2_DEC_2026 = date(2026, 12, 2)


def due(text: str, today: date = WED_2_DEC_2026) -> date:
    return parse_due_date(text, today=today, calendar=CAL).day


def refusal(text: str, today: date = WED_2_DEC_2026) -> str:
    with pytest.raises(DateParseError) as caught:
        parse_due_date(text, today=today, calendar=CAL)
    return str(caught.value)


# -- formatting ----------------------------------------------------------------


def test_format_day_is_short_and_has_no_leading_zero() -> None:
    assert format_day(date(2026, 12, 12)) == "Sat 12 Dec"
    assert format_day(date(2027, 3, 5)) == "Fri 5 Mar"


def test_format_day_year_adds_the_year_only_when_it_differs() -> None:
    assert format_day_year(date(2026, 12, 12), today=WED_2_DEC_2026) == "Sat 12 Dec"
    assert format_day_year(date(2027, 3, 5), today=WED_2_DEC_2026) == "Fri 5 Mar 2027"


def test_format_numeric_is_day_first() -> None:
    assert format_numeric(date(2027, 3, 5)) == "05/03/2027"
    assert format_numeric(date(2026, 12, 12)) == "12/12/2026"


# -- numeric dates (today is Wed 2 Dec 2026) ------------------------------------


@pytest.mark.parametrize(
    "text",
    ["12/12", "12/12/2026", "12-12-2026", "12.12.2026", "12/12/26", "2026-12-12", " 12/12. "],
)
def test_numeric_forms_of_12_december(text: str) -> None:
    assert due(text) == date(2026, 12, 12)


def test_numeric_dates_are_always_day_first() -> None:
    # 3 April, never 4 March.
    assert due("3/4/2027") == date(2027, 4, 3)
    assert due("3/4", date(2026, 3, 2)) == date(2026, 4, 3)


def test_a_year_less_date_that_has_passed_this_year_is_refused_with_next_years() -> None:
    assert due("2/12") == date(2026, 12, 2)
    # Typed on 3 December, "by 1/12" is a slip far more often than a date a year away.
    message = refusal("by 1/12", date(2026, 12, 3))
    assert message.startswith("Tue 1 Dec has already passed this year: did you mean 01/12/2027?")
    assert "type it with the year (01/12/2027)" in message
    assert "did you mean 03/04/2027?" in refusal("3/4")
    assert "did you mean 15/01/2027?" in refusal("15 Jan", date(2026, 12, 20))
    assert due("15/01/2027", date(2026, 12, 20)) == date(2027, 1, 15)


def test_a_date_that_has_passed_is_refused_with_examples() -> None:
    message = refusal("1/12/2026")
    assert message.startswith("Tue 1 Dec has already passed.")
    assert "from today onwards" in message
    assert "tomorrow" in message


def test_a_date_in_an_earlier_year_shows_the_year() -> None:
    assert refusal("12/12/2025").startswith("Fri 12 Dec 2025 has already passed.")


def test_31_february_is_not_a_real_date() -> None:
    message = refusal("31/02")
    assert "There's no 31 February 2027" in message
    assert "28 days" in message


def test_29_february_is_fine_in_a_leap_year_only() -> None:
    assert due("29/02/2028") == date(2028, 2, 29)
    assert "February 2027 has 28 days" in refusal("29/2/2027")


def test_month_first_dates_get_a_day_first_hint() -> None:
    message = refusal("12/13")
    assert "there's no month 13" in message
    assert "day first" in message
    assert "Did you mean 13/12?" in message


def test_exactly_two_years_ahead_is_allowed_but_not_further() -> None:
    assert due("2/12/2028") == date(2028, 12, 2)
    message = refusal("3/12/2028")
    assert message.startswith("Sun 3 Dec 2028 is more than 2 years away")


# -- month names ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "12 Dec",
        "12 December",
        "12th Dec",
        "12th of December",
        "the 12th of December",
        "Dec 12",
        "December 12th, 2026",
        "12 Dec 2026",
        "12 dec 26",
        "12 Dec.",
        "Sat 12 Dec",
        "Saturday, 12 December 2026",
        "SAT 12 DEC",
    ],
)
def test_month_name_forms_of_12_december(text: str) -> None:
    assert due(text) == date(2026, 12, 12)


def test_abbreviated_september_spellings() -> None:
    assert due("3 Sept", date(2026, 8, 1)) == date(2026, 9, 3)
    assert due("3 Sep 2027") == date(2027, 9, 3)


def test_a_weekday_that_contradicts_the_date_is_pointed_out() -> None:
    message = refusal("Fri 12 Dec 2026")
    assert message.startswith("12 Dec 2026 is a Saturday, not a Friday.")


def test_29_february_without_a_year_in_a_non_leap_year_is_explained() -> None:
    assert "There's no 29 February 2027" in refusal("29 Feb")


@pytest.mark.parametrize("text", ["12 Decembr", "12 Mayo", "12 Mon", "32 Dec", "Dec"])
def test_misspelt_or_impossible_month_name_dates_are_refused(text: str) -> None:
    refusal(text)


# -- relative forms --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 12, 2)),
        ("tomorrow", date(2026, 12, 3)),
        ("Friday", date(2026, 12, 4)),
        ("fri", date(2026, 12, 4)),
        ("Friday.", date(2026, 12, 4)),
        ("  FRIDAY  ", date(2026, 12, 4)),
        # A plain weekday is strictly after today: next Wednesday, not today.
        ("Wednesday", date(2026, 12, 9)),
        # "next" is that day in next week (Mon 7 – Sun 13 Dec).
        ("next Friday", date(2026, 12, 11)),
        ("next Monday", date(2026, 12, 7)),
        ("this Friday", date(2026, 12, 4)),
        ("this Wednesday", date(2026, 12, 2)),
        ("in 3 days", date(2026, 12, 5)),
        ("in a week", date(2026, 12, 9)),
        ("in 2 weeks", date(2026, 12, 16)),
        ("in two weeks", date(2026, 12, 16)),
        ("in 2 weeks' time", date(2026, 12, 16)),
        ("in a fortnight", date(2026, 12, 16)),
        ("in 1 month", date(2027, 1, 2)),
        ("next week", date(2026, 12, 7)),
        ("end of week", date(2026, 12, 4)),
        ("end of month", date(2026, 12, 31)),
        ("end of the month", date(2026, 12, 31)),
        ("EOM", date(2026, 12, 31)),
        ("end of next month", date(2027, 1, 31)),
        ("by Friday", date(2026, 12, 4)),
        ("on 12 Dec", date(2026, 12, 12)),
        # Relative forms with or without "by", and "within".
        ("by in 5 working days", date(2026, 12, 9)),
        ("within 5 working days", date(2026, 12, 9)),
        ("by within 2 weeks", date(2026, 12, 16)),
        ("by end of month", date(2026, 12, 31)),
    ],
)
def test_relative_forms_from_wednesday_2_december_2026(text: str, expected: date) -> None:
    assert due(text) == expected


def test_this_monday_when_monday_has_passed_is_refused() -> None:
    assert refusal("this Monday").startswith("Mon 30 Nov has already passed.")


@pytest.mark.parametrize(
    ("today", "plain", "next_"),
    [
        # Sat 5 Dec: this week is Mon 30 Nov – Sun 6 Dec, so both mean Fri 11 Dec.
        (date(2026, 12, 5), date(2026, 12, 11), date(2026, 12, 11)),
        # Sun 6 Dec: the same; "next Friday" is only 5 days away.
        (date(2026, 12, 6), date(2026, 12, 11), date(2026, 12, 11)),
        # Mon 7 Dec: "Friday" is this week's, "next Friday" the week after.
        (date(2026, 12, 7), date(2026, 12, 11), date(2026, 12, 18)),
        # Fri 11 Dec: "Friday" is a week today; "next Friday" the same day.
        (date(2026, 12, 11), date(2026, 12, 18), date(2026, 12, 18)),
    ],
)
def test_friday_and_next_friday_through_the_week(today: date, plain: date, next_: date) -> None:
    assert due("Friday", today) == plain
    assert due("next Friday", today) == next_


def test_end_of_week_at_the_weekend_is_the_coming_friday() -> None:
    assert due("end of week", date(2026, 12, 5)) == date(2026, 12, 11)  # Sat
    assert due("end of the week", date(2026, 12, 4)) == date(2026, 12, 4)  # Fri itself


def test_in_a_month_from_31_january_is_the_end_of_february() -> None:
    assert due("in 1 month", date(2027, 1, 31)) == date(2027, 2, 28)
    assert due("in 1 month", date(2028, 1, 31)) == date(2028, 2, 29)
    assert due("end of month", date(2028, 2, 10)) == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["in 5 working days", "5 working days", "in 5 business days"])
def test_five_working_days_over_christmas_2026(text: str) -> None:
    # From Wed 23 Dec 2026: Thu 24 (1); Fri 25 Christmas Day; Sat 26, Sun 27;
    # Mon 28 Boxing Day substitute; Tue 29 (2); Wed 30 (3); Thu 31 (4);
    # Fri 1 Jan New Year's Day; Sat 2, Sun 3; Mon 4 Jan 2027 (5).
    assert due(text, date(2026, 12, 23)) == date(2027, 1, 4)


def test_two_working_days_over_easter_2027() -> None:
    # From Wed 24 Mar 2027: Thu 25 (1); Fri 26 Good Friday; Sat 27, Sun 28;
    # Mon 29 Easter Monday; Tue 30 (2).
    assert due("in 2 working days", date(2027, 3, 24)) == date(2027, 3, 30)


@pytest.mark.parametrize("text", ["in 1000 days", "in 30 months", "in 99999999999999 weeks"])
def test_far_away_relative_dates_are_refused(text: str) -> None:
    assert "more than 2 years away" in refusal(text)


# -- notes on non-working days ---------------------------------------------------


def test_an_ordinary_working_day_has_no_note() -> None:
    assert parse_due_date("Friday", today=WED_2_DEC_2026, calendar=CAL) == DueDate(
        day=date(2026, 12, 4), note=None
    )


def test_a_weekend_date_is_kept_with_a_note() -> None:
    result = parse_due_date("12/12", today=WED_2_DEC_2026, calendar=CAL)
    assert result.day == date(2026, 12, 12)
    assert result.note == (
        "Sat 12 Dec is at the weekend; I've kept it, but people may not see it until Mon 14 Dec."
    )


def test_christmas_day_is_kept_with_the_holiday_named() -> None:
    result = parse_due_date("25/12", today=WED_2_DEC_2026, calendar=CAL)
    assert result.day == date(2026, 12, 25)
    assert result.note == (
        "Fri 25 Dec is a bank holiday (Christmas Day); I've kept it, "
        "but people may not see it until Tue 29 Dec."
    )


def test_boxing_day_2026_is_a_weekend_and_the_next_working_day_skips_the_substitute() -> None:
    note = parse_due_date("26/12", today=WED_2_DEC_2026, calendar=CAL).note
    assert note == (
        "Sat 26 Dec is at the weekend; I've kept it, but people may not see it until Tue 29 Dec."
    )


def test_substitute_bank_holiday_is_named() -> None:
    note = parse_due_date("28/12", today=WED_2_DEC_2026, calendar=CAL).note
    assert note is not None
    assert note.startswith("Mon 28 Dec is a bank holiday (Boxing Day substitute day);")


def test_a_note_in_another_year_shows_the_years() -> None:
    note = parse_due_date("1/1/2027", today=WED_2_DEC_2026, calendar=CAL).note
    assert note == (
        "Fri 1 Jan 2027 is a bank holiday (New Year's Day); I've kept it, "
        "but people may not see it until Mon 4 Jan 2027."
    )


# -- refusals ------------------------------------------------------------------


def test_unreadable_text_lists_the_accepted_forms() -> None:
    assert refusal("xyz") == (
        'I couldn\'t read "xyz" as a date. Try one of: 12/12, 12/12/2026, 12 Dec, Friday, '
        "next Friday, tomorrow, in 2 weeks, in 5 working days, end of month."
    )
    assert ", ".join(ACCEPTED_FORMS) in refusal("soon")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_date_asks_for_one(text: str) -> None:
    assert refusal(text).startswith("Please give a due date.")


@pytest.mark.parametrize(
    "text",
    [
        "3",
        "12",
        "may",
        "next",
        "in weeks",
        "in -2 days",
        "12/12/202",
        "1/2/3",
        "12//12",
        "12/12-2026",
        "friday 13th",
        "next month",
        "lunchtime",
        "٣/٤",  # non-ASCII digits
    ],
)
def test_garbage_is_refused_not_guessed(text: str) -> None:
    assert "couldn't read" in refusal(text)


def test_long_input_is_shortened_in_the_message() -> None:
    message = refusal("please could you make it due at some point after the holidays, thanks")
    assert '"please could you make it due at some po…"' in message


def test_date_parse_error_is_a_user_error() -> None:
    assert issubclass(DateParseError, UserError)


# -- properties ----------------------------------------------------------------

_TODAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))
_TOKENS = st.sampled_from(
    [
        "in", "next", "this", "end", "of", "the", "working", "business", "days", "day",
        "weeks", "fortnight", "months", "a", "two", "0", "1", "12", "31", "29", "2026", "26",
        "friday", "fri", "sat", "dec", "december", "feb", "sept", "/", "-", ".", ",", "'",
        "time", "by", "on", "due", "today", "tomorrow", "eom", "th", "st", "99999",
    ]
)  # fmt: skip
_GRAMMARISH = st.lists(_TOKENS, max_size=6).map(" ".join) | st.lists(_TOKENS, max_size=6).map(
    "".join
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_unexpected_errors_logged() -> Iterator[None]:
    """parse_due_date logs (then refuses) if something unexpected went wrong."""
    handler = _Collect()
    logger = logging.getLogger("bot.dates")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []


@settings(deadline=None, max_examples=300)
@given(text=st.text() | _GRAMMARISH, today=_TODAYS)
def test_any_text_gives_a_date_from_today_or_a_date_parse_error(text: str, today: date) -> None:
    with no_unexpected_errors_logged():
        try:
            result = parse_due_date(text, today=today, calendar=CAL)
        except DateParseError as error:
            assert error.message
        else:
            assert today <= result.day <= today + timedelta(days=731)  # at most 2 years on


@settings(deadline=None)
@given(today=_TODAYS, offset=st.integers(min_value=0, max_value=730))
def test_numeric_and_named_formats_read_back_to_the_same_day(today: date, offset: int) -> None:
    day = today + timedelta(days=offset)
    assert due(format_numeric(day), today) == day
    assert due(f"{format_day(day)} {day.year}", today) == day
    assert due(format_day_year(day, today=today), today) == day


@given(today=_TODAYS, n=st.integers(min_value=1, max_value=40))
def test_in_n_working_days_lands_on_a_working_day_n_working_days_on(today: date, n: int) -> None:
    day = due(f"in {n} working days", today)
    assert CAL.is_working_day(day)
    assert CAL.working_days_between(today, day) == n


# -- a relative date ending an action's text ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send the draft in 5 working days", ("Send the draft", "in 5 working days")),
        ("Send the draft within two weeks.", ("Send the draft", "within two weeks")),
        ("Ring Sam end of month", ("Ring Sam", "end of month")),
        ("Book it Next Friday", ("Book it", "Next Friday")),
        ("Chase it tomorrow", ("Chase it", "tomorrow")),
    ],
)
def test_a_relative_date_at_the_end_is_split_off(text: str, expected: tuple[str, str]) -> None:
    assert relative_tail(text) == expected


@pytest.mark.parametrize(
    "text", ["Send the draft", "in 5 working days", "Review the 5 working days rota", "Ask Friday"]
)
def test_other_endings_are_not_dates(text: str) -> None:
    assert relative_tail(text) is None
