"""Reading due dates the way people in England write them, and showing them back.

Dates are always read day first (``3/4`` is 3 April). The input is first
classified by shape with strict regular expressions, so that only the forms in
:data:`ACCEPTED_FORMS` (and close variants) are accepted; anything else is
refused with a helpful :class:`DateParseError` rather than guessed at.

Month-name forms ("12 Dec", "Fri 12th December 2026", "Dec 12") are converted
by ``dateparser`` (imported lazily: its import and first parse take about
200 ms) and cross-checked. The year of a year-less date, and every
relative form ("next Friday", "in 5 working days", "end of month"), are worked
out here so that the rules are exact and testable: ``dateparser``'s own year
guessing does not match ours (it reads "12 Dec 26" as 2126 when asked to prefer
future dates, and "29 Feb" as a past leap year).

:func:`parse_due_date` raises nothing but :class:`DateParseError`.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from bot.errors import UserError

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

    from bot.calendar import WorkingCalendar

logger = logging.getLogger(__name__)

ACCEPTED_FORMS: tuple[str, ...] = (
    "12/12",
    "12/12/2026",
    "12 Dec",
    "Friday",
    "next Friday",
    "tomorrow",
    "in 2 weeks",
    "in 5 working days",
    "end of month",
)

# Relative forms only: an absolute example would itself be in the past one day.
_FUTURE_EXAMPLES = "tomorrow, Friday, next Friday, in 2 weeks or end of month"

_MAX_YEARS_AHEAD = 2
_MAX_INPUT_LENGTH = 100
_SHOWN_INPUT_LENGTH = 40

_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_WEEKDAYS: dict[str, int] = {}
for _i, _full in enumerate(_WEEKDAY_FULL):
    _WEEKDAYS[_full.lower()] = _i
    _WEEKDAYS[_full[:3].lower()] = _i
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_MONTHS: dict[str, int] = {}
for _i, _full in enumerate(_MONTH_FULL, start=1):
    _MONTHS[_full.lower()] = _i
    _MONTHS[_full[:3].lower()] = _i
_MONTHS["sept"] = 9

_NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}


def _alternation(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_WD = _alternation(_WEEKDAYS)
_NUM = r"\d+|" + _alternation(_NUMBER_WORDS)
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_FLAGS = re.ASCII

_WEEKDAY_PREFIX_RE = re.compile(rf"(?P<wd>{_WD})\.?,?\s+(?P<rest>.+)", _FLAGS)
_NUMERIC_RE = re.compile(
    rf"(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<month>\d{{1,2}})(?:(?P=sep){_YEAR})?", _FLAGS
)
_ISO_RE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})", _FLAGS
)
_DAY_MONTH_RE = re.compile(
    rf"(?:the\s+)?(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mname>[a-z]{{3,9}})\.?(?:,?\s+{_YEAR})?",
    _FLAGS,
)
_MONTH_DAY_RE = re.compile(
    rf"(?P<mname>[a-z]{{3,9}})\.?\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORD}(?:,?\s+{_YEAR})?",
    _FLAGS,
)
_RELATIVE_WEEKDAY_RE = re.compile(rf"(?:(?P<which>this|next)\s+)?(?P<wd>{_WD})", _FLAGS)
_UNITS_RE = re.compile(
    rf"(?:(?:in|within)\s+)?(?P<n>{_NUM})\s+"
    r"(?P<unit>(?:working|business)\s+days?|days?|weeks?|fortnights?|months?)"
    r"(?:'?s?\s+time)?",
    _FLAGS,
)
_END_OF_RE = re.compile(
    r"(?:end\s+of\s+(?:(?P<which>the|this|next)\s+)?(?P<unit>week|month))|(?P<abbr>eow|eom)",
    _FLAGS,
)
# A relative form ending an action's text, read as its due date without "by":
# "Send the draft in 5 working days", "… within 2 weeks", "… end of month".
_RELATIVE_TAIL_RE = re.compile(
    rf"\s(?P<when>(?:in|within)\s+(?:{_NUM})\s+"
    r"(?:(?:working|business)\s+days?|days?|weeks?|fortnights?|months?)(?:'?s?\s+time)?"
    r"|end\s+of\s+(?:(?:the|this|next)\s+)?(?:week|month)|eow|eom|tomorrow|next\s+week"
    rf"|next\s+(?:{_WD}))[.!]?\s*$",
    re.ASCII | re.IGNORECASE,
)
_PREFIX_RE = re.compile(r"(?:due\s+)?(?:by|on)\s+(?P<rest>.+)|due\s+(?P<rest2>.+)", _FLAGS)
_EDGE_PUNCTUATION_RE = re.compile(r"^[\W_]+|[\W_]+$")


class DateParseError(UserError):
    """A due date that could not be read, or that is not acceptable.

    ``unreadable`` is True when the text is not a date at all (as opposed to a
    date that is in the past, impossible or too far ahead): the grammar uses it
    to find where the date starts in "WHAT by WHEN".
    """

    def __init__(self, message: str, *, hint: str | None = None, unreadable: bool = False):
        super().__init__(message, hint=hint)
        self.unreadable = unreadable


@dataclass(frozen=True)
class DueDate:
    """A parsed due date, with a note when it is not a working day."""

    day: date
    note: str | None = None


# -- formatting ----------------------------------------------------------------


def format_day(day: date) -> str:
    """E.g. "Fri 12 Dec" (independent of the process locale)."""
    return f"{_WEEKDAY_ABBR[day.weekday()]} {day.day} {_MONTH_ABBR[day.month - 1]}"


def format_day_year(day: date, *, today: date) -> str:
    """E.g. "Fri 12 Dec" in the year of ``today``, "Fri 12 Dec 2027" in any other."""
    return format_day(day) if day.year == today.year else f"{format_day(day)} {day.year}"


def format_numeric(day: date) -> str:
    """E.g. "03/04/2026" (day first, as read by :func:`parse_due_date`)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


