"""Scheduled information-governance jobs: the monthly purge of records past
their retention (the same as ``teamaround records purge``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commands.context import SCHEDULER, Services
from commands.records import purge


@dataclass(frozen=True)
class PurgeReport:
    erased: list[str]

    def summary(self) -> str:
        if not self.erased:
            return "purge: nothing is past its retention."
        return f"purge: erased the records of {len(self.erased)} young people past retention."


async def run_purge(services: Services, *, now: datetime) -> PurgeReport:
    found = await purge.purge(
        services.db,
        policy=services.policy,
        calendar=services.calendar,
        now=now,
        dry_run=False,
        actor=None,
        label=SCHEDULER,
    )
    return PurgeReport(erased=[item.erasure.reference for item in found])
