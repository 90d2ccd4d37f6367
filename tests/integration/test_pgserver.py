"""Self-test of the throwaway PostgreSQL cluster used by ``pytest --db=postgresql``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import asyncpg
import pytest

# tests/ has no __init__.py; make ``pgserver`` importable whether or not a conftest did.
_TESTS_DIR = str(Path(__file__).resolve().parents[1])
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from pgserver import (  # noqa: E402
    DATABASE_NAME,
    ENV_URL,
    ThrowawayPostgres,
    asyncpg_dsn,
    find_pg_bin_dir,
)


def test_asyncpg_dsn_conversion() -> None:
    assert (
        asyncpg_dsn("postgresql+asyncpg://postgres@127.0.0.1:5555/teamaround_test")
        == "postgresql://postgres@127.0.0.1:5555/teamaround_test"
    )
    with pytest.raises(ValueError):
        asyncpg_dsn("sqlite+aiosqlite:///x.db")


def test_env_override_short_circuits(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://someone@db.example:5432/elsewhere"
    monkeypatch.setenv(ENV_URL, url)
    server = ThrowawayPostgres(bin_dir="/nonexistent")
    assert server.start() == url
    assert server.base_dir is None
    server.stop()
    server.stop()


async def test_throwaway_cluster_runs_postgresql_15(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    if find_pg_bin_dir() is None:
        pytest.skip(
            "no PostgreSQL server binaries found (TEAMAROUND_PG_BIN, pg_ctl on PATH, "
            "/usr/lib/postgresql/*/bin)"
        )

    server = ThrowawayPostgres()
    began = time.monotonic()
    try:
        url = server.start()
        started = time.monotonic()
        base_dir = server.base_dir
        assert base_dir is not None and os.path.isdir(base_dir)
        assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{server.port}/{DATABASE_NAME}"
        assert server.start() == url  # idempotent

        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            version = await conn.fetchval("select version()")
            database = await conn.fetchval("select current_database()")
            fsync = await conn.fetchval("show fsync")
        finally:
            await conn.close()
        assert isinstance(version, str) and version.startswith("PostgreSQL 15"), version
        assert database == DATABASE_NAME
        assert fsync == "off"
    finally:
        stop_began = time.monotonic()
        server.stop()
    stopped = time.monotonic()

    assert not os.path.exists(base_dir), f"{base_dir} still exists after stop()"
    assert server.base_dir is None and server.url is None
    server.stop()  # idempotent
    print(f"throwaway PostgreSQL: start {started - began:.2f}s, stop {stopped - stop_began:.2f}s")
