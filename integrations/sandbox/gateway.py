"""The console gateway: deliveries are shown in the terminal instead of sent."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.gateway import Delivery, SendResult
from integrations.sandbox.render import render


class ConsoleGateway:
    platform = "console"

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._ids = itertools.count(1)
        self.delivered: list[Delivery] = []

    async def deliver(self, delivery: Delivery) -> SendResult:
        self.delivered.append(delivery)
        address = delivery.address
        if delivery.op == "update":
            where = f"{address.label} (card edited in place)"
            message_id = delivery.message_id or str(next(self._ids))
        else:
            where = address.label if address.kind == "channel" else f"DM to {address.label}"
            message_id = f"m{next(self._ids)}"
        self._write(f"  → {where}:\n{render(delivery.message, indent='    ')}")
        return SendResult(conversation_id=address.conversation_id, message_id=message_id)