# -- parsing -------------------------------------------------------------------


def relative_tail(text: str) -> tuple[str, str] | None:
    """``text`` split before a relative date that ends it, or None: "Send the
    draft in 5 working days" → ("Send the draft", "in 5 working days")."""
    match = _RELATIVE_TAIL_RE.search(text)
    if match is None or not text[: match.start()].strip():
        return None
    return text[: match.start()].strip(), match.group("when")


def parse_due_date(
    text: str,
    *,
    today: date,
    calendar: WorkingCalendar,
    allow_past: bool = False,
    earliest: date | None = None,
) -> DueDate:
    """Read a due date on or after ``today``; raise :class:`DateParseError` if I can't.

    With ``allow_past`` (for recording what has happened, such as the day a
    review was held) a date before today is accepted too, back to ``earliest``
    (default: ``_MAX_YEARS_AHEAD`` years ago); "yesterday" is read, "this
    Monday" may be earlier this week, and a date without a year ("20/11",
    "20 Nov") is this year's, or last year's when that is recent (see
    ``_year_for``). Relative forms that look ahead ("Friday", "in 2 weeks")
    still do. Without ``allow_past``, a date without a year that has already
    passed this year is refused with next year's offered ("did you mean
    01/12/2027?"), never quietly moved on a year.
    """
    try:
        return _parse(text, today=today, calendar=calendar, past=allow_past, earliest=earliest)
    except DateParseError:
        raise
    except Exception as exc:  # a bug here must never reach the person as a crash
        logger.warning("Unexpected error parsing due date %r", text, exc_info=True)
        raise _unreadable(text if isinstance(text, str) else "") from exc


