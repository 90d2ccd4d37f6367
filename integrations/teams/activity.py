"""What an inbound activity must look like before anything reads it: the
fields Teamaround uses, in the types Teams sends them (the Bot Framework
Activity schema). Teams never sends anything else; a request that does is
refused with 400 rather than failing half-way through."""

from __future__ import annotations

from typing import Any

# The fields we read, in the types Teams sends them (Bot Framework Activity schema).
_FIELDS: dict[str, type] = {
    "type": str,
    "id": str,
    "serviceUrl": str,
    "channelId": str,
    "text": str,
    "replyToId": str,
    "from": dict,
    "conversation": dict,
    "recipient": dict,
    "channelData": dict,
    "entities": list,
    "attachments": list,
}
_NESTED: dict[str, dict[str, type]] = {
    "from": {"id": str, "aadObjectId": str, "name": str},
    "conversation": {"id": str, "tenantId": str, "conversationType": str, "name": str},
    "channelData": {"tenant": dict, "team": dict, "channel": dict},
}


def shape_problem(activity: Any) -> str | None:
    """Why ``activity`` is not the shape Teams sends (None when it is)."""
    if not isinstance(activity, dict):
        return "the body is not a JSON object"
    for key, kind in _FIELDS.items():
        if activity.get(key) is not None and not isinstance(activity[key], kind):
            return f"{key} is not a {kind.__name__}"
    for key in ("type", "from", "conversation"):
        if activity.get(key) is None:
            return f"{key} is missing"
    for key, fields in _NESTED.items():
        for name, kind in fields.items():
            value = (activity.get(key) or {}).get(name)
            if value is not None and not isinstance(value, kind):
                return f"{key}.{name} is not a {kind.__name__}"
    if not isinstance(activity["conversation"].get("id"), str):
        return "conversation.id is missing"
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict):
            return "an entity is not an object"
        if entity.get("type") == "mention" and not (
            isinstance(entity.get("text"), str) and isinstance(entity.get("mentioned"), dict)
        ):
            return "a mention has no text or no one mentioned"
    return None
