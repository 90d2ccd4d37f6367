"""`teamaround serve` as an operator runs it: a real subprocess connected to
the fake Slack, JSON logs, and SIGTERM in the middle of delivering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.invocation import Actor, Conversation, Invocation
from bot.main import App, build
from bot.settings import Settings
from commands.directory.demo import seed
from store import migrate
from store.models import Network, Outbox, Person
from tests.e2e.test_cli import teamaround
from tests.fakes.slack import FakeSlack, sign, slash_command_body
from tests.integration.loopback import free_port

pytestmark = pytest.mark.e2e

TOKEN = "xoxb-e2e-secret-token-4242"
SECRET = "e2e-signing-secret-9f8e7d"
KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
CANARY = "Quokka-marmalade-canary"


class Serve:
    """One `teamaround serve` process with its log."""

    def __init__(self, tmp_path: Path, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.log_path = tmp_path / f"serve-{self.port}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [teamaround(), "serve", "--port", str(self.port), *args],
            cwd=tmp_path,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.url) as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, self.log()
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"serve did not become ready:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> float:
        """Send ``sig``; return how long the process took to exit."""
        began = time.monotonic()
        self.proc.send_signal(sig)
        while self.proc.poll() is None:
            if time.monotonic() - began > timeout:
                self.proc.kill()
                raise AssertionError(f"serve did not exit within {timeout} s:\n{self.log()}")
            await asyncio.sleep(0.05)
        self._log.close()
        return time.monotonic() - began


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(token=TOKEN) as fake:
        yield fake


async def prepared(
    tmp_path: Path, slack: FakeSlack, *, actions: int
) -> tuple[App, str, dict[str, str]]:
    """A SQLite file with the demo directory, Kim's network in a Slack
    channel, and ``actions`` actions for Sam (each a card and a DM waiting)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    await migrate.upgrade_async(url)
    ids = {email: slack.add_user(name=email.split("@")[0], email=email) for email in (KIM, SAM)}
    app = build(
        Settings(
            database_url=url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
        )
    )
    now = app.services.clock.now()
    async with app.db.transaction() as session:
        await seed(
            session, register_name=app.policy.register_name, now=now, consent_date=now.date()
        )
        for person in (await session.scalars(select(Person))).all():
            person.slack_user_id = ids.get(person.email)
    channel = slack.add_channel("yp-dsr-0042", is_private=True, members=ids.values())

    async def run(command: str, text: str, where: str) -> None:
        reply = await app.dispatcher.dispatch(
            Invocation(
                actor=Actor(platform="slack", platform_user_id=ids[KIM]),
                conversation=Conversation(platform="slack", conversation_id=where),
                command=command,
                text=text,
            )
        )
        assert reply.message.tone != "error", reply.message.text

    await run("network", "open DSR-0042", "CSETUP")
    async with app.db.transaction() as session:
        network = await session.get_one(Network, 1)
        network.space_id = channel
        # The channel exists already: its creation and invitations are done.
        rows = await session.scalars(select(Outbox).where(Outbox.status == "pending"))
        for row in rows:
            row.status = "sent"
    await run("network", f"add {SAM}", channel)
    for n in range(actions):
        await run("action", f"assign @sam.patel Task {n} by Friday", channel)
    return app, channel, ids


def serve_env(tmp_path: Path, slack: FakeSlack, **extra: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMAROUND_"))
    }
    return {
        **keep,
        "TEAMAROUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "TEAMAROUND_SLACK_API_URL": slack.base_url,
        **extra,
    }