def _parse(
    text: str, *, today: date, calendar: WorkingCalendar, past: bool, earliest: date | None
) -> DueDate:
    cleaned = _normalise(text)
    if not cleaned:
        raise DateParseError(
            "Please give a due date.",
            hint=f"For example: {', '.join(ACCEPTED_FORMS)}.",
        )
    if len(cleaned) > _MAX_INPUT_LENGTH:
        raise _unreadable(text)

    day = _read(cleaned, today=today, calendar=calendar, shown=_shown(text), past=past)
    if day is None and (prefixed := _PREFIX_RE.fullmatch(cleaned)):
        # "by Friday", "on 12 Dec", "due end of month", "by in 5 working days".
        rest = prefixed.group("rest") or prefixed.group("rest2")
        day = _read(rest, today=today, calendar=calendar, shown=_shown(text), past=past)
    if day is None:
        raise _unreadable(text)

    if day < today and not past:
        raise _already_passed(day, today=today)
    if day < (earliest or _add_years(today, -_MAX_YEARS_AHEAD)):
        raise _too_long_ago(day, today=today, earliest=earliest)
    if day > _add_years(today, _MAX_YEARS_AHEAD):
        raise _too_far(day, today=today)
    return DueDate(day=day, note=_note(day, today=today, calendar=calendar))


def _read(
    text: str, *, today: date, calendar: WorkingCalendar, shown: str, past: bool = False
) -> date | None:
    """The date ``text`` names, None if it is not an accepted shape."""
    if text == "today":
        return today
    if past and text == "yesterday":
        return today - timedelta(days=1)
    if text in ("tomorrow", "tmrw", "tmw"):
        return today + timedelta(days=1)
    if text == "next week":
        return _monday_of(today) + timedelta(weeks=1)
    if m := _RELATIVE_WEEKDAY_RE.fullmatch(text):
        return _relative_weekday(m.group("which"), _WEEKDAYS[m.group("wd")], today=today, past=past)
    if m := _UNITS_RE.fullmatch(text):
        return _in_units(m.group("n"), m.group("unit"), today=today, calendar=calendar)
    if m := _END_OF_RE.fullmatch(text):
        return _end_of(m, today=today)
    return _read_absolute(text, today=today, shown=shown, past=past)


def _read_absolute(text: str, *, today: date, shown: str, past: bool = False) -> date | None:
    named_weekday: int | None = None
    if m := _WEEKDAY_PREFIX_RE.fullmatch(text):
        named_weekday = _WEEKDAYS[m.group("wd")]
        text = m.group("rest")

    day: date | None = None
    if m := _ISO_RE.fullmatch(text):
        day = _checked_date(int(m["year"]), int(m["month"]), int(m["day"]), shown=shown)
    elif m := _NUMERIC_RE.fullmatch(text):
        day = _numeric(m, today=today, shown=shown, past=past)
    elif (m := _DAY_MONTH_RE.fullmatch(text)) or (m := _MONTH_DAY_RE.fullmatch(text)):
        day = _month_name(m, today=today, shown=shown, past=past)

    if day is not None and named_weekday is not None and day.weekday() != named_weekday:
        raise DateParseError(
            f"{day.day} {_MONTH_ABBR[day.month - 1]} {day.year} is a "
            f"{_WEEKDAY_FULL[day.weekday()]}, not a {_WEEKDAY_FULL[named_weekday]}.",
            hint="Check the date, or leave out the day of the week.",
        )
    return day


def _numeric(m: re.Match[str], *, today: date, shown: str, past: bool = False) -> date:
    day_n, month_n = int(m["day"]), int(m["month"])
    if m["year"] is not None:
        return _checked_date(_full_year(m["year"]), month_n, day_n, shown=shown)
    if not 1 <= month_n <= 12:
        raise _bad_month(day_n, month_n, shown=shown)
    year = _year_for(month_n, day_n, today=today, past=past, shown=shown)
    return _checked_date(year, month_n, day_n, shown=shown)


