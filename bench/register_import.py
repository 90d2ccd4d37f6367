"""Bringing a register's history in: 150 young people over 18 months.

  .venv/bin/python bench/register_import.py [--db postgresql|sqlite] [--young-people 150]
      [--months 18] [--runs 3]

A made-up history (tests/histories.py: joining, ratings, keyworkers,
admissions and discharges, transitions, step-downs and removals, every event
within the register's rules) is written as a CSV of dated events. Each run
imports it into a new register of a migrated database, then imports it again
(which must change nothing). Timed twice: in-process (reading the file,
checking every event in date order, writing the history; one transaction),
and as an operator runs it, `teamaround register import FILE` in a
subprocess (start-up included). Reported: events, statements, and the
median of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import StatementCounter, migrated_app
from bot.clock import FrozenClock
from bot.main import App, build
from bot.policy import Policy
from commands.csv_files import read_csv
from commands.directory.service import ALIASES, import_csv
from commands.dsr.imports.service import HistoryReport, import_history
from tests.histories import as_csv, history

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEYWORKERS = tuple(f"keyworker.{n}@example.org" for n in range(1, 9))
DIRECTORY = "name,email,agency,role,line_manager_email\n" + "".join(
    f"Keyworker {n},{email},Keyworking Service,Keyworker,\n"
    for n, email in enumerate(KEYWORKERS, start=1)
)


async def timed_import(app: App, data: bytes, *, register: str) -> tuple[float, int, HistoryReport]:
    policy = Policy.model_validate({"register": register})
    counter = StatementCounter(app)
    began = time.perf_counter()
    async with app.db.transaction() as session:
        report = await import_history(
            session,
            table=read_csv(data),
            now=NOW,
            calendar=policy.calendar(),
            policy=policy,
            actor_label="bench",
        )
    elapsed = time.perf_counter() - began
    assert not report.problems, report.problems[:5]
    return elapsed, counter.count, report


def cli_import(url: str, path: Path, *, register: str) -> float:
    policy = Path(tempfile.mkdtemp(prefix="teamaround-bench-")) / "policy.yaml"
    policy.write_text(f"register: {register}\n", encoding="utf-8")
    env = {**os.environ, "TEAMAROUND_DATABASE_URL": url, "TEAMAROUND_CONFIG": str(policy)}
    teamaround = Path(sys.executable).parent / "teamaround"
    began = time.perf_counter()
    done = subprocess.run(
        [str(teamaround), "register", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - began
    assert done.returncode == 0, done.stderr
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--young-people", type=int, default=150)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lines = history(
        young_people=args.young_people,
        months=args.months,
        today=NOW.date(),
        keyworkers=KEYWORKERS,
    )
    data = as_csv(lines).encode("utf-8")
    path = Path(tempfile.mkdtemp(prefix="teamaround-bench-")) / "history.csv"
    path.write_bytes(data)
    kinds: dict[str, int] = {}
    for line in lines:
        kinds[line.event] = kinds.get(line.event, 0) + 1
    print(
        f"{len(lines):,} events for {args.young_people} young people over {args.months} months "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); {len(data) / 1024:.0f} KB"
    )
    async with migrated_app(args.db, name="register-import") as app:
        app = build(app.settings, clock=FrozenClock(NOW))
        async with app.db.transaction() as session:
            await import_csv(
                session,
                table=read_csv(DIRECTORY.encode(), aliases=ALIASES),
                now=NOW,
                actor_label="bench",
            )
        first, again, statements, cli = [], [], [], []
        for run in range(args.runs):
            elapsed, count, report = await timed_import(app, data, register=f"Bench {run}")
            assert sum(report.applied.values()) == len(lines)
            first.append(elapsed)
            statements.append(count)
            elapsed, _, report = await timed_import(app, data, register=f"Bench {run}")
            assert sum(report.applied.values()) == 0 and report.already == len(lines)
            again.append(elapsed)
            cli.append(cli_import(app.settings.database_url, path, register=f"By CLI {run}"))
        await app.db.dispose()
    print(
        f"{args.db}: import {statistics.median(first) * 1000:,.0f} ms in-process "
        f"({statistics.median(statements)} statements), "
        f"{statistics.median(cli) * 1000:,.0f} ms as `teamaround register import`; "
        f"importing it again (nothing changes) {statistics.median(again) * 1000:,.0f} ms "
        f"(median of {args.runs})"
    )


if __name__ == "__main__":
    asyncio.run(main())
