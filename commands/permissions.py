"""Who may do what. Every refusal says who can do it instead."""

from __future__ import annotations

from bot.errors import PermissionDenied
from store.models import Action, Network, Person


def has_role(person: Person, *words: str) -> bool:
    """Directory roles grant capabilities: a role naming 'keyworker', 'chair' or
    'admin' (for example "Keyworker", "DSR chair", "Admin")."""
    role = person.role.lower()
    return any(word in role for word in words)


def is_coordinator(person: Person) -> bool:
    return has_role(person, "keyworker", "chair", "admin")


def require_coordinator(person: Person, *, doing: str) -> None:
    if not is_coordinator(person):
        raise PermissionDenied(
            f"Only keyworkers, DSR chairs and administrators can {doing}.",
            hint="Ask the young person's keyworker to do it.",
        )


def require_network_manager(person: Person, network: Network, *, doing: str) -> None:
    if network.keyworker_id == person.id or is_coordinator(person):
        return
    raise PermissionDenied(
        f"Only the keyworker{_named(network.keyworker)}, a DSR chair or an administrator "
        f"can {doing}.",
    )


def can_manage_action(person: Person, action: Action) -> bool:
    """The keyworker, whoever assigned it, and DSR chairs (who agree extensions
    and escalations) manage an action."""
    return person.id in (action.assigned_by_id, action.network.keyworker_id) or has_role(
        person, "chair"
    )


def require_manager(person: Person, action: Action, *, doing: str, owner_hint: str = "") -> None:
    if can_manage_action(person, action):
        return
    who = f"the keyworker{_named(action.network.keyworker)}"
    if action.assigned_by_id != action.network.keyworker_id:
        who += f", {action.assigned_by.name}, who assigned it,"
    who += " or a DSR chair"
    hint = owner_hint if person.id == action.owner_id else None
    raise PermissionDenied(f"Only {who} can {doing} action #{action.id}.", hint=hint)


def require_owner_or_manager(person: Person, action: Action, *, doing: str) -> None:
    if person.id == action.owner_id or can_manage_action(person, action):
        return
    raise PermissionDenied(
        f"Only {action.owner.name} (the owner), the keyworker{_named(action.network.keyworker)} "
        f"or whoever assigned it can {doing} action #{action.id}.",
    )


def _named(person: Person | None) -> str:
    return f" ({person.name})" if person else ""
