"""Several `teamaround serve` replicas on one PostgreSQL, under load, with kills.

  .venv/bin/python bench/load_test.py [--rate 50] [--seconds 120] [--single-seconds 60]
      [--replicas 3] [--networks 20]

Starts a throwaway PostgreSQL 15, the fake Slack in its own process, and
real `teamaround serve` processes (relay on, scheduler off: the jobs are run
by hand in the middle, as an operator would). The client spreads signed
Slack requests over the replicas round robin, skipping one that refuses the
connection (what a load balancer does; nothing was sent, so nothing can be
doubled). The mix, at ``--rate`` commands a second, open loop: 80% reads
(`/action list all`, `/action show N`), 20% writes (`/action assign`,
`/action update`, and button presses: Add update, then the form submitted).

Phase 1: one replica for ``--single-seconds``. Phase 2: ``--replicas`` for
``--seconds``, during which one replica is killed with SIGKILL (and restarted
5 s later), the chase runs (`teamaround jobs run chase --at …`), the agenda
is posted (`/dsr agenda post`), and another replica gets SIGTERM (and is
restarted). Then it waits for the outbox to settle and checks: every command
answered or refused (and how), every accepted write stored exactly once, a
write whose answer was lost stored at most once, every message posted once,
every action card one message, no outbox row dead or stuck.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    SIGNING_SECRET,
    FakeSlackProcess,
    Replica,
    Spread,
    fake_slack,
    free_port,
    postgres,
    serve_env,
    wait_ready,
)
from commands.directory.demo import PEOPLE
from integrations.slack import modals
from tests.fakes.slack import (
    block_actions_body,
    sign,
    slash_command_body,
    view_submission_body,
)

KIM = "kim.lee@example.org"
OWNERS = ("sam.patel@example.org", "jo.hughes@example.org")
LONDON = ZoneInfo("Europe/London")
# The chase runs "as if" on this working morning, so its messages are due at
# once whatever the time of day the benchmark runs.
CHASE_AT = datetime(2026, 11, 25, 9, 30, tzinfo=LONDON)


LETTERS = str.maketrans("0123456789", "ghijklmnop")


@dataclass
class Sent:
    kind: str
    replica: str
    latency_ms: float
    outcome: str  # answered | refused | dropped | unreachable
    detail: str = ""
    marker: str = ""  # the unique text of an assign


@dataclass
class Phase:
    name: str
    results: list[Sent] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


async def setup(url: str, slack: FakeSlackProcess, *, networks: int) -> dict[str, list[int]]:
    """Migrate, seed the demo directory, open ``networks`` networks in the fake
    Slack's channels with Sam and Jo, ten actions each, three overdue."""
    from sqlalchemy import insert, select, update

    from bot.invocation import Actor, Conversation, Invocation
    from bot.main import build
    from bot.settings import Settings
    from commands.directory.demo import seed
    from store import migrate
    from store.models import Action, Network, Outbox, Person, YoungPerson

    await migrate.upgrade_async(url)
    app = build(
        Settings(
            database_url=url,
            slack_bot_token=slack.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url,
        )
    )
    now = app.services.clock.now()
    async with app.db.transaction() as session:
        await seed(
            session, register_name=app.policy.register_name, now=now, consent_date=now.date()
        )
        for person in (await session.scalars(select(Person))).all():
            person.slack_user_id = slack.users.get(person.email)
        register_id = (await session.scalars(select(YoungPerson.register_id))).first()
        await session.execute(
            insert(YoungPerson),
            [
                {
                    "register_id": register_id,
                    "reference": f"LOAD-{n:04d}",
                    "age_band": "under-18",
                    "ehcp": False,
                    "consent_basis": "consent",
                    "consent_date": now.date(),
                    "created_at": now,
                }
                for n in range(networks)
            ],
        )

    async def run(command: str, text: str, channel: str) -> None:
        reply = await app.dispatcher.dispatch(
            Invocation(
                actor=Actor(platform="slack", platform_user_id=slack.users[KIM]),
                conversation=Conversation(platform="slack", conversation_id=channel),
                command=command,
                text=text,
            )
        )
        assert reply.message.tone != "error", reply.message.text

    actions: dict[str, list[int]] = {}
    for n, channel in enumerate(slack.channels):
        await run("network", f"open LOAD-{n:04d}", "CSETUP")
        async with app.db.transaction() as session:
            network = await session.scalar(select(Network).order_by(Network.id.desc()).limit(1))
            assert network is not None
            network.space_id = channel
            # The channel exists already: its creation is not part of the load.
            await session.execute(update(Outbox).where(Outbox.op == "space").values(status="sent"))
        await run("network", f"add {' '.join(OWNERS)}", channel)
        for k in range(10):
            owner = OWNERS[k % 2].split("@")[0]
            await run("action", f"assign @{owner} Standing task {n}.{k} by in 3 weeks", channel)
        async with app.db.reader() as session:
            ids = (
                await session.scalars(
                    select(Action.id).where(Action.network_id == network.id).order_by(Action.id)
                )
            ).all()
        actions[channel] = list(ids)
    async with app.db.transaction() as session:
        # The channels exist with everyone in them already.
        await session.execute(update(Outbox).where(Outbox.op == "space").values(status="sent"))
        overdue = [i for ids in actions.values() for i in ids[:3]]
        await session.execute(
            update(Action)
            .where(Action.id.in_(overdue))
            .values(due_date=CHASE_AT.date() - timedelta(days=14))
        )
    await app.db.dispose()
    return actions


