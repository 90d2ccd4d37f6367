"""Resolving people named in commands through the directory."""

from __future__ import annotations

from bot.errors import NeedsIdentity, NotFound, UserError
from commands.context import Unit
from commands.grammar import PersonRef
from store import queries
from store.models import ACCOUNT_COLUMNS, Person

ADD_HINT = (
    'Add them to the directory first: `teamaround directory add EMAIL --name "Full Name" '
    "--agency AGENCY --role ROLE` (or ask an administrator)."
)


async def resolve(unit: Unit, ref: PersonRef, *, platform: str, left_ok: bool = False) -> Person:
    """The directory person ``ref`` names; someone who has left is refused
    unless ``left_ok`` (stopping their links, say)."""
    session = unit.session
    person: Person | None = None
    if ref.kind == "platform":
        person = await queries.person_by_platform_id(session, platform=platform, user_id=ref.value)
        if person is None:
            email = unit.known_emails.get(ref.value)
            if email is None and platform in ACCOUNT_COLUMNS:
                raise NeedsIdentity((ref.value,), f"I don't know who {ref.typed} is yet.")
            person = await queries.person_by_email(session, email=email) if email else None
            if person is None:
                shown = email or ref.typed
                raise NotFound(f"I can't find {shown} in the Teamaround directory.", hint=ADD_HINT)
            person.link_account(platform, ref.value)
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
    if not person.active and not left_ok:
        raise UserError(f"{person.name} is marked as having left, so I can't involve them.")
    return person


async def resolve_all(unit: Unit, refs: list[PersonRef], *, platform: str) -> list[Person]:
    """Resolve several people; unknown platform users are asked about all at once."""
    people: list[Person] = []
    unknown: list[str] = []
    for ref in refs:
        try:
            person = await resolve(unit, ref, platform=platform)
        except NeedsIdentity as exc:
            unknown.extend(exc.platform_user_ids)
            continue
        if all(p.id != person.id for p in people):
            people.append(person)
    if unknown:
        raise NeedsIdentity(tuple(unknown), "I don't know some of those people yet.")
    return people
