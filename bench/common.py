"""What the database benchmarks share: a migrated Teamaround on a throwaway
PostgreSQL 15 cluster or a temporary SQLite file, and a statement counter."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
