"""Resolving people named in commands through the directory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound, UserError
from commands.grammar import PersonRef
from store import queries
from store.models import Person

ADD_HINT = (
    'Add them to the directory first: `teamaround directory add EMAIL --name "Full Name" '
    "--agency AGENCY --role ROLE` (or ask an administrator)."
)


async def resolve(session: AsyncSession, ref: PersonRef, *, platform: str) -> Person:
    person: Person | None = None
    if ref.kind == "platform":
        person = await queries.person_by_platform_id(session, platform=platform, user_id=ref.value)
        if person is None:
            raise NotFound(f"I can't find {ref.typed} in the Teamaround directory.", hint=ADD_HINT)
    elif ref.kind == "email":
        person = await queries.person_by_email(session, email=ref.value)
        if person is None:
            raise NotFound(f"I can't find {ref.value} in the directory.", hint=ADD_HINT)
    else:
        matches = await queries.people_by_handle(session, handle=ref.value)
        if not matches:
            raise NotFound(
                f"I can't find anyone called @{ref.value} in the directory.", hint=ADD_HINT
            )
        if len(matches) > 1:
            emails = ", ".join(p.email for p in matches)
            raise UserError(
                f"@{ref.value} could be several people ({emails}); use their email address instead."
            )
        person = matches[0]
    if not person.active:
        raise UserError(f"{person.name} is marked as having left, so I can't involve them.")
    return person


async def resolve_all(
    session: AsyncSession, refs: list[PersonRef], *, platform: str
) -> list[Person]:
    people: list[Person] = []
    for ref in refs:
        person = await resolve(session, ref, platform=platform)
        if all(p.id != person.id for p in people):
            people.append(person)
    return people
