"""Building the weekly DSR agenda for a large register: time and queries.

  .venv/bin/python bench/agenda_build.py [--db postgresql|sqlite] [--young-people 1000]
      [--actions 20000]

A synthetic register (references only) with mixed ratings, admissions,
keyworkers, networks and actions; then `/dsr agenda preview` is built five
times through the same path a chair uses (data gathering, flags, sections,
rendering). Target (issue #5): well under a second, with a bounded number of
queries (none per young person).
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

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import StatementCounter, migrated_app
from bot.invocation import Actor, Conversation
from commands.context import unit_of_work
from commands.directory.demo import seed
from commands.dsr import agenda, meetings
from store.models import Action, Admission, Network, Person, RatingChange, YoungPerson

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
CHAIR = "priya.shah@example.org"


async def populate(app, *, young_people: int, actions: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    async with app.db.transaction() as session:
        await seed(session, register_name=app.policy.register_name, now=NOW, consent_date=TODAY)
        people = (await session.scalars(select(Person))).all()
        keyworkers = [p for p in people if "keyworker" in p.role.lower()]
        owners = [p for p in people if p not in keyworkers]
        register_id = (await session.scalars(select(YoungPerson.register_id))).first()
        ratings = ["red"] * 10 + ["amber"] * 25 + ["green"] * 55 + ["blue"] * 10
        rows = [
            {
                "register_id": register_id,
                "reference": f"BENCH-{n:05d}",
                "age_band": rng.choice(("under-18", "18-25")),
                "ehcp": False,
                "consent_basis": "consent",
                "consent_date": TODAY,
                "rating": rng.choice(ratings),
                "rated_at": NOW - timedelta(days=rng.randint(0, 120)),
                "keyworker_id": rng.choice(keyworkers).id if rng.random() < 0.8 else None,
                "created_at": NOW - timedelta(days=rng.randint(0, 400)),
            }
            for n in range(young_people)
        ]
        await session.execute(insert(YoungPerson), rows)
        yps = (
            await session.execute(
                select(YoungPerson.id, YoungPerson.rating).where(
                    YoungPerson.reference.like("BENCH-%")
                )
            )
        ).all()
        await session.execute(
            insert(Admission),
            [
                {
                    "young_person_id": yp_id,
                    "admitted_on": TODAY - timedelta(days=rng.randint(1, 300)),
                    "setting": "Synthetic Ward",
                    "out_of_area": rng.random() < 0.5,
                    "recorded_by_id": keyworkers[0].id,
                    "created_at": NOW,
                }
                for yp_id, rating in yps
                if rating == "blue"
            ],
        )
        await session.execute(
            insert(RatingChange),
            [
                {
                    "young_person_id": yp_id,
                    "rating": rating,
                    "rationale": "Synthetic",
                    "at": NOW - timedelta(days=rng.randint(0, 20)),
                }
                for yp_id, rating in yps
            ],
        )
        await session.execute(
            insert(Network),
            [
                {
                    "young_person_id": yp_id,
                    "status": "open",
                    "space_platform": "console",
                    "space_id": f"yp-bench-{yp_id}",
                    "space_name": f"yp-bench-{yp_id}",
                    "opened_by_id": keyworkers[0].id,
                    "opened_at": NOW,
                }
                for yp_id, _ in yps
            ],
        )
        network_ids = list((await session.scalars(select(Network.id))).all())
        action_rows = []
        for i in range(actions):
            owner = rng.choice(owners)
            action_rows.append(
                {
                    "network_id": rng.choice(network_ids),
                    "text": f"Synthetic action {i}",
                    "owner_id": owner.id,
                    "agency_id": owner.agency_id,
                    "assigned_by_id": keyworkers[0].id,
                    "due_date": TODAY + timedelta(days=rng.randint(-60, 90)),
                    "status": "open",
                    "source": "review" if i % 20 == 0 else "manual",
                    "escalation_stage": rng.choice((0, 0, 0, 0, 1, 2, 3, 4)),
                    "flagged_for_agenda": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if i % 20 == 0:
                action_rows[-1]["text"] = "Hold the next inpatient review"
        for start in range(0, len(action_rows), 5000):
            await session.execute(insert(Action), action_rows[start : start + 5000])
    # Fresh bulk-loaded tables have no planner statistics yet; a live
    # database has them (autovacuum on PostgreSQL), so gather them first.
    async with app.db.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--young-people", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20_000)
    args = parser.parse_args()
    async with migrated_app(args.db, name="agenda") as app:
        await populate(app, young_people=args.young_people, actions=args.actions)
        statements = StatementCounter(app)
        times, lines = [], 0
        for _ in range(6):
            statements.count = 0
            began = time.perf_counter()
            async with unit_of_work(
                app.services,
                actor=Actor(platform="console", platform_user_id=CHAIR, email=CHAIR),
                conversation=Conversation(platform="console", conversation_id="dsr"),
            ) as unit:
                data = await meetings.agenda_data(unit)
                built = agenda.build(data, today=unit.today, policy=app.policy)
                agenda.as_message(built)
                document = agenda.as_markdown(built)
            times.append(time.perf_counter() - began)
            lines = document.count("\n- ")
        times = times[1:]  # the first run warms caches
        print(
            f"database: {args.db}; {args.young_people:,} young people, {args.actions:,} actions; "
            f"agenda of {lines:,} lines; {statements.count} queries; median "
            f"{statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms "
            f"over {len(times)} builds"
        )


if __name__ == "__main__":
    asyncio.run(main())
