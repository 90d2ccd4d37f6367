"""Working days, bank holidays and service hours, in local (England) time.

Everything that asks "is this a working day?" or "when will someone next be
around to see this?" goes through a :class:`WorkingCalendar`, so that bank
holidays and British Summer Time are handled in one place.

Bank holidays come from the ``holidays`` package and follow the GOV.UK list:
when a holiday falls at the weekend, the *substitute* weekday is the bank
holiday (for example Mon 28 Dec 2026 for Boxing Day), and the weekend day
itself is simply a weekend.

Instants (``datetime``) must be timezone-aware; calendar days (``date``) are
local days in :attr:`WorkingCalendar.tz`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServiceHours:
    """When the team is normally around, in local wall-clock time.

    ``weekdays`` uses :meth:`date.weekday` numbering (Monday is 0).
    ``start`` is inclusive and ``end`` exclusive.
    """

    start: time = time(9)
    end: time = time(17)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("ServiceHours start and end are local wall-clock times (no tzinfo)")
        if not self.start < self.end:
            raise ValueError("ServiceHours start must be before end")
        if not self.weekdays:
            raise ValueError("ServiceHours needs at least one weekday")
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("ServiceHours weekdays must be numbers 0 (Monday) to 6 (Sunday)")


class WorkingCalendar:
    """Working days (weekdays that are not bank holidays) and service hours."""

    def __init__(
        self,
        *,
        timezone: str = "Europe/London",
        hours: ServiceHours | None = None,
        subdivision: str = "ENG",
    ) -> None:
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"Unknown timezone {timezone!r}") from exc
        self._hours = hours if hours is not None else ServiceHours()
        self._holidays = holidays.country_holidays("GB", subdiv=subdivision)
        # Day rules never change for a calendar: remember answers (a chase
        # sweep asks about the same few hundred days for every action).
        self._working: dict[date, bool] = {}
        self._between: dict[tuple[date, date], int] = {}

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def hours(self) -> ServiceHours:
        return self._hours

    # -- days -----------------------------------------------------------------

    def bank_holiday_name(self, day: date) -> str | None:
        """The bank holiday's name, e.g. "Boxing Day (substitute day)", or None."""
        if day.weekday() >= 5:
            # GOV.UK moves weekend holidays to a substitute weekday; the
            # weekend day itself is not a bank holiday.
            return None
        name = self._holidays.get(day)
        if name is None:
            return None
        return str(name).replace("(observed)", "(substitute day)")

    def is_bank_holiday(self, day: date) -> bool:
        return self.bank_holiday_name(day) is not None

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = day.weekday() in self._hours.weekdays and not self.is_bank_holiday(day)
            self._working[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    def add_working_days(self, day: date, n: int) -> date:
        """Count ``n`` working days on from ``day`` (``day`` itself is not counted).

        ``n == 0`` returns ``day`` unchanged; negative ``n`` counts backwards.
        For ``n >= 0``, ``working_days_between(day, add_working_days(day, n)) == n``.
        """
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        current = day
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negated if ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        known = self._between.get((start, end))
        if known is not None:
            return known
        count = 0
        current = start
        while current < end:
            current += _ONE_DAY
            if self.is_working_day(current):
                count += 1
        if len(self._between) < 100_000:
            self._between[(start, end)] = count
        return count

    # -- instants -------------------------------------------------------------

    def local_time(self, instant: datetime) -> datetime:
        """``instant`` as an aware datetime in the calendar's timezone."""
        return _require_aware(instant).astimezone(self._tz)

    def local_date(self, instant: datetime) -> date:
        """The local calendar day on which ``instant`` falls."""
        return self.local_time(instant).date()

    def at_local(self, day: date, at: time) -> datetime:
        """Local wall-clock ``at`` on ``day``, as an aware UTC datetime.

        Ambiguous times (the repeated hour when the clocks go back) resolve to
        the first occurrence (``fold=0``); non-existent times (the skipped hour
        when they go forward) are read with the offset in force before the change.
        """
        local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=self._tz)
        return local.astimezone(UTC)

    def in_service_hours(self, instant: datetime) -> bool:
        local = self.local_time(instant)
        if not self.is_working_day(local.date()):
            return False
        wall = local.time()
        return self._hours.start <= wall < self._hours.end

    def next_service_time(self, instant: datetime) -> datetime:
        """``instant`` if within service hours, else the next opening time (aware UTC)."""
        if self.in_service_hours(instant):
            return instant.astimezone(UTC)
        local = self.local_time(instant)
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self._hours.start):
            day = self.next_working_day(day)
        return self.at_local(day, self._hours.start)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValueError("WorkingCalendar needs a timezone-aware datetime")
    return instant
