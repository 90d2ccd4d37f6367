"""The access log: every read of a young person's data by someone who is not
in their network (a DSR chair or an admin reading ``/dsr show``, the agenda,
an export). Kept in the audit log under the verb ``access.read``, so that
``teamaround audit export`` gives both to an IG review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit
from store.models import Network, NetworkMember, Person, YoungPerson

READ = "access.read"


async def in_network(session: AsyncSession, *, person_id: int, young_person_id: int) -> bool:
    """Whether the person is an active member of one of the young person's networks."""
    found = await session.scalar(
        select(NetworkMember.id)
        .join(Network, Network.id == NetworkMember.network_id)
        .where(
            Network.young_person_id == young_person_id,
            NetworkMember.person_id == person_id,
            NetworkMember.removed_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


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
    person's network. Returns how many reads were recorded."""
    recorded = 0
    for young_person in young_people:
        if reader is not None and await in_network(
            session, person_id=reader.id, young_person_id=young_person.id
        ):
            continue
        audit.record(
            session,
            at=at,
            actor=reader,
            actor_label=label,
            verb=READ,
            object_type="young_person",
            object_id=young_person.id,
            after={"reference": young_person.reference, "how": how},
        )
        recorded += 1
    return recorded
