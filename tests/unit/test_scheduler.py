"""When the scheduled jobs run: what the console's rehearsals replay."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.calendar import WorkingCalendar
from bot.scheduler import ScheduledJob, fire_times

LONDON = ZoneInfo("Europe/London")


async def nothing(now: datetime) -> None:
    return None


JOBS = [
    ScheduledJob(name="agenda", at=time(9, 30), days="mon", run=nothing),
    ScheduledJob(name="reminders", at=time(9, 0), run=nothing),
    ScheduledJob(name="chase", at=time(9, 30), run=nothing),
]


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def test_jobs_run_at_their_times_on_service_days_in_order() -> None:
    runs = fire_times(JOBS, WorkingCalendar(), after=local(11, 16, 30), until=local(15, 9, 0))
    assert [(at.astimezone(LONDON), job.name) for at, job in runs] == [
        (local(14, 9, 0), "reminders"),  # Monday (nothing at the weekend)
        (local(14, 9, 30), "agenda"),  # agenda before chase at the same minute
        (local(14, 9, 30), "chase"),
        (local(15, 9, 0), "reminders"),  # until is included
    ]


def test_the_start_is_not_included_and_bank_holidays_still_run() -> None:
    # Fri 25 Dec 2026 is Christmas Day: the scheduler still runs on weekdays
    # (a run on a bank holiday moves nothing, and its messages wait).
    runs = fire_times(JOBS, WorkingCalendar(), after=local(25, 9, 0), until=local(25, 12, 0))
    assert [job.name for _, job in runs] == ["chase"]


def test_the_clocks_going_back_keep_local_times() -> None:
    # Sun 25 Oct 2026: British Summer Time ends; Monday's runs are at 09:00 GMT.
    runs = fire_times(
        JOBS, WorkingCalendar(), after=local(23, 10, month=10), until=local(26, 9, 0, month=10)
    )
    assert [at.astimezone(LONDON).time() for at, _ in runs] == [time(9, 0)]
    assert runs[0][0].utcoffset() is not None