async def test_sigterm_mid_delivery_hands_claimed_rows_over_at_once(
    tmp_path: Path, slack: FakeSlack
) -> None:
    app, _, _ = await prepared(tmp_path, slack, actions=12)
    async with app.db.reader() as session:
        waiting = (
            await session.scalars(select(Outbox.idempotency_key).where(Outbox.status == "pending"))
        ).all()
    assert len(waiting) > 20  # a card and a DM per action, and the invitation
    slack.fail_next(None, 10_000, status=200, delay=0.4)  # Slack answers, slowly
    # No jobs: what they send depends on today's date.
    serve = Serve(tmp_path, serve_env(tmp_path, slack), "--no-scheduler")
    try:
        await serve.wait_ready()
        while not slack.calls:  # the relay has claimed a batch and is delivering
            await asyncio.sleep(0.05)
        took = await serve.stop(signal.SIGTERM)
    finally:
        if serve.proc.poll() is None:
            serve.proc.kill()
    slack.heal()
    log = serve.log()
    assert took < 10, log
    assert "handed" in log and "claimed outbox row(s) back" in log, log
    assert "Traceback" not in log
    async with app.db.reader() as session:
        rows = (await session.scalars(select(Outbox).order_by(Outbox.id))).all()
    unsent = [r for r in rows if r.status != "sent"]
    assert unsent, "the relay should not have finished before SIGTERM"
    # Every unsent row is free for any relay now: none waits for a lease.
    assert {(r.status, r.claimed_by, r.claimed_until) for r in unsent} == {("pending", None, None)}
    assert all(r.attempts == 0 for r in unsent)
    # In the evening, at a weekend or on a bank holiday the DMs wait for the
    # next working morning (the host's clock, which the replica used too);
    # everything else is due now.
    now = app.services.clock.now()
    later = {r.idempotency_key for r in unsent if r.next_attempt_at > now}
    assert all(r.op == "dm" for r in unsent if r.idempotency_key in later)
    report = await app.relay(worker="survivor").drain()
    assert report.sent == len(unsent) - len(later) and report.dead == 0
    await app.db.dispose()
    # Every card and DM that was due arrived exactly once.
    keys = [
        (m.metadata or {}).get("event_payload", {}).get("key")
        for messages in slack.messages.values()
        for m in messages
        if m.metadata
    ]
    # A card's later versions edit its one message (or fold into the newest).
    first_of_card: dict[str, str] = {}
    for r in rows:
        if r.card_key and r.idempotency_key in waiting:
            first_of_card.setdefault(r.card_key, r.idempotency_key)
    posted = [
        r.idempotency_key
        for r in rows
        if r.op != "space"
        and r.idempotency_key in waiting
        and r.idempotency_key not in later
        and (not r.card_key or first_of_card[r.card_key] == r.idempotency_key)
    ]
    assert sorted(k for k in keys if k) == sorted(posted)


async def test_json_logs_hold_no_secret_and_no_typed_text(tmp_path: Path, slack: FakeSlack) -> None:
    app, channel, ids = await prepared(tmp_path, slack, actions=1)
    await app.db.dispose()
    serve = Serve(
        tmp_path, serve_env(tmp_path, slack, TEAMAROUND_LOG_FORMAT="json"), "--no-scheduler"
    )
    try:
        await serve.wait_ready()
        async with httpx.AsyncClient(base_url=serve.url) as http:
            for text in (
                f"assign @sam.patel {CANARY} by Friday",  # a write
                f"list {CANARY}",  # refused
                f"show 1 {CANARY} {TOKEN}",  # a token typed by mistake
            ):
                body = slash_command_body(
                    command="/action",
                    text=text,
                    user_id=ids[KIM],
                    channel_id=channel,
                    trigger_id=slack.new_trigger_id(),
                    response_url=slack.new_response_url(),
                )
                response = await http.post(
                    "/slack/events", content=body, headers=sign(body, secret=SECRET)
                )
                assert response.status_code == 200
                assert response.headers["x-request-id"]
            # An event nobody handles: bolt would quote its body in a warning.
            event = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T0TEAM",
                    "event": {
                        "type": "message",
                        "text": CANARY,
                        "user": ids[SAM],
                        "channel": channel,
                    },
                    "event_id": "Ev0001",
                }
            ).encode()
            await http.post(
                "/slack/events",
                content=event,
                headers={**sign(event, secret=SECRET), "content-type": "application/json"},
            )
            # Forged: refused, and the token in the query string is not logged.
            await http.post(f"/slack/events?token={TOKEN}&q={CANARY}", content=b"x=1")
            await http.get(f"/nowhere/{CANARY}?token={TOKEN}")
            slack.fail_next("chat.postMessage", error="channel_not_found")  # a delivery warning
            await asyncio.sleep(3)  # the relay delivers the action's card and DM
    finally:
        await serve.stop()
    log = serve.log()
    lines = [line for line in log.splitlines() if line.strip()]
    records = []
    for line in lines:
        if line.startswith("No Slack or Teams"):
            continue
        record = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        records.append(record)
    for secret in (CANARY, TOKEN, SECRET, "xoxb-"):
        assert secret not in log, secret
    access = [r for r in records if r["logger"] == "teamaround.access"]
    assert len(access) >= 6
    assert all(
        r["request_id"] and r["route"] in ("/slack/events", "/readyz", "(no route)") for r in access
    )
    assert {r["status"] for r in access} >= {200, 401, 404}
    assert any(r["message"] == "stopped cleanly" for r in records)
