"""An injectable clock, so that rules about time can be tested at any instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, `jobs run --at`)."""

    def __init__(self, instant: datetime) -> None:
        self._now = _aware(instant)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = _aware(instant)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("FrozenClock needs a timezone-aware datetime")
    return instant.astimezone(UTC)
