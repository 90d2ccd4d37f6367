"""What the benchmarks share: a migrated Teamaround on a throwaway PostgreSQL
15 cluster or a temporary SQLite file, a statement counter, and the processes
a load needs (PostgreSQL, the fake Slack, `teamaround serve` replicas)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bot.main import App, build
from bot.settings import Settings
from store import migrate


@asynccontextmanager
async def migrated_app(db: str, *, name: str) -> AsyncIterator[App]:
    pg = None
    if db == "postgresql":
        from tests.pgserver import ThrowawayPostgres

        pg = ThrowawayPostgres()
        url = pg.start()
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='teamaround-bench-')}/{name}.db"
    try:
        await migrate.upgrade_async(url)
        app = build(Settings(database_url=url))
        try:
            yield app
        finally:
            await app.db.dispose()
    finally:
        if pg is not None:
            pg.stop()


class StatementCounter:
    """Counts the SQL statements an engine sends (an executemany counts once)."""

    def __init__(self, app: App) -> None:
        self.count = 0
        event.listen(app.db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


# -- processes: PostgreSQL, the fake Slack, serve replicas ----------------------
#
# Small pieces the load benchmarks share (bench/load_test.py,
# bench/slack_latency.py): each starts one thing and knows how to stop it.

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster; yields its SQLAlchemy URL."""
    from tests.pgserver import ThrowawayPostgres

    pg = ThrowawayPostgres()
    try:
        yield pg.start()
    finally:
        pg.stop()


@dataclass
class FakeSlackProcess:
    """bench/fake_slack_server.py, running."""

    proc: subprocess.Popen[str]
    url: str
    control: str
    users: dict[str, str]
    channels: list[str]
    token: str = "xoxb-bench-token"

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.get(f"{self.control}/bench/state")
            return dict(response.json())


@contextmanager
def fake_slack(emails: list[str], *, channels: int = 0) -> Iterator[FakeSlackProcess]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "fake_slack_server.py"),
            "--users",
            ",".join(emails),
            "--channels",
            str(channels),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        yield FakeSlackProcess(
            proc=proc,
            url=started["url"],
            control=started["control"],
            users=started["users"],
            channels=started["channels"],
        )
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


@dataclass
class Replica:
    """One `teamaround serve` process on a loopback port."""

    name: str
    port: int
    env: dict[str, str]
    args: tuple[str, ...] = ()
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    started: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        teamaround = Path(sys.executable).parent / "teamaround"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(teamaround), "serve", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.log_path.parent if self.log_path else None,
        )
        self.started += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def serve_env(database_url: str, slack: FakeSlackProcess, **extra: str) -> dict[str, str]:
    """The environment of a `teamaround serve` connected to the fake Slack."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMAROUND_"))
    }
    return {
        **keep,
        "TEAMAROUND_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TEAMAROUND_SLACK_API_URL": slack.url,
        **extra,
    }


async def wait_ready(url: str, *, seconds: float = 60) -> None:
    """Until ``url``/readyz answers 200."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready")


class Spread:
    """The client spreading requests over replicas, round robin, as a load
    balancer would: a replica that refuses the connection is skipped and the
    request goes to the next (nothing was sent, so nothing can be doubled)."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self._next = 0

    def order(self) -> list[Replica]:
        start = self._next
        self._next = (self._next + 1) % len(self.replicas)
        return self.replicas[start:] + self.replicas[:start]
