"""Working days, bank holidays and service hours as people in England see them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calendar import ServiceHours, WorkingCalendar

CAL = WorkingCalendar()

# GOV.UK England and Wales bank holidays. When a holiday falls at the weekend
# the substitute weekday is the bank holiday, not the weekend day itself.
BANK_HOLIDAYS_2026 = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 4): "May Day",
    date(2026, 5, 25): "Spring Bank Holiday",
    date(2026, 8, 31): "Late Summer Bank Holiday",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 28): "Boxing Day (substitute day)",  # 26 Dec is a Saturday
}
BANK_HOLIDAYS_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 3): "May Day",
    date(2027, 5, 31): "Spring Bank Holiday",
    date(2027, 8, 30): "Late Summer Bank Holiday",
    date(2027, 12, 27): "Christmas Day (substitute day)",  # 25 Dec is a Saturday
    date(2027, 12, 28): "Boxing Day (substitute day)",  # 26 Dec is a Sunday
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def all_days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


# -- bank holidays -------------------------------------------------------------


@pytest.mark.parametrize("expected", [BANK_HOLIDAYS_2026, BANK_HOLIDAYS_2027])
def test_bank_holidays_match_the_gov_uk_list_exactly(expected: dict[date, str]) -> None:
    year = next(iter(expected)).year
    found = {day: CAL.bank_holiday_name(day) for day in all_days(year) if CAL.is_bank_holiday(day)}
    assert found == expected


@pytest.mark.parametrize(
    "weekend_day",
    [date(2026, 12, 26), date(2027, 12, 25), date(2027, 12, 26)],
)
def test_a_holiday_falling_at_the_weekend_is_just_a_weekend(weekend_day: date) -> None:
    assert not CAL.is_bank_holiday(weekend_day)
    assert CAL.bank_holiday_name(weekend_day) is None
    assert not CAL.is_working_day(weekend_day)


def test_ordinary_days_have_no_holiday_name() -> None:
    assert CAL.bank_holiday_name(date(2026, 12, 29)) is None


# -- working days --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),  # Thu, Christmas Eve is a normal working day
        (date(2026, 12, 25), False),  # Fri, Christmas Day
        (date(2026, 12, 26), False),  # Sat
        (date(2026, 12, 27), False),  # Sun
        (date(2026, 12, 28), False),  # Mon, Boxing Day substitute
        (date(2026, 12, 29), True),  # Tue
        (date(2027, 3, 29), False),  # Easter Monday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Thu 24 Dec 2026 → 25 Fri hol, 26/27 weekend, 28 Mon hol → Tue 29 Dec.
        (date(2026, 12, 24), date(2026, 12, 29)),
        # Thu 31 Dec 2026 → 1 Jan Fri hol, 2/3 weekend → Mon 4 Jan 2027.
        (date(2026, 12, 31), date(2027, 1, 4)),
        # Thu 25 Mar 2027 → 26 Good Friday, 27/28 weekend, 29 Easter Monday → Tue 30 Mar.
        (date(2027, 3, 25), date(2027, 3, 30)),
        # Strictly after: a working Monday moves on to Tuesday.
        (date(2026, 12, 7), date(2026, 12, 8)),
    ],
)
def test_next_working_day_skips_weekends_and_bank_holidays(day: date, expected: date) -> None:
    assert CAL.next_working_day(day) == expected


def test_five_working_days_from_23_december_2026_lands_on_4_january() -> None:
    # From Wed 23 Dec 2026: Thu 24 (1); Fri 25 Christmas; Sat 26, Sun 27; Mon 28
    # Boxing Day substitute; Tue 29 (2); Wed 30 (3); Thu 31 (4); Fri 1 Jan New
    # Year's Day; Sat 2, Sun 3; Mon 4 Jan 2027 (5).
    assert CAL.add_working_days(date(2026, 12, 23), 4) == date(2026, 12, 31)
    assert CAL.add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 4)
    assert CAL.working_days_between(date(2026, 12, 23), date(2027, 1, 4)) == 5


def test_working_days_across_easter_2027() -> None:
    # From Wed 24 Mar 2027: Thu 25 (1); Fri 26 Good Friday; Sat 27, Sun 28;
    # Mon 29 Easter Monday; Tue 30 (2); Wed 31 (3).
    assert CAL.add_working_days(date(2027, 3, 24), 3) == date(2027, 3, 31)
    assert CAL.working_days_between(date(2027, 3, 24), date(2027, 3, 31)) == 3


def test_zero_working_days_is_the_same_day_even_on_a_holiday() -> None:
    assert CAL.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_negative_working_days_count_backwards() -> None:
    # Back from Mon 4 Jan 2027: Thu 31 (1), Wed 30 (2), Tue 29 (3), Thu 24 (4), Wed 23 (5).
    assert CAL.add_working_days(date(2027, 1, 4), -5) == date(2026, 12, 23)
    assert CAL.add_working_days(date(2026, 12, 29), -1) == date(2026, 12, 24)


def test_working_days_between_counts_the_end_but_not_the_start() -> None:
    # Only Tue 29 Dec lies in (Thu 24, Tue 29].
    assert CAL.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert CAL.working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 0
    assert CAL.working_days_between(date(2026, 12, 24), date(2026, 12, 24)) == 0


def test_working_days_between_is_negative_when_the_end_is_earlier() -> None:
    assert CAL.working_days_between(date(2027, 1, 4), date(2026, 12, 23)) == -5


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
)
def test_adding_working_days_and_counting_them_agree(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    if n > 0:
        assert CAL.is_working_day(end)
    if CAL.is_working_day(start):
        assert CAL.add_working_days(end, -n) == start


def test_custom_service_weekdays_make_saturday_a_working_day() -> None:
    mon_to_sat = WorkingCalendar(hours=ServiceHours(weekdays=frozenset(range(6))))
    assert mon_to_sat.is_working_day(date(2026, 12, 12))  # Sat
    assert not mon_to_sat.is_working_day(date(2026, 12, 13))  # Sun
    # Boxing Day 2026 is a Saturday, but the bank holiday is Mon 28 Dec, so a
    # Monday-to-Saturday service is open on Sat 26 Dec.
    assert mon_to_sat.next_working_day(date(2026, 12, 24)) == date(2026, 12, 26)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": time(17), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
    ],
)
def test_nonsense_service_hours_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ServiceHours(**kwargs)  # type: ignore[arg-type]


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown timezone"):
        WorkingCalendar(timezone="Europe/Atlantis")


def test_timezone_is_london_by_default() -> None:
    assert CAL.tz == ZoneInfo("Europe/London")


# -- local time and British Summer Time ----------------------------------------


def test_local_date_late_evening_utc_in_summer_is_the_next_day() -> None:
    # 23:30 UTC on 30 Jun 2026 is 00:30 BST on 1 Jul.
    assert CAL.local_date(utc(2026, 6, 30, 23, 30)) == date(2026, 7, 1)
    # In winter London is on UTC, so the day does not change.
    assert CAL.local_date(utc(2026, 1, 15, 23, 30)) == date(2026, 1, 15)


def test_local_time_is_aware_and_in_london() -> None:
    local = CAL.local_time(utc(2026, 7, 1, 8, 0))
    assert local.tzinfo == ZoneInfo("Europe/London")
    assert (local.hour, local.minute) == (9, 0)


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        # Clocks went forward on Sun 29 Mar 2026: 08:30 UTC Mon 30 Mar is 09:30 BST.
        (utc(2026, 3, 30, 8, 30), True),
        # A week earlier, 08:30 UTC is 08:30 GMT: before opening.
        (utc(2026, 3, 23, 8, 30), False),
        # 16:30 UTC on Mon 30 Mar is 17:30 BST: closed.
        (utc(2026, 3, 30, 16, 30), False),
        # Clocks went back on Sun 25 Oct 2026: 08:30 UTC Fri 23 Oct is 09:30 BST…
        (utc(2026, 10, 23, 8, 30), True),
        # …but 08:30 UTC Mon 26 Oct is 08:30 GMT.
        (utc(2026, 10, 26, 8, 30), False),
        # 16:30 UTC Mon 26 Oct is 16:30 GMT: still open.
        (utc(2026, 10, 26, 16, 30), True),
        # 09:00 local is open, 17:00 local is closed.
        (utc(2026, 12, 1, 9, 0), True),
        (utc(2026, 12, 1, 17, 0), False),
        # Weekday office hours on a bank holiday: closed.
        (utc(2026, 12, 28, 11, 0), False),
    ],
)
def test_in_service_hours_uses_london_wall_clock(instant: datetime, open_: bool) -> None:
    assert CAL.in_service_hours(instant) is open_


def test_in_service_hours_accepts_any_aware_timezone() -> None:
    # 14:00 at UTC+05:00 is 09:00 GMT on Tue 1 Dec 2026.
    assert CAL.in_service_hours(datetime(2026, 12, 1, 14, 0, tzinfo=timezone(timedelta(hours=5))))


def test_at_local_handles_summer_time() -> None:
    assert CAL.at_local(date(2026, 3, 30), time(9)) == utc(2026, 3, 30, 8, 0)  # BST
    assert CAL.at_local(date(2026, 3, 23), time(9)) == utc(2026, 3, 23, 9, 0)  # GMT
    assert CAL.at_local(date(2026, 3, 30), time(9)).tzinfo == UTC


def test_at_local_reads_the_repeated_hour_as_the_first_one() -> None:
    # 01:30 happens twice on Sun 25 Oct 2026; the first is 01:30 BST = 00:30 UTC.
    assert CAL.at_local(date(2026, 10, 25), time(1, 30)) == utc(2026, 10, 25, 0, 30)


def test_next_service_time_in_hours_is_now() -> None:
    now = utc(2026, 12, 1, 10, 15)
    assert CAL.next_service_time(now) == now


def test_next_service_time_early_morning_is_opening_the_same_day() -> None:
    # 06:00 BST on Tue 31 Mar 2026 → 09:00 BST = 08:00 UTC.
    assert CAL.next_service_time(utc(2026, 3, 31, 5, 0)) == utc(2026, 3, 31, 8, 0)


def test_next_service_time_over_the_weekend_when_clocks_go_forward() -> None:
    # Fri 27 Mar 2026 17:30 GMT → Mon 30 Mar 09:00 BST, which is 08:00 UTC.
    assert CAL.next_service_time(utc(2026, 3, 27, 17, 30)) == utc(2026, 3, 30, 8, 0)


def test_next_service_time_over_the_weekend_when_clocks_go_back() -> None:
    # Fri 23 Oct 2026 17:30 BST (16:30 UTC) → Mon 26 Oct 09:00 GMT = 09:00 UTC.
    assert CAL.next_service_time(utc(2026, 10, 23, 16, 30)) == utc(2026, 10, 26, 9, 0)


def test_next_service_time_over_christmas_2026() -> None:
    # Thu 24 Dec 17:01 GMT → Tue 29 Dec 09:00 GMT (25th, weekend and 28th closed).
    result = CAL.next_service_time(utc(2026, 12, 24, 17, 1))
    assert result == utc(2026, 12, 29, 9, 0)
    assert result.tzinfo == UTC


def test_next_service_time_over_easter_2027() -> None:
    # Thu 25 Mar 2027 18:00 GMT → Good Friday, weekend (BST from Sun 28 Mar),
    # Easter Monday → Tue 30 Mar 09:00 BST = 08:00 UTC.
    assert CAL.next_service_time(utc(2027, 3, 25, 18, 0)) == utc(2027, 3, 30, 8, 0)


@pytest.mark.parametrize(
    "call",
    [CAL.local_date, CAL.local_time, CAL.in_service_hours, CAL.next_service_time],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 12, 1, 10, 0))  # type: ignore[operator]
