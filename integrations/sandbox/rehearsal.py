"""Rehearsing time in the console (`teamaround console --at …`, then `:at …`).

The console's clock is frozen at an instant. Moving it forward does what the
time in between would have done in `teamaround serve`: every scheduled job
runs at its own time (reminders, the chase, the agenda: on working days, at
the policy's times), and every message is delivered when it falls due, so a
message queued outside service hours arrives at the next opening time, on the
next working day. A trainer can show a fortnight of chasing in one script.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.calendar import WorkingCalendar
from bot.clock import Clock, FrozenClock
from bot.dates import format_day_year
from bot.errors import UserError
from bot.relay import Relay
from bot.scheduler import ScheduledJob, fire_times
from store.outbox import OutboxStore


class Rehearsal:
    """Time in the console: what waits for later, and (with a frozen clock)
    moving forward."""

    def __init__(
        self,
        *,
        clock: Clock,
        calendar: WorkingCalendar,
        jobs: Sequence[ScheduledJob],
        relay: Relay,
        outbox: OutboxStore,
        write: Callable[[str], None],
    ) -> None:
        self._clock = clock
        self._calendar = calendar
        self._jobs = jobs
        self._relay = relay
        self._outbox = outbox
        self._write = write

    def now(self) -> datetime:
        return self._clock.now()

    def shown(self, instant: datetime) -> str:
        """E.g. "Mon 14 Dec 09:30" (local time)."""
        local = self._calendar.local_time(instant)
        return f"{format_day_year(local.date(), today=local.date())} {local:%H:%M}"

    def read(self, text: str) -> datetime:
        """An ISO-8601 instant; without an offset, it is the register's local time."""
        try:
            instant = datetime.fromisoformat(text.strip())
        except ValueError:
            raise UserError(
                f"{text.strip()!r} is not a date and time; give it as ISO-8601, for example "
                ":at 2026-12-14T09:30 (local time)."
            ) from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=self._calendar.tz)
        return instant

    async def move_to(self, instant: datetime) -> None:
        """Run what happens between now and ``instant``, in order."""
        if not isinstance(self._clock, FrozenClock):
            raise UserError(
                "The console is on real time. To rehearse time, start it at an instant: "
                "teamaround console --as EMAIL --at 2026-12-14T09:00, then :at 2026-12-15T09:30."
            )
        clock = self._clock
        if instant <= clock.now():
            raise UserError(
                f"Time only moves forward here: it is {self.shown(clock.now())} already."
            )
        runs = fire_times(self._jobs, self._calendar, after=clock.now(), until=instant)
        while True:
            _, _, due = await self._outbox.pending(now=clock.now())
            job_at = runs[0][0] if runs else None
            if due is not None and due <= instant and (job_at is None or due <= job_at):
                clock.set(due)
                await self._show(due, "messages due")
                continue
            if job_at is None:
                break
            at, job = runs.pop(0)
            clock.set(at)
            result = await job.run(at)
            summary = getattr(result, "summary", None)
            await self._show(at, job.name, summary() if callable(summary) else None)
        clock.set(instant)
        self._write(f"(it is now {self.shown(instant)})")
        await self._relay.drain()

    async def _show(self, instant: datetime, why: str, summary: str | None = None) -> None:
        """Deliver what is due now, under a heading saying when (nothing is
        shown when nothing is due: at that moment nobody would have seen a thing)."""
        due, _, _ = await self._outbox.pending(now=instant)
        if not due:
            return
        self._write(f"── {self.shown(instant)} · {why} ──")
        if summary:
            self._write(f"  ({summary})")
        await self._relay.drain()

    async def waiting_line(self) -> str | None:
        """A line saying what waits for later (outside service hours), if anything."""
        _, count, first = await self._outbox.pending(now=self._clock.now())
        if not count or first is None:
            return None
        plural = "s wait" if count != 1 else " waits"
        return f"({count} message{plural} for service hours: from {self.shown(first)})"
