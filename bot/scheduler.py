"""Runs the scheduled jobs in-process with APScheduler 3.

Jobs are defined in code (stable ids, the memory job store), run on working
days at the register's local times, and once at start-up, so a run missed
while Teamaround was down catches up. Every job is safe to run twice or in
two processes at once: it takes a database lock for its run and keys every
message it sends, so several replicas may each run a scheduler.

On shutdown a run in progress is given a few seconds to finish; after that it
is cancelled, which rolls its transaction back (the job's one unit of work),
so it is abandoned cleanly and the next run starts from the same state.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic_time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.calendar import WorkingCalendar
from bot.clock import Clock
from bot.metrics import Metrics
from bot.policy import WEEKDAYS

log = logging.getLogger("teamaround.jobs")


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    at: time  # local time, on working days
    run: Callable[[datetime], Awaitable[Any]]  # given "now"
    days: str | None = None  # e.g. "mon": only on these days (default: working days)
    # Days of the month, as APScheduler's cron "day" field: "1st mon" is monthly.
    day: str | None = None


class Scheduler:
    def __init__(
        self,
        *,
        jobs: list[ScheduledJob],
        calendar: WorkingCalendar,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self._jobs = jobs
        self._calendar = calendar
        self._clock = clock
        self._metrics = metrics
        self._scheduler = AsyncIOScheduler(timezone=str(calendar.tz))
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    def start(self) -> None:
        for job in self._jobs:
            self._scheduler.add_job(
                self.run_once,
                trigger_for(job, self._calendar),
                args=[job],
                id=job.name,
                name=f"{job.name} at {job.at:%H:%M} on working days",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
                replace_existing=True,
            )
            # Catch up at start-up: the jobs work from dates, so a run that
            # finds nothing new does nothing.
            self._scheduler.add_job(
                self.run_once, args=[job], id=f"{job.name}:startup", name=f"{job.name} (catch-up)"
            )
        self._scheduler.start()

    async def run_once(self, job: ScheduledJob) -> None:
        # On a bank holiday a run changes nothing that matters: the ladder
        # counts working days, and messages wait for the next service time.
        if self._stopping:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        began = monotonic_time.perf_counter()
        outcome = "failed"
        try:
            result = await job.run(self._clock.now())
            outcome = "ok"
            log.info("%s", getattr(result, "summary", lambda: f"{job.name}: {result}")())
        except asyncio.CancelledError:
            outcome = "abandoned"
            log.warning("job %s abandoned at shutdown; nothing of this run was kept", job.name)
            raise
        except Exception:
            log.exception("job %s failed; it runs again at its next time", job.name)
        finally:
            if task is not None:
                self._running.discard(task)
            if self._metrics is not None:
                self._metrics.job_runs.labels(job.name, outcome).inc()
                self._metrics.job_seconds.labels(job.name).observe(
                    monotonic_time.perf_counter() - began
                )

    def stop_starting(self) -> None:
        """Start no new runs (a replica shutting down)."""
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def shutdown(self, *, grace: float = 3.0) -> None:
        """Start no new runs; give a run in progress ``grace`` seconds, then cancel it."""
        self.stop_starting()
        running = set(self._running)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)


def trigger_for(job: ScheduledJob, calendar: WorkingCalendar) -> CronTrigger:
    """When ``job`` runs: at its local time on the service days (or its own days)."""
    days = ",".join(WEEKDAYS[d] for d in sorted(calendar.hours.weekdays))
    return CronTrigger(
        day_of_week=job.days or days,
        day=job.day,
        hour=job.at.hour,
        minute=job.at.minute,
        timezone=str(calendar.tz),
    )


def fire_times(
    jobs: Sequence[ScheduledJob], calendar: WorkingCalendar, *, after: datetime, until: datetime
) -> list[tuple[datetime, ScheduledJob]]:
    """Every run of ``jobs`` the scheduler makes after ``after`` and up to
    ``until``, in order: what `serve` would have done while that time passed
    (the console's rehearsals move a frozen clock through it)."""
    runs = []
    for job in jobs:
        trigger = trigger_for(job, calendar)
        previous = None
        moment = after + timedelta(microseconds=1)
        while (fire := trigger.get_next_fire_time(previous, moment)) is not None and fire <= until:
            runs.append((fire, job))
            previous, moment = fire, fire + timedelta(microseconds=1)
    return sorted(runs, key=lambda run: (run[0], [j.name for j in jobs].index(run[1].name)))
