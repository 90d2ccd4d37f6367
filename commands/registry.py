"""The features' handlers, keyed by slash command, for the dispatcher."""

from __future__ import annotations

from bot.dispatcher import Handler
from bot.invocation import Invocation, Reply
from bot.messages import plain
from commands.action import handler as action_handler
from commands.cetr import handler as cetr_handler
from commands.context import Services
from commands.network import handler as network_handler

NOT_YET = {
    "dsr": (
        "The DSR register and the weekly agenda are coming soon. Networks and actions "
        "work now: /network help and /action help."
    ),
}


def handlers(services: Services) -> dict[str, Handler]:
    async def network(invocation: Invocation) -> Reply:
        return await network_handler.handle(invocation, services)

    async def action(invocation: Invocation) -> Reply:
        return await action_handler.handle(invocation, services)

    async def cetr(invocation: Invocation) -> Reply:
        return await cetr_handler.handle(invocation, services)

    def not_yet(command: str) -> Handler:
        async def reply(_: Invocation) -> Reply:
            return Reply(message=plain(NOT_YET[command]))

        return reply

    return {"network": network, "action": action, "cetr": cetr, **{c: not_yet(c) for c in NOT_YET}}
