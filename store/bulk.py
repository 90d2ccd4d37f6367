"""Many rows in one statement, for the jobs that write thousands at once.

On PostgreSQL the rows travel as one array per column in a single
``INSERT … SELECT * FROM unnest(…)`` (asyncpg encodes the arrays in binary):
one round trip and no per-row statement work, however many rows, and still
``ON CONFLICT … DO NOTHING`` where the table needs it (the outbox's keys),
which ``COPY`` cannot do. On SQLite it is an ordinary executemany.

A JSON value may be given already serialised, as ``JsonText`` (pydantic's
``model_dump_json`` is several times faster than a dict and ``json.dumps``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from store.types import UTCDateTime


class JsonText(str):
    """A JSON document already serialised."""


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts_on: str | None = None,
) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in the
    caller's transaction; with ``skip_conflicts_on``, a row whose value in
    that unique column exists already is left out."""
    if not rows:
        return
    columns = list(rows[0])
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect != "postgresql":
        values = [plain(row) for row in rows]
        if skip_conflicts_on is None:
            await session.execute(insert(table), values)
        else:
            statement = sqlite_insert(table).on_conflict_do_nothing(
                index_elements=[skip_conflicts_on]
            )
            await session.execute(statement, values)
        return
    sql = _unnest_sql(table, tuple(columns), skip_conflicts_on)
    kinds = _kinds(table, tuple(columns))
    arrays = [[_for_postgres(row[c], kinds[c]) for row in rows] for c in columns]
    connection = await session.connection()
    await connection.exec_driver_sql(sql, tuple(arrays))


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with any ``JsonText`` parsed back, for an ordinary insert."""
    return {k: _python(v) for k, v in row.items()}


def _python(value: Any) -> Any:
    return json.loads(value) if isinstance(value, JsonText) else value


def _for_postgres(value: Any, kind: str) -> Any:
    if value is None or kind != "json" or isinstance(value, JsonText):
        return value
    return json.dumps(value)


@functools.cache
def _kinds(table: Table, columns: tuple[str, ...]) -> dict[str, str]:
    kinds = {}
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            kinds[name] = "json"
        elif isinstance(column_type, UTCDateTime):
            kinds[name] = "timestamp"
        else:
            kinds[name] = "plain"
    return kinds


@functools.cache
def _unnest_sql(table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = []
    for n, name in enumerate(columns, start=1):
        column_type = table.c[name].type
        if isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
        arrays.append(f"${n}::{column_type.compile(dialect=dialect)}[]")
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({', '.join(arrays)})"
    )
    if skip_conflicts_on is not None:
        statement += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
    return statement
