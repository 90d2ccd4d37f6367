"""The chase and reminder sweeps at scale: time and number of queries.

  .venv/bin/python bench/chase_sweep.py [--db postgresql|sqlite] [--networks 5000]
      [--actions 100000] [--overdue 0.01,0.1,0.5] [--stage 1] [--repeat 5]

Builds a synthetic register (pseudonymous references only) with ``--actions``
open actions spread over ``--networks`` networks, then, for each fraction of
overdue actions, resets the ladder and times a chase run and a reminder run
on a Wednesday morning, ``--repeat`` times (the median, fastest and slowest
are shown: the first run in a process also compiles its statements).
Target (issues #4 and #17): under a second on PostgreSQL, with a number of
queries that does not grow with the number of actions due.

``--stage N``: the stage the overdue actions reach (default 1, the owner).
From 2 each one reached gives its contact an escalation grant; from 3 the
grants of the stage before end too (the overdue actions start at stage N-1,
holding a grant each), so every grant write is in the count.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import StatementCounter, migrated_app
from commands.action.jobs import run_chase, run_reminders
from commands.directory.demo import seed
from store.models import Action, ActionGrant, Network, NetworkMember, Person, YoungPerson

NOW = datetime(2026, 12, 9, 9, 30, tzinfo=UTC)  # Wed 9 Dec 2026, 09:30 in London
TODAY = date(2026, 12, 9)


async def populate(app, *, networks: int, actions: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        await seed(session, register_name=app.policy.register_name, now=NOW, consent_date=TODAY)
        people = (await session.scalars(select(Person))).all()
        register_id = (await session.scalars(select(YoungPerson.register_id))).first()
        yp_rows = [
            {
                "register_id": register_id,
                "reference": f"BENCH-{n:05d}",
                "age_band": "under-18",
                "ehcp": False,
                "consent_basis": "consent",
                "consent_date": TODAY,
                "created_at": NOW,
            }
            for n in range(networks)
        ]
        await session.execute(insert(YoungPerson), yp_rows)
        yp_ids = (
            await session.scalars(
                select(YoungPerson.id).where(YoungPerson.reference.like("BENCH-%"))
            )
        ).all()
        kim = next(p for p in people if p.email == "kim.lee@example.org")
        await session.execute(
            insert(Network),
            [
                {
                    "young_person_id": yp,
                    "keyworker_id": kim.id,
                    "status": "open",
                    "space_platform": "console",
                    "space_id": f"yp-bench-{yp}",
                    "space_name": f"yp-bench-{yp}",
                    "opened_by_id": kim.id,
                    "opened_at": NOW,
                }
                for yp in yp_ids
            ],
        )
        network_ids = list((await session.scalars(select(Network.id))).all())
        owners = [p for p in people if p.email != "kim.lee@example.org"]
        await session.execute(
            insert(NetworkMember),
            [
                {"network_id": n, "person_id": p.id, "role": "", "added_at": NOW}
                for n in network_ids
                for p in [kim, *owners[:3]]
            ],
        )
        rng = random.Random(7)
        rows = []
        for i in range(actions):
            owner = owners[i % 3]
            rows.append(
                {
                    "network_id": network_ids[i % len(network_ids)],
                    "text": f"Synthetic action {i}",
                    "owner_id": owner.id,
                    "agency_id": owner.agency_id,
                    "assigned_by_id": kim.id,
                    "due_date": TODAY + timedelta(days=rng.randint(1, 120)),
                    "status": "open",
                    "source": "manual",
                    "escalation_stage": 0,
                    "flagged_for_agenda": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Action), rows[start : start + 5000])
        ids = list((await session.scalars(select(Action.id).order_by(Action.id))).all())
    await analyze(app)
    return ids


async def analyze(app) -> None:  # type: ignore[no-untyped-def]
    """Vacuum and bring the planner's statistics up to date, as autovacuum
    does on a live database (a table loaded or rewritten a moment ago has no
    statistics, and PostgreSQL then picks a nested loop that costs half a
    second; and the ladder's reset leaves a dead version of every action)."""
    if app.db.dialect == "postgresql":
        async with app.db.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
            await connection.commit()


async def make_overdue(app, ids: list[int], fraction: float, stage: int = 1) -> int:  # type: ignore[no-untyped-def]
    """Reset the ladder; make ``fraction`` of the actions overdue by 1-60 days,
    at stage ``stage - 1`` (holding a grant from stage 2), ready for ``stage``."""
    rng = random.Random(11)
    chosen = rng.sample(ids, int(len(ids) * fraction))
    async with app.db.transaction() as session:
        await session.execute(ActionGrant.__table__.delete())
        await session.execute(
            update(Action).values(
                escalation_stage=0,
                stage_since=None,
                reminded_for=None,
                flagged_for_agenda=False,
                due_date=TODAY + timedelta(days=30),
            )
        )
        for start in range(0, len(chosen), 5000):
            part = chosen[start : start + 5000]
            await session.execute(
                update(Action)
                .where(Action.id.in_(part))
                .values(
                    due_date=TODAY - timedelta(days=1 + start % 60),
                    escalation_stage=stage - 1,
                    stage_since=TODAY - timedelta(days=30) if stage > 1 else None,
                )
            )
            if stage > 2:
                contact = await session.scalar(
                    select(Person.id).where(Person.email == "morgan.reed@example.org")
                )
                await session.execute(
                    insert(ActionGrant),
                    [
                        {
                            "action_id": action_id,
                            "person_id": contact,
                            "stage": stage - 1,
                            "contact": "line-manager",
                            "granted_at": NOW,
                        }
                        for action_id in part
                    ],
                )
        # A few hundred fall due within the reminder window.
        await session.execute(
            update(Action)
            .where(Action.id.in_(ids[:: max(1, len(ids) // 300)]))
            .values(due_date=TODAY + timedelta(days=1))
        )
    await analyze(app)
    return len(chosen)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--networks", type=int, default=5000)
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--overdue", default="0.01,0.1,0.5")
    parser.add_argument("--stage", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument("--repeat", type=int, default=5, help="runs per fraction (median shown)")
    args = parser.parse_args()
    async with migrated_app(args.db, name="sweep") as app:
        began = time.perf_counter()
        ids = await populate(app, networks=args.networks, actions=args.actions)
        print(
            f"database: {args.db}; {len(ids):,} open actions in {args.networks:,} networks "
            f"(built in {time.perf_counter() - began:.0f} s); moving to stage {args.stage}"
        )
        statements = StatementCounter(app)
        counts: dict[str, tuple[int, int, int]] = {}
        print(
            f"| overdue | job | actions moved | messages | queries | "
            f"median time of {args.repeat} (fastest–slowest) |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for fraction in (float(f) for f in args.overdue.split(",")):
            times: dict[str, list[float]] = {"chase": [], "reminders": []}
            for _ in range(args.repeat):
                overdue = await make_overdue(app, ids, fraction, args.stage)
                for name, job in (("chase", run_chase), ("reminders", run_reminders)):
                    statements.count = 0
                    began = time.perf_counter()
                    report = await job(app.services, now=NOW)
                    times[name].append(time.perf_counter() - began)
                    counts[name] = (report.actions, report.messages, statements.count)
            for name, runs in times.items():
                actions, messages, queries = counts[name]
                print(
                    f"| {overdue:,} ({fraction:.0%}) | {name} | {actions:,} | {messages:,} | "
                    f"{queries} | {_ms(statistics.median(runs))} ({_ms(min(runs))}–"
                    f"{_ms(max(runs))}) |",
                    flush=True,
                )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    asyncio.run(main())
