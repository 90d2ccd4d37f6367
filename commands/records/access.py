"""The access log: every read of a young person's data by someone who is not
in their network (a DSR chair or an admin reading ``/dsr show``, the agenda,
an export). Kept in the audit log under the verb ``access.read``, so that
``teamaround audit export`` gives both to an IG review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEvent, Network, NetworkMember, Person, YoungPerson

READ = "access.read"


async def log_reads(
    session: AsyncSession,
    *,
    at: datetime,
    reader: Person | None,
    label: str,
    young_people: Iterable[YoungPerson],
    how: str,
) -> int:
    """Record the read of each young person's data by ``reader`` (None: the
    operator at the command line, ``label``) unless they are in that young
    person's network. One query, however many young people (the agenda
    reads the whole register). Returns how many reads were recorded."""
    people = list(young_people)
    theirs: set[int] = set()
    if reader is not None and people:
        theirs = set(
            (
                await session.scalars(
                    select(Network.young_person_id)
                    .join(NetworkMember, NetworkMember.network_id == Network.id)
                    .where(
                        NetworkMember.person_id == reader.id,
                        NetworkMember.removed_at.is_(None),
                        Network.young_person_id.in_([yp.id for yp in people]),
                    )
                )
            ).all()
        )
    rows = [
        {
            "at": at,
            "actor_id": reader.id if reader is not None else None,
            "actor_label": reader.email if reader is not None else label,
            "verb": READ,
            "object_type": "young_person",
            "object_id": str(young_person.id),
            "before": None,
            "after": {"reference": young_person.reference, "how": how},
        }
        for young_person in people
        if young_person.id not in theirs
    ]
    if rows:
        # One statement for the lot (an ORM add per row would be one INSERT each).
        await session.execute(insert(AuditEvent), rows)
    return len(rows)