def _month_name(m: re.Match[str], *, today: date, shown: str, past: bool = False) -> date | None:
    month_n = _MONTHS.get(m["mname"])
    if month_n is None:
        return None
    day_n = int(m["day"])
    if m["year"] is not None:
        year = _full_year(m["year"])
    else:
        year = _year_for(month_n, day_n, today=today, past=past, shown=shown)
    expected = _checked_date(year, month_n, day_n, shown=shown)
    # Our own table decides which words count as months (dateparser alone is
    # too lenient) and the year; dateparser does the conversion, and must agree.
    parsed = _dateparser().get_date_data(f"{day_n} {m['mname']} {year}").date_obj
    if parsed is None or parsed.date() != expected:
        logger.warning("dateparser read %r as %r, expected %s", shown, parsed, expected)
        return None
    return expected


@cache
def _dateparser() -> DateDataParser:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": True,
            "PARSERS": ["absolute-time"],
        },
    )


def _relative_weekday(which: str | None, weekday: int, *, today: date, past: bool = False) -> date:
    if which is None:
        # The soonest such day strictly after today: "Friday" on a Friday is next week's.
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    monday = _monday_of(today)
    if which == "next":
        # That day in next Monday-to-Sunday week.
        return monday + timedelta(weeks=1, days=weekday)
    day = monday + timedelta(days=weekday)  # "this": in the current week
    if day < today and not past:
        raise _already_passed(day, today=today)
    return day


def _in_units(n_text: str, unit: str, *, today: date, calendar: WorkingCalendar) -> date:
    n = _NUMBER_WORDS[n_text] if n_text in _NUMBER_WORDS else int(n_text)
    kind = "working day" if unit.startswith(("working", "business")) else unit.rstrip("s")
    # Refuse absurd counts before doing arithmetic (no overflow, no long loops);
    # anything within these limits is checked against the horizon by the caller.
    horizon_days = 366 * _MAX_YEARS_AHEAD + 1
    days_per_unit = {"working day": 1, "day": 1, "week": 7, "fortnight": 14, "month": 28}
    if n * days_per_unit[kind] > horizon_days:
        raise DateParseError(
            f"That's more than {_MAX_YEARS_AHEAD} years away, so I think it's a typo.",
            hint=f"Give a date within the next {_MAX_YEARS_AHEAD} years.",
        )
    if kind == "working day":
        return calendar.add_working_days(today, n)
    if kind == "month":
        return add_months(today, n)
    return today + timedelta(days=n * days_per_unit[kind])


def _end_of(m: re.Match[str], *, today: date) -> date:
    unit = m["unit"] or ("week" if m["abbr"] == "eow" else "month")
    following = m["which"] == "next"
    if unit == "month":
        year, month = (today.year, today.month)
        if following:
            year, month = _shift_month(year, month, 1)
        return date(year, month, _stdlib_calendar.monthrange(year, month)[1])
    friday = _monday_of(today) + timedelta(days=4)
    if today > friday:  # at the weekend, "end of week" means the coming Friday
        friday += timedelta(weeks=1)
    if following:
        friday += timedelta(weeks=1)
    return friday


# -- helpers -------------------------------------------------------------------


def _normalise(text: str) -> str:
    words = " ".join(text.split()).lower().replace("\u2019", "'")
    return _EDGE_PUNCTUATION_RE.sub("", words)


def _shown(text: str) -> str:
    shown = " ".join(text.split())
    if len(shown) > _SHOWN_INPUT_LENGTH:
        shown = shown[: _SHOWN_INPUT_LENGTH - 1] + "…"
    return shown


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _full_year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _year_for(month: int, day: int, *, today: date, shown: str, past: bool = False) -> int:
    """The year of a (month, day) typed without one: this year's.

    Looking ahead, a day that has already passed this year is refused with
    next year's offered: "1/12" typed on 3 December is far more likely a slip
    than a date a year away, so it is never quietly read as one.

    With ``past`` (a day that has happened): this year's, unless that is still
    to come and last year's was within about six months (December's date typed
    in January); a later one is kept, and refused by the caller as in the future,
    rather than silently read as a year ago.
    """
    if past:
        if (month, day) <= (today.month, today.day):
            return today.year
        months_back = 12 + today.month - month
        return today.year - 1 if months_back <= 6 else today.year
    if (month, day) >= (today.month, today.day):
        return today.year
    next_year = _checked_date(today.year + 1, month, day, shown=shown)
    try:
        this_year = date(today.year, month, day)
    except ValueError:  # 29 February: this year had none, so none has passed
        return next_year.year
    raise DateParseError(
        f"{format_day(this_year)} has already passed this year: did you mean "
        f"{format_numeric(next_year)}?",
        hint=f"If so, type it with the year ({format_numeric(next_year)}); otherwise give a "
        f"date from today onwards, for example: {_FUTURE_EXAMPLES}.",
    )