class Driver:
    """Sends the mix at a fixed rate and records every answer."""

    def __init__(self, slack: FakeSlackProcess, actions: dict[str, list[int]]) -> None:
        self.slack = slack
        self.actions = actions
        self.rng = random.Random(17)
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.trigger_http = httpx.AsyncClient(timeout=10)

    def client(self, replica: Replica) -> httpx.AsyncClient:
        if replica.name not in self.clients:
            self.clients[replica.name] = httpx.AsyncClient(base_url=replica.url, timeout=30)
        return self.clients[replica.name]

    async def post(self, spread: Spread, body: bytes, *, kind: str, marker: str = "") -> Sent:
        headers = sign(body, secret=SIGNING_SECRET)
        began = time.perf_counter()
        for replica in spread.order():
            try:
                response = await self.client(replica).post(
                    "/slack/events", content=body, headers=headers
                )
            except httpx.ConnectError:
                continue  # refused the connection: nothing sent, try the next
            except httpx.TransportError as exc:
                return Sent(kind, replica.name, _ms(began), "dropped", type(exc).__name__, marker)
            latency = _ms(began)
            if response.status_code != 200:
                return Sent(kind, replica.name, latency, "refused", str(response.status_code))
            text = response.text
            refused = any(
                sign in text for sign in ('"error"', "Sorry", "I don't", "I haven't saved")
            )
            outcome = "refused" if refused else "answered"
            detail = text[:160] if refused or marker else ""
            return Sent(kind, replica.name, latency, outcome, detail, marker)
        return Sent(kind, "-", _ms(began), "unreachable", "every replica refused", marker)

    def command(self, command: str, text: str, channel: str) -> bytes:
        return slash_command_body(
            command=command,
            text=text,
            user_id=self.slack.users[KIM],
            channel_id=channel,
            trigger_id=f"load.{uuid.uuid4().hex}",
            response_url="http://127.0.0.1:9/unused",
        )

    async def one(self, spread: Spread, n: int) -> list[Sent]:
        channel = self.rng.choice(self.slack.channels)
        action = self.rng.choice(self.actions[channel])
        roll = self.rng.random()
        if roll < 0.5:
            return [
                await self.post(spread, self.command("/action", "list all", channel), kind="read")
            ]
        if roll < 0.8:
            body = self.command("/action", f"show {action}", channel)
            return [await self.post(spread, body, kind="read")]
        if roll < 0.9:
            # Letters only: a run of ten digits may be an NHS number, which
            # Teamaround refuses (as it should) and the check would count.
            marker = f"Load task {uuid.uuid4().hex[:12].translate(LETTERS)}"
            owner = self.rng.choice(OWNERS).split("@")[0]
            body = self.command("/action", f"assign @{owner} {marker} by in 2 weeks", channel)
            return [await self.post(spread, body, kind="write", marker=marker)]
        if roll < 0.95:
            body = self.command("/action", f"update {action} Rang the family, call {n}", channel)
            return [await self.post(spread, body, kind="write")]
        # A button press (Add update on the card), then the form submitted.
        trigger = (await self.trigger_http.get(f"{self.slack.control}/bench/trigger")).json()
        press = block_actions_body(
            user_id=self.slack.users[KIM],
            action_id="action.update",
            value=str(action),
            channel_id=channel,
            message_ts="1700000000.000100",
            trigger_id=trigger["trigger_id"],
            response_url="http://127.0.0.1:9/unused",
        )
        pressed = await self.post(spread, press, kind="button")
        view = modals.update_modal(action_id=action, channel_id=channel)
        submit = view_submission_body(
            user_id=self.slack.users[KIM],
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values={"note": {"value": {"type": "plain_text_input", "value": f"Form note {n}"}}},
            view_id=f"V{n:08d}",
        )
        return [pressed, await self.post(spread, submit, kind="button")]

    async def run(
        self,
        spread: Spread,
        phase: Phase,
        *,
        rate: float,
        seconds: float,
        events: dict[float, Any] | None = None,
    ) -> None:
        """Send at ``rate`` a second for ``seconds``; ``events`` run at their
        offsets (seconds) without holding the load up."""
        start = time.perf_counter()
        tasks: list[asyncio.Task[list[Sent]]] = []
        pending_events = sorted((events or {}).items())
        side: list[asyncio.Task[None]] = []
        total = int(rate * seconds)
        for n in range(total):
            due = start + n / rate
            while pending_events and pending_events[0][0] <= due - start:
                _, event = pending_events.pop(0)
                side.append(asyncio.create_task(event()))
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(self.one(spread, n)))
        for _, event in pending_events:
            side.append(asyncio.create_task(event()))
        for done in await asyncio.gather(*tasks):
            phase.results.extend(done)
        await asyncio.gather(*side)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        await self.trigger_http.aclose()


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def summarise(phase: Phase, seconds: float) -> list[str]:
    lines = [f"### {phase.name}"]
    outcomes = collections.Counter(r.outcome for r in phase.results)
    lines.append(
        f"{len(phase.results)} requests in {seconds:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )
    details = collections.Counter(
        f"{r.outcome}: {r.detail}" for r in phase.results if r.outcome != "answered"
    )
    for detail, count in details.most_common(8):
        lines.append(f"  {count} × {detail}")
    answered = [r.latency_ms for r in phase.results if r.outcome in ("answered", "refused")]
    lines.append(
        f"latency (answered): p50 {statistics.median(answered):.1f} ms, "
        f"p99 {percentile(answered, 0.99):.1f} ms"
    )
    for kind in ("read", "write", "button"):
        some = [r.latency_ms for r in phase.results if r.kind == kind and r.outcome == "answered"]
        if some:
            lines.append(
                f"  {kind}: {len(some)}, p50 {statistics.median(some):.1f} ms, "
                f"p99 {percentile(some, 0.99):.1f} ms"
            )
    by_replica = collections.defaultdict(list)
    for r in phase.results:
        if r.outcome == "answered":
            by_replica[r.replica].append(r.latency_ms)
    for name, some in sorted(by_replica.items()):
        lines.append(
            f"  {name}: {len(some)} answered, p50 {statistics.median(some):.1f} ms, "
            f"p99 {percentile(some, 0.99):.1f} ms"
        )
    lines += [f"  event: {e}" for e in phase.events]
    return lines


# A row due within this long counts as due: a version of a card waiting a
# few seconds for the version before it is not settled, only one waiting
# for the next service hours is.
SOON = timedelta(seconds=60)


async def settle(url: str, *, seconds: float) -> tuple[dict[str, int], float]:
    """Wait until no outbox row due now or soon is left unsent (a SIGKILLed
    replica's claims come back when their lease ends). Returns rows by status
    and how long it took."""
    from sqlalchemy import func, select

    from store.db import Database
    from store.models import Outbox

    db = Database(url)
    began = time.monotonic()
    try:
        while True:
            now = datetime.now(LONDON)
            async with db.reader() as session:
                due = await session.scalar(
                    select(func.count()).where(
                        Outbox.status.in_(("pending", "sending")),
                        Outbox.next_attempt_at <= now + SOON,
                    )
                )
                counts = dict(
                    (
                        await session.execute(
                            select(Outbox.status, func.count()).group_by(Outbox.status)
                        )
                    ).all()
                )
            if not due or time.monotonic() - began > seconds:
                return {str(k): int(v) for k, v in counts.items()}, time.monotonic() - began
            await asyncio.sleep(1)
    finally:
        await db.dispose()


async def verify(url: str, slack: FakeSlackProcess, phases: list[Phase]) -> list[str]:
    from sqlalchemy import func, select

    from store.db import Database
    from store.models import Action, Outbox

    lines = ["### Checks"]
    db = Database(url)
    try:
        async with db.reader() as session:
            texts = collections.Counter(
                (
                    await session.scalars(
                        select(Action.text).where(Action.text.like("Load task %"))
                    )
                ).all()
            )
            rows = (
                await session.execute(
                    select(
                        Outbox.idempotency_key,
                        Outbox.op,
                        Outbox.status,
                        Outbox.card_key,
                        Outbox.next_attempt_at,
                        Outbox.last_error,
                    )
                )
            ).all()
            actions_total = await session.scalar(select(func.count()).select_from(Action))
    finally:
        await db.dispose()
    writes = [r for p in phases for r in p.results if r.marker]
    accepted = [r for r in writes if r.outcome == "answered"]
    lost = [r for r in writes if r.outcome != "answered"]
    stored_once = sum(1 for r in accepted if texts[r.marker] == 1)
    lines.append(f"assigns answered: {len(accepted)}, stored exactly once: {stored_once}")
    for r in accepted:
        if texts[r.marker] != 1:
            lines.append(f"  not stored once ({texts[r.marker]}): {r.replica} {r.detail!r}")
    lines.append(
        f"assigns without an answer: {len(lost)}; "
        f"stored once {sum(1 for r in lost if texts[r.marker] == 1)}, "
        f"not stored {sum(1 for r in lost if texts[r.marker] == 0)}, "
        f"stored twice or more {sum(1 for r in lost if texts[r.marker] > 1)}"
    )
    doubled = [t for t, c in texts.items() if c > 1]
    lines.append(f"actions stored twice: {len(doubled)} (of {actions_total} actions)")
    state = await slack.state()
    posted = collections.Counter(k for k in state["posted_keys"] if k)
    lines.append(
        f"messages posted: {sum(posted.values())}; posted more than once: "
        f"{sum(1 for c in posted.values() if c > 1)}"
    )
    cards = collections.Counter(
        m["key"].split(":")[2] for m in state["messages"] if m["key"].startswith("card:action:")
    )
    sent_cards = {
        r.card_key.split(":")[1]
        for r in rows
        if r.card_key and r.card_key.startswith("action:") and r.status == "sent"
    }
    lines.append(
        f"action cards: {len(cards)} messages for {len(sent_cards)} cards delivered; "
        f"cards with more than one message: {sum(1 for c in cards.values() if c > 1)}; "
        f"delivered cards without a message: {len(sent_cards - set(cards))}"
    )
    statuses = collections.Counter(r.status for r in rows)
    now = datetime.now(LONDON)
    waiting = sum(1 for r in rows if r.status == "pending" and r.next_attempt_at > now + SOON)
    unsent = [
        r for r in rows if r.status in ("pending", "sending") and r.next_attempt_at <= now + SOON
    ]
    stuck = len(unsent)
    lines.append(
        f"outbox: {dict(statuses)}; dead {statuses.get('dead', 0)}; due but unsent {stuck}; "
        f"waiting for service hours {waiting}"
    )
    lines += [
        f"  unsent: {r.idempotency_key} {r.status} at {r.next_attempt_at:%H:%M:%S}: {r.last_error}"
        for r in unsent
    ]
    lines.append(f"Slack calls: {json.dumps(state['calls'], sort_keys=True)}")
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--single-seconds", type=float, default=60)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--networks", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="teamaround-load-"))
    emails = [email for _, email, *_ in PEOPLE]
    report: list[str] = [
        f"rate {args.rate:g}/s; {args.networks} networks; python {sys.version.split()[0]}; "
        f"logs in {workdir}"
    ]
    with postgres() as url, fake_slack(emails, channels=args.networks) as slack:
        actions = await setup(url, slack, networks=args.networks)
        env = serve_env(url, slack, TEAMAROUND_LOG_FORMAT="json")
        replicas = [
            Replica(f"r{n + 1}", free_port(), env, ("--no-scheduler",), workdir / f"r{n + 1}.log")
            for n in range(args.replicas)
        ]
        driver = Driver(slack, actions)
        phases: list[Phase] = []
        try:
            # Phase 1: one replica.
            first = replicas[0]
            first.start()
            await wait_ready(first.url)
            await settle(url, seconds=120)  # what setting up queued is delivered first
            one = Phase("1 replica")
            await driver.run(Spread([first]), one, rate=args.rate, seconds=args.single_seconds)
            phases.append(one)
            print("\n".join(summarise(one, args.single_seconds)), flush=True)

            # Phase 2: all replicas, with kills, the chase and the agenda.
            for replica in replicas[1:]:
                replica.start()
            for replica in replicas:
                await wait_ready(replica.url)
            many = Phase(f"{args.replicas} replicas")
            victim, leaver = replicas[1], replicas[-1]
            began = time.monotonic()

            def note(text: str) -> None:
                many.events.append(f"{time.monotonic() - began:5.1f} s {text}")

            async def kill() -> None:
                victim.signal(signal.SIGKILL)
                note(f"SIGKILL {victim.name}")
                await asyncio.sleep(5)
                victim.start()
                await wait_ready(victim.url)
                note(f"{victim.name} back")

            async def chase() -> None:
                note("chase started")
                result = await asyncio.to_thread(
                    subprocess.run,
                    [
                        str(Path(sys.executable).parent / "teamaround"),
                        "jobs",
                        "run",
                        "chase",
                        "--at",
                        CHASE_AT.isoformat(),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    cwd=workdir,
                )
                note(
                    "chase done: "
                    + (result.stdout.splitlines()[0] if result.stdout else result.stderr[-200:])
                )

            async def agenda() -> None:
                chair = slack.users["priya.shah@example.org"]
                body = slash_command_body(
                    command="/dsr",
                    text="agenda post",
                    user_id=chair,
                    channel_id=slack.channels[0],
                    trigger_id=f"load.{uuid.uuid4().hex}",
                    response_url="http://127.0.0.1:9/unused",
                )
                sent = await driver.post(Spread(replicas), body, kind="agenda")
                many.results.append(sent)
                note(f"agenda post: {sent.outcome} {sent.detail[:60]}")

            async def terminate() -> None:
                leaver.signal(signal.SIGTERM)
                note(f"SIGTERM {leaver.name}")
                assert leaver.proc is not None
                stopped = await asyncio.to_thread(leaver.proc.wait, 30)
                note(f"{leaver.name} exited ({stopped}) after SIGTERM")
                await asyncio.sleep(2)
                leaver.start()
                await wait_ready(leaver.url)
                note(f"{leaver.name} back")

            s = args.seconds
            await driver.run(
                Spread(replicas),
                many,
                rate=args.rate,
                seconds=s,
                events={0.25 * s: kill, 0.45 * s: chase, 0.55 * s: agenda, 0.7 * s: terminate},
            )
            phases.append(many)
            print("\n".join(summarise(many, s)), flush=True)
            counts, took = await settle(url, seconds=200)
            report.append(f"outbox settled {took:.0f} s after the load: {counts}")
            report += await verify(url, slack, phases)
        finally:
            await driver.close()
            for replica in replicas:
                replica.stop()
    print("\n".join(report))


if __name__ == "__main__":
    asyncio.run(main())
