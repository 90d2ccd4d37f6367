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
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, ColumnElement, Integer, Table, any_, bindparam, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
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
    kinds = _kinds(table, tuple(columns))
    by_column = {
        c: [_json(row[c]) for row in rows] if kinds[c] == "json" else [row[c] for row in rows]
        for c in columns
    }
    # A column with one value for every row (the time, the actor, a status)
    # travels once, not once per row: asyncpg encodes, and PostgreSQL reads,
    # only the arrays of the columns that vary.
    same = frozenset(c for c in columns[1:] if _all_equal(by_column[c]))
    sql = _unnest_sql(table, tuple(columns), same, skip_conflicts_on)
    parameters = tuple(by_column[c][0] if c in same else by_column[c] for c in columns)
    connection = await session.connection()
    await connection.exec_driver_sql(sql, parameters)


# SQLite takes at most 32,766 parameters in a statement.
SQLITE_CHUNK = 5000


def among(
    session: AsyncSession, column: QueryableAttribute[int], ids: Sequence[int]
) -> Iterator[ColumnElement[bool]]:
    """``column IN ids``, in as few conditions as the database allows: on
    PostgreSQL one ``= ANY($1)`` with the ids as a single array parameter (a
    statement with thousands of parameters takes longer to plan than to run);
    on SQLite one per 5,000 ids. None for no ids."""
    if not ids:
        return
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "postgresql":
        yield column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Integer)))
        return
    for start in range(0, len(ids), SQLITE_CHUNK):
        yield column.in_(ids[start : start + SQLITE_CHUNK])


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with any ``JsonText`` parsed back, for an ordinary insert."""
    return {k: _python(v) for k, v in row.items()}


def _python(value: Any) -> Any:
    return json.loads(value) if isinstance(value, JsonText) else value


def _json(value: Any) -> str | None:
    """A JSON column's value as text (pydantic-core's serialiser: several
    times faster than ``json.dumps``, and the same document)."""
    if value is None or isinstance(value, JsonText):
        return value
    return to_json(value).decode()


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


def _all_equal(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(type(v) is type(first) and v == first for v in values)


@functools.cache
def _unnest_sql(
    table: Table,
    columns: tuple[str, ...],
    same: frozenset[str],
    skip_conflicts_on: str | None,
) -> str:
    """INSERT … SELECT from one array per varying column, and one value for
    each column in ``same`` (parameters in the order of ``columns``; the
    first column always varies, so that unnest gives one row per row)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays, picked = [], []
    for n, name in enumerate(columns, start=1):
        column_type = table.c[name].type
        if isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
        sql_type = column_type.compile(dialect=dialect)
        if name in same:
            picked.append(f"${n}::{sql_type}")
        else:
            arrays.append(f"${n}::{sql_type}[]")
            picked.append(f"u.{name}")
    varying = [c for c in columns if c not in same]
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(picked)} "
        f"FROM unnest({', '.join(arrays)}) AS u({', '.join(varying)})"
    )
    if skip_conflicts_on is not None:
        statement += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
    return statement
