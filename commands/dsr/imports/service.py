"""Bringing a register's history in: all or nothing, and never twice.

Idempotency: every event has a key (``events.key``: reference, day, kind,
value and occurrence), stored in ``imported_events`` with the history it
wrote. Importing a file again skips every event whose key is there, so the
same file changes nothing, and a file with lines added applies only those.
Keys rather than a comparison with the history: a key says exactly "this line
was applied", whatever kind of event it is (a new kind needs no comparison
code of its own), and two real events that look alike (two Amber ratings on
one day) are still told apart by their occurrence.

Events about someone already on the register (typed with `/dsr`, or brought
in before) are applied only from the last day of their recorded history on,
so a replay never has to rewrite history that later history rests on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.folding import fold
from bot.policy import Policy
from commands.context import policy_register
from commands.csv_files import CsvTable
from commands.dsr.imports.events import EVENTS, Admitted, Entry, Event, Replay, apply_all, key
from commands.dsr.imports.read import read_history
from store import audit, queries
from store.models import (
    Admission,
    AuditEvent,
    ImportedEvent,
    KeyworkerChange,
    Network,
    Person,
    RatingChange,
    Register,
    SupportChange,
    YoungPerson,
)

_CHUNK = 500  # values in one IN (…) list


@dataclass
class HistoryReport:
    layout: str
    read: int = 0  # events the file holds
    already: int = 0  # of those, imported before (left alone)
    applied: Counter[str] = field(default_factory=Counter)  # by kind of event
    young_people: int = 0  # how many young people the applied events are about
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{self.applied[k]} {k}" for k in EVENTS if self.applied[k])
        total = sum(self.applied.values())
        text = (
            f"{total:,} event{'s' if total != 1 else ''} for {self.young_people} young "
            f"{'person' if self.young_people == 1 else 'people'}"
        )
        if kinds:
            text += f" ({kinds})"
        source = "dated events" if self.layout == "events" else "one row per person"
        return f"{text}, from {source}; {self.already:,} already imported before."


async def import_history(
    session: AsyncSession,
    *,
    table: CsvTable,
    now: datetime,
    calendar: WorkingCalendar,
    policy: Policy,
    actor_label: str,
    check: bool = False,
) -> HistoryReport:
    """Check every event against the register's rules in date order; unless
    ``check`` or anything is wrong, write the history they make."""
    today = calendar.local_date(now)
    read = read_history(table, today=today)
    report = HistoryReport(read.layout, read=len(read.events), problems=read.problems)
    if table.note:
        report.notes.append(table.note)
    # Looked up, not made: a check writes nothing (made below, when writing).
    register = await queries.register_by_name(session, name=policy.register_name)
    counted: Counter[tuple[str, date, str, str]] = Counter()
    keyed: list[tuple[Event, Any, str]] = []
    for event, data in read.events:
        same = (event.reference.upper(), event.on, event.kind, fold(event.value))
        counted[same] += 1
        keyed.append((event, data, key(event, counted[same])))
    done = (
        await _imported(session, register_id=register.id, keys=[k for _, _, k in keyed])
        if register is not None
        else set()
    )
    fresh = [(event, data, k) for event, data, k in keyed if k not in done]
    report.already = len(keyed) - len(fresh)

    references = {event.reference.upper() for event, _, _ in fresh}
    entries, rows = (
        await _entries(session, register=register, references=references, cal=calendar)
        if register is not None
        else ({}, {})
    )
    emails = {email for e, data, _ in fresh if (email := EVENTS[e.kind].email(data))}
    directory = {
        p.email: p for p in await _in_chunks(session, Person, Person.email, sorted(emails))
    }
    replay = Replay(
        today=today,
        now=now,
        calendar=calendar,
        policy=policy,
        entries=entries,
        directory=directory,
    )
    apply_all(replay, [(event, data) for event, data, _ in fresh], report.problems)
    by_id = {p.id: p for p in directory.values()}
    for entry in replay.entries.values():
        keyworker = by_id.get(entry.keyworker_id) if entry.keyworker_line else None
        if keyworker is not None and not keyworker.active and entry.left_on is None:
            report.problems.append(
                f"line {entry.keyworker_line}: {keyworker.email} has left, so they can't be "
                f"{entry.reference}'s keyworker now; add a later `keyworker` line for them "
                "(empty, to end keyworking)."
            )
    report.applied = replay.applied
    report.young_people = sum(1 for e in replay.entries.values() if e.changed)
    if report.problems or check or not fresh:
        return report
    await _write(
        session,
        register=await policy_register(session, policy=policy, now=now),
        replay=replay,
        keys=[(event, k) for event, _, k in fresh],
        existing=rows,
        now=now,
        actor_label=actor_label,
    )
    report.notes.extend(await _network_notes(session, replay=replay, existing=rows))
    return report


async def _in_chunks(
    session: AsyncSession, model: Any, column: Any, values: Sequence[Any]
) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        found.extend((await session.scalars(select(model).where(column.in_(chunk)))).all())
    return found


async def _imported(session: AsyncSession, *, register_id: int, keys: Sequence[str]) -> set[str]:
    done: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        done.update(
            (
                await session.scalars(
                    select(ImportedEvent.key).where(
                        ImportedEvent.register_id == register_id, ImportedEvent.key.in_(chunk)
                    )
                )
            ).all()
        )
    return done


async def _entries(
    session: AsyncSession, *, register: Register, references: Iterable[str], cal: WorkingCalendar
) -> tuple[dict[str, Entry], dict[str, YoungPerson]]:
    """The young people the file names who are on the register already, as
    replay entries, and their rows (to update)."""
    rows: dict[str, YoungPerson] = {}
    wanted = sorted(references)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for young_person in (
            await session.scalars(
                select(YoungPerson).where(
                    YoungPerson.register_id == register.id,
                    func.upper(YoungPerson.reference).in_(chunk),
                )
            )
        ).all():
            rows[young_person.reference.upper()] = young_person
    if not rows:
        return {}, rows
    ids = [yp.id for yp in rows.values()]
    last: dict[int, date] = {}

    def later(person: int, day: date | None) -> None:
        if day is not None and (person not in last or day > last[person]):
            last[person] = day

    support_since: dict[int, date] = {}
    for model in (RatingChange, KeyworkerChange, SupportChange):
        for person, at in (
            await session.execute(
                select(model.young_person_id, func.max(model.at))
                .where(model.young_person_id.in_(ids))
                .group_by(model.young_person_id)
            )
        ).all():
            later(person, cal.local_date(at))
            if model is SupportChange:
                support_since[person] = cal.local_date(at)
    open_admissions: dict[int, Admission] = {}
    for admission in (
        await session.scalars(select(Admission).where(Admission.young_person_id.in_(ids)))
    ).all():
        later(admission.young_person_id, admission.discharged_on or admission.admitted_on)
        if admission.discharged_on is None:
            open_admissions[admission.young_person_id] = admission
    entries = {}
    for ref, yp in rows.items():
        joined = cal.local_date(yp.created_at)
        later(yp.id, joined)
        later(yp.id, yp.left_on)
        still_in = open_admissions.get(yp.id)
        entries[ref] = Entry(
            reference=yp.reference,
            joined=joined,
            existing_id=yp.id,
            recorded_until=last[yp.id],
            rating=yp.rating,
            rated_at=yp.rated_at,
            keyworker_id=yp.keyworker_id,
            admission=Admitted(
                still_in.admitted_on, still_in.setting, still_in.out_of_area, id=still_in.id
            )
            if still_in is not None
            else None,
            transition_month=yp.transition_month,
            left_on=yp.left_on or (cal.local_date(yp.archived_at) if yp.archived_at else None),
            leaving_reason=yp.leaving_reason or ("removed" if yp.archived_at else None),
            archived_at=yp.archived_at,
            archive_reason=yp.archive_reason,
            preventive_only=yp.preventive_only,
            support=yp.support,
            support_since=support_since.get(yp.id),
        )
    return entries, rows


def _admission(young_person_id: int, values: dict[str, Any]) -> dict[str, Any]:
    admitted: Admitted = values["admission"]
    return {
        "young_person_id": young_person_id,
        "admitted_on": admitted.admitted_on,
        "setting": admitted.setting,
        "out_of_area": admitted.out_of_area,
        "discharged_on": admitted.discharged_on,
        "recorded_by_id": None,
        "created_at": values["at"],
    }


def _change(young_person_id: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"young_person_id": young_person_id, "actor_id": None, **values}


# The history rows a replay writes (``events.Written.what``): the table, and
# its columns from the young person's id and what the event recorded. A new
# kind of history is a new row here.
HISTORY_ROWS: dict[str, tuple[Any, Callable[[int, dict[str, Any]], dict[str, Any]]]] = {
    "rating": (RatingChange, _change),
    "keyworker": (KeyworkerChange, _change),
    "support": (SupportChange, _change),
    "admission": (Admission, _admission),
}


def _set_state(young_person: YoungPerson, entry: Entry) -> None:
    young_person.rating, young_person.rated_at = entry.rating, entry.rated_at
    young_person.keyworker_id = entry.keyworker_id
    young_person.transition_month = entry.transition_month
    young_person.left_on, young_person.leaving_reason = entry.left_on, entry.leaving_reason
    young_person.archived_at, young_person.archive_reason = entry.archived_at, entry.archive_reason
    young_person.preventive_only, young_person.support = entry.preventive_only, entry.support
    if entry.joins_now and entry.existing_id is not None:
        # Known only for preventive support until now: on the DSR from this day.
        assert entry.joined_at is not None and entry.consent_date is not None
        young_person.created_at = entry.joined_at
        young_person.age_band, young_person.ehcp = entry.age_band, entry.ehcp
        young_person.consent_basis = entry.consent_basis
        young_person.consent_date = entry.consent_date
        young_person.consent_recorded_by_id = None


async def _write(
    session: AsyncSession,
    *,
    register: Register,
    replay: Replay,
    keys: list[tuple[Event, str]],
    existing: dict[str, YoungPerson],
    now: datetime,
    actor_label: str,
) -> None:
    """The replay's history, in a fixed number of statements: the new young
    people (for their ids), then every history row, audit event and key."""
    people = dict(existing)
    for ref, entry in replay.entries.items():
        if entry.existing_id is None:
            assert entry.joined_at is not None and entry.consent_date is not None
            people[ref] = YoungPerson(
                register_id=register.id,
                reference=entry.reference,
                age_band=entry.age_band,
                ehcp=entry.ehcp,
                consent_basis=entry.consent_basis,
                consent_date=entry.consent_date,
                consent_recorded_by_id=None,
                created_at=entry.joined_at,
            )
            session.add(people[ref])
        if entry.changed:
            _set_state(people[ref], entry)
    await session.flush()

    def id_of(entry: Entry) -> int:
        return people[entry.reference.upper()].id

    inserts: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in replay.rows:
        if row.what == "discharge":  # of an admission recorded before this import
            recorded = await session.get_one(Admission, row.values["admission"].id)
            recorded.discharged_on = row.values["admission"].discharged_on
            continue
        model, columns = HISTORY_ROWS[row.what]
        inserts[model].append(columns(id_of(row.entry), row.values))
    audits = [
        {
            "at": now,
            "actor_id": None,
            "actor_label": actor_label,
            "verb": verb,
            "object_type": "young_person",
            "object_id": str(id_of(entry)),
            "before": None,
            "after": {
                "reference": entry.reference,
                "on": event.on.isoformat(),
                "source": f"register import, line {event.line}",
                **after,
            },
        }
        for entry, event, verb, after in replay.audits
    ]
    imported = [
        {
            "register_id": register.id,
            "key": k,
            "young_person_id": people[event.reference.upper()].id,
            "imported_at": now,
        }
        for event, k in keys
    ]
    inserts[AuditEvent], inserts[ImportedEvent] = audits, imported
    for model, batch in inserts.items():
        if batch:
            await session.execute(insert(cast(Table, model.__table__)), batch)
    audit.record(
        session,
        at=now,
        actor=None,
        actor_label=actor_label,
        verb="register.import",
        object_type="register",
        object_id=register.id,
        after={"events": len(keys), "by_kind": dict(replay.applied)},
    )


async def _network_notes(
    session: AsyncSession, *, replay: Replay, existing: dict[str, YoungPerson]
) -> list[str]:
    """Open networks whose keyworker now differs from the register's."""
    ids = {yp.id: ref for ref, yp in existing.items() if replay.entries[ref].changed}
    if not ids:
        return []
    notes = []
    for network in (
        await session.scalars(
            select(Network).where(Network.young_person_id.in_(ids), Network.status == "open")
        )
    ).unique():
        entry = replay.entries[ids[network.young_person_id]]
        if entry.keyworker_id is not None and network.keyworker_id != entry.keyworker_id:
            notes.append(
                f"{entry.reference}'s open network #{network.space_name} has another keyworker "
                f"than the register now records: set it there with /dsr keyworker "
                f"{entry.reference} @person."
            )
    return notes
