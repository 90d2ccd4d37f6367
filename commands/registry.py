"""The features' handlers, keyed by slash command, for the dispatcher."""

from __future__ import annotations

from bot.dispatcher import Handler
from bot.invocation import Invocation, Reply
from commands.action import handler as action_handler
from commands.cetr import handler as cetr_handler
from commands.context import Services
from commands.dsr import handler as dsr_handler
from commands.network import handler as network_handler


def handlers(services: Services) -> dict[str, Handler]:
    async def network(invocation: Invocation) -> Reply:
        return await network_handler.handle(invocation, services)

    async def action(invocation: Invocation) -> Reply:
        return await action_handler.handle(invocation, services)

    async def cetr(invocation: Invocation) -> Reply:
        return await cetr_handler.handle(invocation, services)

    async def dsr(invocation: Invocation) -> Reply:
        return await dsr_handler.handle(invocation, services)

    return {"network": network, "action": action, "cetr": cetr, "dsr": dsr}
