"""``teamaround records purge [--dry-run]`` and ``records erase REF``: the
erasures, each audited without personal data (what kinds of data went, how
many), then the database scrubbed of the erased text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from bot.policy import Policy
from commands.authority import Verb
from commands.records import erasure, operator
from store import audit, queries
from store.db import Database
from store.models import Person, YoungPerson


@dataclass(frozen=True)
class Purged:
    erasure: erasure.Erasure
    left_on: date | None
    kept_until: date | None


def _audit_after(found: erasure.Erasure, **more: object) -> dict[str, object]:
    return {"kinds": dict(found.counts), **more}


async def purge(
    db: Database,
    *,
    policy: Policy,
    calendar: WorkingCalendar,
    now: datetime,
    dry_run: bool,
    actor: Person | None,
    label: str,
) -> list[Purged]:
    """Erase (or list, ``dry_run``) every young person's records past retention."""
    today = calendar.local_date(now)
    done: list[Purged] = []
    async with db.transaction() as session:
        for young_person in await erasure.due(session, today=today, policy=policy):
            found = await erasure.erase(
                session, young_person=young_person, now=now, dry_run=dry_run
            )
            done.append(
                Purged(
                    erasure=found,
                    left_on=young_person.left_on,
                    kept_until=erasure.retained_until(young_person, policy=policy),
                )
            )
            if not dry_run:
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    actor_label=label,
                    verb="records.purge",
                    object_type="young_person",
                    object_id=young_person.id,
                    after=_audit_after(found),
                )
    if done and not dry_run:
        await db.scrub()
    return done


async def preview_or_erase(
    db: Database,
    *,
    reference: str,
    reason: str,
    as_email: str | None,
    operator_label: str,
    policy: Policy,
    now: datetime,
    confirm: bool,
) -> erasure.Erasure:
    """``records erase``: with ``confirm`` False, what would go (nothing
    changes); with True, erase it now and audit it."""
    reason = reason.strip()
    if len(reason) < 5:
        raise UserError(
            "Say why these records are erased now (it is kept in the audit log, without "
            "the records themselves).",
            hint='For example: --reason "Erasure request upheld by the IG lead (ref IG-2026-14)"',
        )
    async with db.transaction() as session:
        target = await operator.caller_and_young_person(
            session,
            reference=reference,
            as_email=as_email,
            operator=operator_label,
            verb=Verb.RECORD_ERASE,
            policy=policy,
            now=now,
        )
        who, young_person = target.who, target.young_person
        _refuse_live(young_person)
        network = await queries.open_network_for(session, young_person_id=young_person.id)
        if network is not None:
            raise UserError(
                f"{young_person.reference}'s network #{network.space_name} is still open.",
                hint="Close it first (/network close, in its channel), then erase.",
            )
        found = await erasure.erase(
            session, young_person=young_person, now=now, dry_run=not confirm
        )
        if confirm:
            audit.record(
                session,
                at=now,
                actor=who.person,
                actor_label=who.label,
                verb="records.erase",
                object_type="young_person",
                object_id=young_person.id,
                after=_audit_after(found, reason=reason),
            )
    if confirm:
        await db.scrub()
    return found


def _refuse_live(young_person: YoungPerson) -> None:
    if young_person.erased_at is not None:
        raise UserError(
            f"{young_person.reference}'s records were already erased; nothing is left to erase."
        )
    if young_person.left_on is None:
        raise UserError(
            f"{young_person.reference} is still on the register, so their records are in use.",
            hint=f"Take them off first (/dsr consent {young_person.reference} withdrawn, or "
            f"/dsr remove {young_person.reference} REASON), close their network, then erase.",
        )
