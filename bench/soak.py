"""Soak: Teamaround under real traffic, with faults and crashes.

  .venv/bin/python bench/soak.py [--commands 300] [--faults 0.3] [--kills 2]
                                 [--db sqlite|postgresql] [--seed 13] [--json FILE]

One `teamaround serve` process (the installed CLI, as an operator runs it)
answers signed slash commands sent from here, as Slack sends them (escaped
mentions included), and delivers its outbox to the fake Slack on loopback
(tests/fakes/slack.py), which grants exactly the manifest's scopes. A share of
the fake's Web API answers (``--faults``) fail at random (the loopback base's
chaos): Slack refusing (a plain-text 503), rate limiting (429, Retry-After 1),
or carrying a call out and losing its answer (then a 503). Only the calls a
command itself waits on (``auth.test``, ``users.info``) are spared: the faults
fall on everything the outbox relay sends. The serving process is killed with
SIGKILL ``--kills`` times, each time while its relay has a delivery in flight,
and started again.

When the outbox has drained, the soak checks what a user would see:

- nothing lost: every outbox row was delivered (none pending, none dead), and
  every message and direct message is in Slack;
- nothing doubled: every message is in Slack once; every card was posted once
  (one message per card, edited in place); one channel per network;
- every network card is pinned exactly once, and every card (network and
  action) shows the state in the database now;
- no command was answered with an unexpected error (a TA- reference), and the
  server logged no error.

It prints the figures as a Markdown table (the README keeps them) and exits
non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    SIGNING_SECRET,
    Replica,
    free_port,
    postgres,
    stop_process,
    wait_ready,
)
from bot.invocation import Conversation  # noqa: E402
from bot.main import App, build  # noqa: E402
from bot.settings import Settings  # noqa: E402
from commands.action.views import action_card  # noqa: E402
from commands.context import Unit  # noqa: E402
from commands.directory.demo import PEOPLE, seed  # noqa: E402
from commands.network.service import card_for  # noqa: E402
from integrations.slack.render import render  # noqa: E402
from store import migrate  # noqa: E402
from store.models import Action, CardRef, Network, Outbox, Person  # noqa: E402
from tests.fakes.slack import FakeSlack, sign, slash_command_body  # noqa: E402

TOKEN = "xoxb-soak-token"
KIM, PRIYA = "kim.lee@example.org", "priya.shah@example.org"
ADE = "ade.okafor@example.org"
MEMBERS = ("sam.patel@example.org", "jo.hughes@example.org", "alex.morgan@example.org", PRIYA)
DEMO_REFERENCES = ("DSR-0042", "DSR-0043", "DSR-0051", "DSR-0057", "DSR-0063")
NEW_REFERENCES = ("DSR-0101", "DSR-0102", "DSR-0103")
GENERAL = "C0GENERAL"
# What the traffic is made of, by weight (after the networks are opened and staffed).
MIX = {
    "assign": 34,
    "update": 14,
    "due": 9,
    "done": 12,
    "reassign": 6,
    "rate": 8,
    "keyworker": 4,
    "cetr record": 2,
    "cetr rec": 4,
    "read": 7,
}
SPARED = ("auth.test", "users.info", "views.open")  # what a command itself waits on
DRAIN_TIMEOUT = 30 * 60.0


@dataclass
class Tally:
    commands: Counter[str] = field(default_factory=Counter)  # by kind
    outcomes: Counter[str] = field(default_factory=Counter)  # ok, refused, unexpected
    unexpected: list[str] = field(default_factory=list)
    kills_mid_send: int = 0
    kills: int = 0
    seconds_sending: float = 0.0
    seconds_draining: float = 0.0


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path, database_url: str) -> None:
        self.args = args
        self.workdir = workdir
        self.database_url = database_url
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.slack = FakeSlack(token=TOKEN)
        self.app: App | None = None  # a reader of the same database, for the checks
        self.user_ids: dict[str, str] = {}
        self.channels: dict[str, str] = {}  # reference -> Slack channel id
        self.log_path = workdir / "serve.log"
        self.server = Replica(name="soak", port=free_port(), env={}, log_path=self.log_path)
        self.http: httpx.AsyncClient | None = None
        self.sequence = 0

    # -- the serving process ----------------------------------------------------------

    def env(self) -> dict[str, str]:
        """`teamaround serve` connected to the fake Slack in this process."""
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMAROUND_"))
        }
        return {
            **keep,
            "TEAMAROUND_DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TEAMAROUND_SLACK_API_URL": self.slack.base_url,
        }

    async def start(self) -> None:
        """`teamaround serve` (the shared bench Replica), until it is ready."""
        self.server.env = self.env()
        self.server.args = ("--no-scheduler",)
        self.server.start()
        try:
            await wait_ready(self.server.url)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; see {self.log_path}") from exc

    async def kill_while_sending(self) -> None:
        """SIGKILL the server while its relay has a delivery in flight (within 20 s)."""
        assert self.server.proc is not None and self.app is not None
        deadline = time.monotonic() + 20
        caught = False
        while time.monotonic() < deadline:
            async with self.app.db.reader() as session:
                sending = await session.scalar(
                    select(func.count()).where(Outbox.status == "sending")
                )
            if sending:
                caught = True
                break
            await asyncio.sleep(0.005)
        stop_process(self.server.proc, signal.SIGKILL)
        self.tally.kills += 1
        self.tally.kills_mid_send += caught
        await self.start()

    # -- commands -----------------------------------------------------------------------

    def mention(self, email: str) -> str:
        return f"<@{self.user_ids[email]}|{email.split('@')[0]}>"

    async def command(self, kind: str, email: str, command: str, text: str, channel: str) -> str:
        """Send one signed slash command; returns the reply's text."""
        assert self.http is not None
        self.sequence += 1
        body = slash_command_body(
            command=command,
            text=text,
            user_id=self.user_ids[email],
            channel_id=channel,
            trigger_id=f"soak.{self.sequence}.{self.rng.getrandbits(32)}",
            response_url="http://127.0.0.1:9/unused",
        )
        headers = sign(body, secret=SIGNING_SECRET)
        response = await self.http.post("/slack/events", content=body, headers=headers)
        said = str(response.json().get("text", "")) if response.content else ""
        self.tally.commands[kind] += 1
        if response.status_code != 200 or "TA-" in said:
            self.tally.outcomes["unexpected"] += 1
            self.tally.unexpected.append(
                f"{command} {text[:60]!r}: {response.status_code} {said[:200]}"
            )
        elif re.search(r"^(Sorry|I can't|I don't|I couldn't|Only |Please )", said):
            self.tally.outcomes["refused"] += 1
        else:
            self.tally.outcomes["ok"] += 1
        return said

    async def wait_for_spaces(self, references: tuple[str, ...]) -> None:
        """Until every network's channel exists (the relay creates them, through the faults)."""
        assert self.app is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            async with self.app.db.reader() as session:
                rows = (
                    await session.execute(
                        select(Network.space_name, Network.space_id).where(Network.status == "open")
                    )
                ).all()
            found = {name: space for name, space in rows if space}
            if len(found) >= len(references):
                for reference in references:
                    self.channels[reference] = found[f"yp-{reference.lower()}"]
                return
            await asyncio.sleep(0.2)
        raise RuntimeError("the networks' channels were not created within 5 minutes")

    async def network_state(self, reference: str) -> tuple[list[tuple[int, str]], str | None]:
        """(open actions as (id, owner email), keyworker email) from the database."""
        assert self.app is not None
        async with self.app.db.reader() as session:
            network = await session.scalar(
                select(Network).where(Network.space_name == f"yp-{reference.lower()}")
            )
            assert network is not None
            keyworker = network.keyworker.email if network.keyworker else None
            rows = (
                await session.execute(
                    select(Action.id, Person.email)
                    .join(Person, Person.id == Action.owner_id)
                    .where(Action.network_id == network.id, Action.status == "open")
                    .order_by(Action.id)
                )
            ).all()
        return [(int(i), str(e)) for i, e in rows], keyworker

    async def setup_commands(self) -> None:
        for reference in NEW_REFERENCES:
            await self.command(
                "dsr add",
                PRIYA,
                "/dsr",
                f"add {reference} --age-band under-18 --consent parental --consent-date today",
                GENERAL,
            )
        references = DEMO_REFERENCES + NEW_REFERENCES
        for reference in references:
            await self.command("network open", KIM, "/network", f"open {reference}", GENERAL)
        await self.wait_for_spaces(references)
        people = " ".join(self.mention(e) for e in MEMBERS)
        for reference in references:
            await self.command(
                "network add", KIM, "/network", f"add {people}", self.channels[reference]
            )

    async def one_command(self, n: int) -> None:
        reference = self.rng.choice(sorted(self.channels))
        channel = self.channels[reference]
        open_actions, keyworker = await self.network_state(reference)
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind in ("update", "due", "done", "reassign") and not open_actions:
            kind = "assign"
        if kind == "assign":
            owner = self.rng.choice(MEMBERS)
            weeks = self.rng.randint(1, 6)
            text = f"assign {self.mention(owner)} Task {n} &amp; follow-up by in {weeks} weeks"
            await self.command(kind, KIM, "/action", text, channel)
        elif kind == "update":
            action_id, owner = self.rng.choice(open_actions)
            await self.command(kind, owner, "/action", f"update {action_id} Note {n}", channel)
        elif kind == "due":
            action_id, _ = self.rng.choice(open_actions)
            weeks = self.rng.randint(2, 8)
            text = f"due {action_id} in {weeks} weeks The family asked for more time"
            await self.command(kind, KIM, "/action", text, channel)
        elif kind == "done":
            action_id, owner = self.rng.choice(open_actions)
            await self.command(kind, owner, "/action", f"done {action_id} Sent {n}", channel)
        elif kind == "reassign":
            action_id, owner = self.rng.choice(open_actions)
            to = self.rng.choice([m for m in MEMBERS if m != owner])
            text = f"reassign {action_id} {self.mention(to)} Handing over {n}"
            await self.command(kind, KIM, "/action", text, channel)
        elif kind == "rate":
            colour = self.rng.choice(("red", "amber", "green"))
            text = f'rate {reference} {colour} "Reviewed at soak step {n}"'
            await self.command(kind, PRIYA, "/dsr", text, GENERAL)
        elif kind == "keyworker":
            to = ADE if keyworker == KIM else KIM
            text = f"keyworker {reference} {self.mention(to)}"
            await self.command(kind, PRIYA, "/dsr", text, GENERAL)
        elif kind == "cetr record":
            text = (
                f"record community-cetr today --chair {self.mention(PRIYA)} "
                '--clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'
            )
            await self.command(kind, KIM, "/cetr", text, channel)
        elif kind == "cetr rec":
            said = await self.command("cetr list", KIM, "/cetr", "list", channel)
            reviews = re.findall(r"#(\d+)", said)
            if not reviews:
                return
            owner = self.rng.choice(MEMBERS)
            text = f"rec {reviews[0]} {self.mention(owner)} Recommendation {n} by in 4 weeks"
            await self.command(kind, KIM, "/cetr", text, channel)
        else:
            command, text = self.rng.choice((("/action", "list"), ("/network", "show")))
            await self.command(kind, KIM, command, text, channel)

    # -- the run ------------------------------------------------------------------------

    async def prepare(self) -> None:
        await migrate.upgrade_async(self.database_url)
        self.app = build(Settings(database_url=self.database_url))
        now = self.app.services.clock.now()
        async with self.app.db.transaction() as session:
            await seed(
                session,
                register_name=self.app.policy.register_name,
                now=now,
                consent_date=now.date(),
            )
        for name, email, *_ in PEOPLE:
            self.user_ids[email] = self.slack.add_user(name=email.split("@")[0], email=email)
            self.slack.users[self.user_ids[email]].real_name = name

    async def run(self) -> dict[str, Any]:
        await self.slack.start()
        try:
            await self.prepare()
            await self.start()
            self.slack.chaos(self.args.faults, seed=self.args.seed, spare=SPARED)
            async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as self.http:
                began = time.monotonic()
                await self.setup_commands()
                total = self.args.commands
                kill_at = {total * (k + 1) // (self.args.kills + 1) for k in range(self.args.kills)}
                n = sum(self.tally.commands.values())
                while n < total:
                    await self.one_command(n)
                    n = sum(self.tally.commands.values())
                    if kill_at and n >= min(kill_at):
                        kill_at.remove(min(kill_at))
                        await self.kill_while_sending()
                self.tally.seconds_sending = time.monotonic() - began
                began = time.monotonic()
                await self.drain()
                self.tally.seconds_draining = time.monotonic() - began
            return await self.check()
        finally:
            self.server.stop()
            if self.app is not None:
                await self.app.db.dispose()
            await self.slack.stop()

    async def drain(self) -> None:
        """Until no outbox row is waiting (faults still on; the relay keeps trying)."""
        assert self.app is not None
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline:
            async with self.app.db.reader() as session:
                waiting = await session.scalar(
                    select(func.count()).where(Outbox.status.in_(("pending", "sending")))
                )
            if not waiting:
                return
            await asyncio.sleep(1)

    # -- the checks ---------------------------------------------------------------------

    def slack_messages(self) -> list[Any]:
        return [
            m
            for messages in self.slack.messages.values()
            for m in messages
            if m.ephemeral_for is None and m.user == self.slack.bot_user_id
        ]

    @staticmethod
    def key_of(message: Any) -> str:
        metadata = message.metadata or {}
        return str((metadata.get("event_payload") or {}).get("key", ""))

    async def check(self) -> dict[str, Any]:
        assert self.app is not None
        messages = self.slack_messages()
        by_key = Counter(self.key_of(m) for m in messages if self.key_of(m))
        async with self.app.db.reader() as session:
            rows = list((await session.scalars(select(Outbox))).all())
            refs = {r.card_key: r for r in (await session.scalars(select(CardRef))).all()}
            networks = list((await session.scalars(select(Network))).all())
            actions = list((await session.scalars(select(Action))).unique().all())
            expected_cards = await self.expected_cards(session, networks, actions)
        problems: list[str] = []
        statuses = Counter(r.status for r in rows)
        for row in rows:
            if row.status != "sent":
                problems.append(f"lost: outbox row {row.idempotency_key} is {row.status}")
        plain_rows = [r for r in rows if r.op in ("post", "dm") and not r.card_key]
        for row in plain_rows:
            count = by_key[row.idempotency_key]
            if count != 1:
                problems.append(f"message {row.idempotency_key} is in Slack {count} times")
        card_keys = sorted({r.card_key for r in rows if r.card_key})
        posted_once = 0
        for card_key in card_keys:
            copies = [m for m in messages if self.key_of(m).startswith(f"card:{card_key}:")]
            if len(copies) != 1:
                problems.append(f"card {card_key} is in Slack {len(copies)} times")
                continue
            posted_once += 1
            ref = refs.get(card_key)
            if ref is None or ref.message_id != copies[0].ts:
                problems.append(f"card {card_key}: its reference is not the message posted")
            expected = expected_cards.get(card_key)
            if expected is not None and not self.shows(copies[0], expected):
                problems.append(f"card {card_key} does not show the current state")
        pinned_once = 0
        for network in networks:
            channel = self.slack.channels.get(network.space_id or "")
            ref = refs.get(f"network:{network.id}")
            if channel is None or ref is None:
                problems.append(f"network {network.id} has no channel or no card")
                continue
            if channel.pins == [ref.message_id]:
                pinned_once += 1
            else:
                problems.append(f"network {network.id}: pins {channel.pins}, card {ref.message_id}")
        channels = [c for c in self.slack.channels.values() if c.name.startswith("yp-")]
        if len(channels) != len(networks):
            problems.append(f"{len(channels)} channels for {len(networks)} networks")
        log = self.log_path.read_text(encoding="utf-8", errors="replace")
        errors_logged = sum(1 for line in log.splitlines() if " ERROR " in line)
        if errors_logged:
            problems.append(f"the server logged {errors_logged} error lines")
        problems += [f"unexpected reply: {u}" for u in self.tally.unexpected]
        calls = Counter(c.method for c in self.slack.calls)
        return {
            "commands": sum(self.tally.commands.values()),
            "commands_by_kind": dict(self.tally.commands),
            "outcomes": dict(self.tally.outcomes),
            "faults_rate": self.args.faults,
            "faults_injected": dict(self.slack.chaos_injected),
            "slack_calls": sum(calls.values()),
            "kills": self.tally.kills,
            "kills_mid_send": self.tally.kills_mid_send,
            "outbox_rows": len(rows),
            "outbox_statuses": dict(statuses),
            "messages_in_slack": len(messages),
            "networks": len(networks),
            "actions": len(actions),
            "cards": len(card_keys),
            "cards_posted_once": posted_once,
            "network_cards_pinned_once": pinned_once,
            "errors_logged": errors_logged,
            "seconds_sending": round(self.tally.seconds_sending, 1),
            "seconds_draining": round(self.tally.seconds_draining, 1),
            "problems": problems,
        }

    async def expected_cards(
        self, session: Any, networks: list[Network], actions: list[Action]
    ) -> dict[str, tuple[str, list[Any]]]:
        """What each card should show now: (fallback text, blocks) as Slack renders them."""
        assert self.app is not None
        services = self.app.services
        actor = await session.scalar(select(Person).where(Person.email == KIM))
        unit = Unit(
            session=session,
            services=services,
            actor=actor,
            conversation=Conversation(platform="slack", conversation_id="soak"),
            now=services.clock.now(),
            known_emails={},
        )
        expected: dict[str, tuple[str, list[Any]]] = {}
        for network in networks:
            rendered = render(await card_for(unit, network=network))
            expected[f"network:{network.id}"] = (rendered.text, list(rendered.blocks))
        for action in actions:
            message = action_card(action, today=unit.today, calendar=services.calendar)
            rendered = render(message)
            expected[f"action:{action.id}"] = (rendered.text, list(rendered.blocks))
        return expected

    @staticmethod
    def shows(message: Any, expected: tuple[str, list[Any]]) -> bool:
        text, blocks = expected
        shown = list(message.blocks or [])
        # A first post may open with the owner's mention; edits carry the card alone.
        if shown and len(shown) == len(blocks) + 1 and "<@" in json.dumps(shown[0]):
            shown = shown[1:]
        return message.text.endswith(text) and shown == blocks


def table(result: dict[str, Any]) -> str:
    faults = result["faults_injected"]
    rows = [
        ("signed slash commands sent", result["commands"]),
        (
            "answered ok / refused kindly / unexpected",
            " / ".join(str(result["outcomes"].get(k, 0)) for k in ("ok", "refused", "unexpected")),
        ),
        ("Slack Web API calls", result["slack_calls"]),
        (
            f"faults injected ({result['faults_rate']:.0%} of calls)",
            f"{sum(faults.values())} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(faults.items()))
            + ")",
        ),
        (
            "kill -9 of the serving process (mid-send)",
            f"{result['kills']} ({result['kills_mid_send']})",
        ),
        ("networks / actions", f"{result['networks']} / {result['actions']}"),
        ("outbox rows (all sent)", f"{result['outbox_rows']} {result['outbox_statuses']}"),
        ("messages in Slack", result["messages_in_slack"]),
        ("cards posted exactly once", f"{result['cards_posted_once']} of {result['cards']}"),
        (
            "network cards pinned exactly once",
            f"{result['network_cards_pinned_once']} of {result['networks']}",
        ),
        ("errors in the server's log", result["errors_logged"]),
        (
            "time: sending / draining",
            f"{result['seconds_sending']} s / {result['seconds_draining']} s",
        ),
        ("problems found", len(result["problems"])),
    ]
    lines = ["| soak | result |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--faults", type=float, default=0.3, help="share of Slack calls that fail")
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="teamaround-soak-"))
    with contextlib.ExitStack() as stack:
        if args.db == "postgresql":
            database_url = stack.enter_context(postgres())
        else:
            database_url = f"sqlite+aiosqlite:///{workdir / 'soak.db'}"
        result = await Soak(args, workdir, database_url).run()
    result["database"] = args.db
    print(
        f"database: {args.db}; seed {args.seed}; python {sys.version.split()[0]}; "
        f"server log: {workdir / 'serve.log'}"
    )
    print(table(result))
    for problem in result["problems"]:
        print(f"  PROBLEM: {problem}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
