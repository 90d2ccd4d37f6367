"""The quarterly report for a large register: queries, time and file sizes.

  .venv/bin/python bench/report_build.py [--db postgresql|sqlite] [--young-people 1000]
      [--actions 20000]

The same synthetic register as bench/agenda_build.py (references only). The
figures for Q3 2026/27 (the quarter running on 23/11/2026, so every
synthetic action and rating counts) are rebuilt from history, then every document and the
three pictures are produced, as `teamaround report quarterly --format all`
does. Reported: the queries and time to gather and compute the figures, the
time to write the documents and draw the pictures, and the file sizes (the
pictures travel in a Teams card, which must stay under about 80 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bench.agenda_build import populate
from bench.common import StatementCounter, migrated_app
from commands.report.documents import documents
from commands.report.quarters import parse_quarter
from commands.report.service import quarterly
from store.models import Register

TODAY = date(2026, 11, 23)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--young-people", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20_000)
    args = parser.parse_args()
    async with migrated_app(args.db, name="report") as app:
        await populate(app, young_people=args.young_people, actions=args.actions)
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
                    policy=app.policy,
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
