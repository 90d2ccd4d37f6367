"""Reading a register history file into events.

Two layouts, told apart by their header:

- **events**, one a line: ``reference,date,event,value,detail``;
- **one row per person**, the sheet most areas keep:
  ``reference,age_band,ehcp,consent_basis,consent_date,joined_on,rating,
  rated_on,rating_reason,keyworker_email,keyworker_since,admitted_on,setting,
  out_of_area`` (the last eight may be left out), each row turned into the
  events it implies (joined; rated or admitted; keyworker).

Every field of every row is checked for NHS-number-shaped values first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.dates import add_months, format_numeric
from bot.errors import UserError
from commands.csv_files import CsvTable, Row, identifier_problems
from commands.dsr.imports.events import EVENTS, NO_REASON, Event, parse_day

EVENT_COLUMNS = ("reference", "date", "event", "value", "detail")
SHEET_COLUMNS = (
    "reference",
    "age_band",
    "ehcp",
    "consent_basis",
    "consent_date",
    "joined_on",
    "rating",
    "rated_on",
    "rating_reason",
    "keyworker_email",
    "keyworker_since",
    "admitted_on",
    "setting",
    "out_of_area",
)
SHEET_REQUIRED = ("reference", "age_band", "consent_basis", "joined_on")
# Nobody on a register of 0-25s joined it more than this long ago: older is a typo.
OLDEST_YEARS = 30
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"", "no", "n", "false", "0"}


@dataclass
class Read:
    layout: str  # "events" or "sheet" (one row per person)
    events: list[tuple[Event, Any]] = field(default_factory=list)  # with what was read
    problems: list[str] = field(default_factory=list)


def read_history(table: CsvTable, *, today: date) -> Read:
    if set(EVENT_COLUMNS) <= set(table.columns):
        read = Read("events")
        rows = [(row, _event_line(row)) for row in table.rows]
    elif set(SHEET_REQUIRED) <= set(table.columns):
        read = Read("sheet")
        rows = [(row, _sheet_row(row)) for row in table.rows]
    else:
        raise UserError(
            "I can't tell what this file holds from its header. A register history is either "
            f"dated events ({','.join(EVENT_COLUMNS)}) or one row per person "
            f"({','.join(SHEET_COLUMNS)}; the last eight may be left out)."
        )
    read.problems.extend(table.problems)
    earliest = add_months(today, -12 * OLDEST_YEARS)
    for row, make in rows:
        found = identifier_problems(row)
        if found:
            read.problems.extend(found)
            continue
        try:
            events = make()
        except UserError as exc:
            read.problems.append(f"line {row.line}: {exc.message}")
            continue
        for event in events:
            try:
                if event.on > today:
                    raise UserError(
                        f"{format_numeric(event.on)} is in the future: record it once it has "
                        "happened."
                    )
                if event.on < earliest:
                    raise UserError(
                        f"{format_numeric(event.on)} is more than {OLDEST_YEARS} years ago, so I "
                        "think it's a typo."
                    )
                read.events.append((event, EVENTS[event.kind].read(event, today)))
            except UserError as exc:
                read.problems.append(f"line {row.line}: {exc.message}")
    return read


def _event_line(row: Row) -> Any:
    def make() -> list[Event]:
        reference = row.get("reference")
        if not reference:
            raise UserError("the reference is missing.")
        kind = row.get("event").lower()
        if kind not in EVENTS:
            raise UserError(
                f"I don't know the event {kind or 'nothing'!r}; events: {', '.join(EVENTS)}."
            )
        return [
            Event(
                line=row.line,
                reference=reference,
                on=parse_day(row.get("date")),
                kind=kind,
                value=row.get("value"),
                detail=row.get("detail"),
            )
        ]

    return make


def _sheet_row(row: Row) -> Any:
    def make() -> list[Event]:
        reference = row.get("reference")
        if not reference:
            raise UserError("the reference is missing.")
        joined = parse_day(row.get("joined_on"), what="joined_on")

        def event(kind: str, on: date, value: str = "", detail: str = "") -> Event:
            return Event(row.line, reference, on, kind, value, detail)

        detail = row.get("consent_basis")
        if _yes(row.get("ehcp"), column="ehcp"):
            detail += ";ehcp"
        if row.get("consent_date"):
            consented = parse_day(row.get("consent_date"), what="consent_date")
            if consented != joined:
                detail += f";consented {consented.isoformat()}"
        events = [event("joined", joined, row.get("age_band"), detail)]
        if row.get("keyworker_email"):
            since = row.get("keyworker_since")
            on = parse_day(since, what="keyworker_since") if since else joined
            events.append(event("keyworker", on, row.get("keyworker_email")))
        rating = row.get("rating").lower()
        admitted = row.get("admitted_on")
        if rating and rating != "blue":
            rated = row.get("rated_on")
            on = parse_day(rated, what="rated_on") if rated else joined
            events.append(event("rated", on, rating, row.get("rating_reason") or NO_REASON))
        if rating == "blue" and not admitted:
            raise UserError("a Blue rating needs admitted_on and setting (Blue is in hospital).")
        if admitted:
            out = _yes(row.get("out_of_area"), column="out_of_area")
            events.append(
                event(
                    "admitted",
                    parse_day(admitted, what="admitted_on"),
                    row.get("setting"),
                    "out-of-area" if out else "",
                )
            )
        return events

    return make


def _yes(text: str, *, column: str) -> bool:
    cleaned = text.strip().lower()
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    raise UserError(f"{column} is yes or no, not {text!r}.")
