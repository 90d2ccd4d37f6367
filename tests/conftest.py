"""Shared fixtures. `--db=sqlite` (default) or `--db=postgresql` (a throwaway
PostgreSQL 15 cluster started for the run) chooses the database under test."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).parent))

from pgserver import ThrowawayPostgres

from bot.clock import FrozenClock
from bot.dispatcher import safely
from bot.invocation import Actor, Conversation, Invocation, Reply
from bot.main import App, build
from bot.settings import Settings
from commands.directory.demo import seed
from integrations.sandbox.gateway import ConsoleGateway
from integrations.sandbox.render import render
from store import migrate
from store.models import AuditEvent, Outbox

LONDON = ZoneInfo("Europe/London")
# Monday 23 November 2026, 10:00 in London: a normal working morning.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database for integration tests",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"teamaround database under test: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def postgres_url(backend: str) -> Iterator[str | None]:
    if backend != "postgresql":
        yield None
        return
    server = ThrowawayPostgres()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
async def database_url(tmp_path: Path, postgres_url: str | None) -> AsyncIterator[str]:
    """An empty database: a new SQLite file, or a wiped PostgreSQL schema."""
    if postgres_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'teamaround.db'}"
        return
    engine = create_async_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield postgres_url


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await migrate.upgrade_async(database_url)
    return database_url


@dataclass
class Harness:
    """A whole Teamaround over a real database, with the console gateway."""

    app: App
    clock: FrozenClock
    gateway: ConsoleGateway
    shown: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)

    async def say(self, email: str, line: str, *, channel: str = "general") -> Reply:
        """Type a slash command as someone, then let the relay deliver."""
        command, _, rest = line.lstrip("/").partition(" ")
        invocation = Invocation(
            actor=Actor(platform="console", platform_user_id=email, email=email),
            conversation=Conversation(platform="console", conversation_id=channel),
            command=command,
            text=rest,
        )
        reply = await safely(self.app.dispatcher.dispatch(invocation))
        self.shown.clear()
        self.gateway.delivered.clear()
        await self.app.relay(worker="test").drain()
        return reply

    async def count(self, model: type) -> int:
        async with self.app.db.reader() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def audit_and_outbox(self) -> tuple[int, int]:
        return await self.count(AuditEvent), await self.count(Outbox)


def text_of(reply: Reply) -> str:
    return render(reply.message)


async def seeded_app(settings: Settings, **kwargs: Any) -> tuple[App, FrozenClock]:
    """An app on a clock frozen at Monday 10:00, with the demo directory and register."""
    clock = FrozenClock(MONDAY)
    app = build(settings, clock=clock, **kwargs)
    async with app.db.transaction() as session:
        await seed(
            session,
            register_name=app.policy.register_name,
            now=clock.now(),
            consent_date=MONDAY.date(),
        )
    return app, clock


@pytest.fixture
async def harness(migrated_url: str) -> AsyncIterator[Harness]:
    shown: list[str] = []
    gateway = ConsoleGateway(shown.append)
    app, clock = await seeded_app(
        Settings(database_url=migrated_url), gateways={"console": gateway}
    )
    try:
        yield Harness(app=app, clock=clock, gateway=gateway, shown=shown)
    finally:
        await app.db.dispose()
