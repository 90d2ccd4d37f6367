"""How fast the relays empty a morning's outbox: messages a second, 1 and N replicas.

  .venv/bin/python bench/relay_drain.py [--messages 3000] [--replicas 1,3] [--channels 50]

Queues ``--messages`` rows on a throwaway PostgreSQL 15 (channel posts and
direct messages, half each, as a chase morning is), starts that many
`teamaround serve` replicas against the fake Slack (its own process, no rate
limits: this is Teamaround's own ceiling, not Slack's), and times until every
row is sent. Checks each message arrived once.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Replica,
    fake_slack,
    free_port,
    postgres,
    serve_env,
    wait_ready,
)
from bench.load_test import setup
from commands.directory.demo import PEOPLE


async def queue(url: str, *, messages: int, run: int) -> None:
    from sqlalchemy import select

    from bot.clock import SystemClock
    from bot.messages import Message, Section
    from store import outbox
    from store.db import Database
    from store.models import Network, Person

    db = Database(url)
    now = SystemClock().now()
    async with db.transaction() as session:
        networks = list((await session.scalars(select(Network.id))).all())
        people = list(
            (
                await session.scalars(select(Person.id).where(Person.slack_user_id.is_not(None)))
            ).all()
        )
        rows = []
        for n in range(messages):
            text = f"Morning message {run}.{n}: 3 actions are overdue in this network."
            message = Message(text=text, blocks=(Section(text=text),))
            # Half to network channels, half to people directly.
            kind, target = (
                ("network", networks[n % len(networks)])
                if n % 2
                else ("person", people[n % len(people)])
            )
            rows.append(
                outbox.row(
                    key=f"drain:{run}:{n}",
                    target_kind=kind,
                    target_id=target,
                    op="post" if kind == "network" else "dm",
                    message=message,
                    now=now,
                )
            )
        await outbox.enqueue_many(session, rows)
    await db.dispose()


async def unsent(url: str) -> int:
    from sqlalchemy import func, select

    from store.db import Database
    from store.models import Outbox

    db = Database(url)
    try:
        async with db.reader() as session:
            return int(
                await session.scalar(select(func.count()).where(Outbox.status != "sent")) or 0
            )
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--replicas", default="1,3")
    parser.add_argument("--channels", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="teamaround-drain-"))
    emails = [email for _, email, *_ in PEOPLE]
    print(f"{args.messages} messages per run, half posts in {args.channels} channels, half DMs")
    print("| replicas | time to send all | messages a second | posted more than once |")
    print("| --- | --- | --- | --- |")
    with postgres() as url, fake_slack(emails, channels=args.channels) as slack:
        await setup(url, slack, networks=args.channels)
        env = serve_env(url, slack)
        for run, count in enumerate(int(c) for c in args.replicas.split(",")):
            replicas = [
                Replica(f"r{n}", free_port(), env, ("--no-scheduler",), workdir / f"r{n}.log")
                for n in range(count)
            ]
            # Setting up queued cards: deliver those first, with one replica.
            replicas[0].start()
            await wait_ready(replicas[0].url)
            while await unsent(url):
                await asyncio.sleep(0.5)
            for replica in replicas[1:]:
                replica.start()
            for replica in replicas:
                await wait_ready(replica.url)
            await queue(url, messages=args.messages, run=run)
            began = time.monotonic()
            while await unsent(url):
                await asyncio.sleep(0.2)
            took = time.monotonic() - began
            for replica in replicas:
                replica.stop()
            state = await slack.state()
            keys = collections.Counter(
                k for k in state["posted_keys"] if k.startswith(f"drain:{run}:")
            )
            assert len(keys) == args.messages, (len(keys), args.messages)
            doubled = sum(1 for c in keys.values() if c > 1)
            print(
                f"| {count} | {took:.1f} s | {args.messages / took:.0f} | {doubled} |", flush=True
            )


if __name__ == "__main__":
    asyncio.run(main())
