"""The console gateway: deliveries are shown in the terminal instead of sent."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.gateway import Delivery, SendResult
from integrations.sandbox.render import render

SPACE_VERBS = {
    "create": "private space {name} created with",
    "invite": "invited to {name}:",
    "remove": "removed from {name}:",
    "archive": "space {name} archived",
    "topic": "topic of {name} set",
}


class ConsoleGateway:
    platform = "console"

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._ids = itertools.count(1)
        self.delivered: list[Delivery] = []

    async def deliver(self, delivery: Delivery) -> SendResult:
        self.delivered.append(delivery)
        address = delivery.address
        if delivery.space is not None:
            space = delivery.space
            name = f"#{space.name}" if space.name else address.label
            people = ", ".join(m.email for m in space.members)
            detail = (
                f" {people}" if people and space.action in ("create", "invite", "remove") else ""
            )
            topic = f": {space.topic}" if space.action == "topic" else ""
            self._write(f"  → ({SPACE_VERBS[space.action].format(name=name)}{detail}{topic})")
            return SendResult(conversation_id=address.conversation_id or space.name)
        assert delivery.message is not None
        if delivery.op == "retract":
            self._write(f"  → (message {delivery.message_id} in {address.label} taken back)")
            return SendResult(
                conversation_id=address.conversation_id, message_id=delivery.message_id or ""
            )
        if delivery.op == "update":
            where = f"{address.label} (card edited in place)"
            message_id = delivery.message_id or str(next(self._ids))
        else:
            where = address.label if address.kind == "channel" else f"DM to {address.label}"
            message_id = f"m{next(self._ids)}"
            if delivery.pin:
                where += " (pinned)"
        self._write(f"  → {where}:\n{render(delivery.message, indent='    ')}")
        if delivery.card_location:
            self._write(f"    (link to the card: message {delivery.card_location[1]})")
        return SendResult(conversation_id=address.conversation_id, message_id=message_id)