def _shift_month(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def add_months(day: date, n: int) -> date:
    """The same day ``n`` months on, or the last day of a shorter month
    (31 Jan + 1 month is 28 or 29 Feb)."""
    year, month = _shift_month(day.year, day.month, n)
    return date(year, month, min(day.day, _stdlib_calendar.monthrange(year, month)[1]))


def _add_years(day: date, n: int) -> date:
    return add_months(day, 12 * n)


def _checked_date(year: int, month: int, day: int, *, shown: str) -> date:
    if not 1 <= month <= 12:
        raise _bad_month(day, month, shown=shown)
    if year < 1:
        raise _unreadable(shown)
    days_in_month = _stdlib_calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        name = f"{_MONTH_FULL[month - 1]} {year}"
        raise DateParseError(
            f"There's no {day} {name}: {name} has {days_in_month} days.",
            hint="Check the day and month. I read dates day first, so 3/4 is 3 April.",
        )
    return date(year, month, day)


def _bad_month(day: int, month: int, *, shown: str) -> DateParseError:
    hint = "I read dates day first, so 3/4 is 3 April."
    if 1 <= day <= 12 and month > 12:
        hint += f" Did you mean {month}/{day}?"
    return DateParseError(
        f"I couldn't read \"{shown}\" as a date: there's no month {month}.", hint=hint
    )


def _unreadable(text: str) -> DateParseError:
    return DateParseError(
        f'I couldn\'t read "{_shown(text)}" as a date. Try one of: {", ".join(ACCEPTED_FORMS)}.',
        unreadable=True,
    )


def _already_passed(day: date, *, today: date) -> DateParseError:
    return DateParseError(
        f"{format_day_year(day, today=today)} has already passed. "
        f"Give a date from today onwards, for example: {_FUTURE_EXAMPLES}."
    )


def _too_far(day: date, *, today: date) -> DateParseError:
    return DateParseError(
        f"{format_day_year(day, today=today)} is more than {_MAX_YEARS_AHEAD} years away, "
        "so I think it's a typo.",
        hint=f"Give a date within the next {_MAX_YEARS_AHEAD} years.",
    )


def _too_long_ago(day: date, *, today: date, earliest: date | None) -> DateParseError:
    if earliest is not None:
        return DateParseError(
            f"{format_day_year(day, today=today)} is before {format_numeric(earliest)}, the "
            "earliest day I can record here.",
            hint=f"Give a date from {format_numeric(earliest)} onwards.",
        )
    return DateParseError(
        f"{format_day_year(day, today=today)} is more than {_MAX_YEARS_AHEAD} years ago, "
        "so I think it's a typo.",
        hint=f"Give a date within the last {_MAX_YEARS_AHEAD} years.",
    )


def _note(day: date, *, today: date, calendar: WorkingCalendar) -> str | None:
    if calendar.is_working_day(day):
        return None
    shown = format_day_year(day, today=today)
    holiday = calendar.bank_holiday_name(day)
    if holiday is not None:
        what = f"is a bank holiday ({holiday.replace(' (substitute day)', ' substitute day')})"
    elif day.weekday() >= 5:
        what = "is at the weekend"
    else:
        what = "isn't a working day"
    later = format_day_year(calendar.next_working_day(day), today=today)
    return f"{shown} {what}; I've kept it, but people may not see it until {later}."
