"""The quarterly report for a large register: queries, time and file sizes.

  .venv/bin/python bench/report_build.py [--db postgresql|sqlite] [--young-people 1000]
      [--actions 20000]

The same synthetic register as bench/agenda_build.py (references only), with
preventive support for a third of the Green young people and for 10% more
young people known only for preventive support, and a policy listing every
keyworker's post and two vacant ones. The figures for Q3 2026/27 (the quarter
running on 23/11/2026, so every synthetic action and rating counts) are
rebuilt from history, then every document and the three pictures are
produced, as `teamaround report quarterly --format all` does. Reported: the
queries and time to gather and compute the figures, the time to write the
documents and draw the pictures, and the file sizes (the
pictures travel in a Teams card, which must stay under about 80 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from bench.agenda_build import NOW, populate
from bench.common import StatementCounter, migrated_app
from bot.policy import Policy, Post
from commands.report.documents import documents
from commands.report.quarters import parse_quarter
from commands.report.service import quarterly
from store.models import KeyworkerChange, Person, Register, SupportChange, YoungPerson

TODAY = date(2026, 11, 23)


async def preventive(app, *, young_people: int) -> Policy:  # type: ignore[no-untyped-def]
    """Preventive support on and off the DSR, and a workforce in the policy."""
    rng = random.Random(9)
    async with app.db.transaction() as session:
        keyworkers = (
            await session.scalars(select(Person).where(Person.role.ilike("%keyworker%")))
        ).all()
        green = (
            await session.execute(
                select(YoungPerson.id, YoungPerson.keyworker_id).where(
                    YoungPerson.rating == "green", YoungPerson.keyworker_id.is_not(None)
                )
            )
        ).all()
        register_id = (await session.scalars(select(YoungPerson.register_id))).first()
        await session.execute(
            insert(YoungPerson),
            [
                {
                    "register_id": register_id,
                    "reference": f"PREV-{n:05d}",
                    "age_band": rng.choice(("under-18", "18-25")),
                    "ehcp": False,
                    "consent_basis": "consent",
                    "consent_date": TODAY,
                    "preventive_only": True,
                    "support": "preventive",
                    "keyworker_id": rng.choice(keyworkers).id,
                    "created_at": NOW - timedelta(days=rng.randint(0, 200)),
                }
                for n in range(young_people // 10)
            ],
        )
        only = (
            await session.execute(
                select(YoungPerson.id, YoungPerson.keyworker_id, YoungPerson.created_at).where(
                    YoungPerson.preventive_only.is_(True)
                )
            )
        ).all()
        supported = [(yp, kw, NOW - timedelta(days=rng.randint(0, 150))) for yp, kw in green]
        supported = supported[: len(supported) // 3] + list(only)
        await session.execute(
            insert(SupportChange),
            [{"young_person_id": yp, "kind": "preventive", "at": at} for yp, _, at in supported],
        )
        await session.execute(
            insert(KeyworkerChange),
            [{"young_person_id": yp, "keyworker_id": kw, "at": at} for yp, kw, at in only],
        )
    posts = [Post(role="Keyworker", person=k.email) for k in keyworkers]
    posts += [Post(role="Keyworker", employer="nhs"), Post(role="Keyworker")]
    return app.policy.model_copy(update={"workforce": posts})


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--young-people", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20_000)
    args = parser.parse_args()
    async with migrated_app(args.db, name="report") as app:
        await populate(app, young_people=args.young_people, actions=args.actions)
        policy = await preventive(app, young_people=args.young_people)
        statements = StatementCounter(app)
        quarter = parse_quarter("2026-Q3", today=TODAY)
        figures_ms, files_ms = [], []
        for _ in range(6):
            statements.count = 0
            began = time.perf_counter()
            async with app.db.reader() as session:
                register = await session.scalar(select(Register))
                assert register is not None
                report = await quarterly(
                    session,
                    register=register,
                    quarter=quarter,
                    today=TODAY,
                    calendar=app.services.calendar,
                    policy=policy,
                )
            middle = time.perf_counter()
            files = documents(report)
            figures_ms.append((middle - began) * 1000)
            files_ms.append((time.perf_counter() - middle) * 1000)
        sizes = ", ".join(
            f"{f.filename.rsplit('-', 1)[-1]} {len(f.content) / 1024:.0f} KB" for f in files
        )
        print(
            f"database: {args.db}; {args.young_people:,} young people, {args.actions:,} actions; "
            f"{statements.count} queries; figures: median {statistics.median(figures_ms[1:]):.0f} "
            f"ms; documents and pictures: median {statistics.median(files_ms[1:]):.0f} ms; "
            f"files: {sizes}"
        )


if __name__ == "__main__":
    asyncio.run(main())
