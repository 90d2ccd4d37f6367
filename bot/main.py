"""The composition root: the one place that wires every part together."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.dispatcher import Dispatcher
from bot.gateway import ChatGateway
from bot.policy import Policy, load_policy
from bot.relay import Relay
from bot.settings import Settings
from commands import registry
from commands.context import Services
from store.db import Database
from store.outbox import OutboxStore

log = logging.getLogger("teamaround")


@dataclass
class App:
    settings: Settings
    policy: Policy
    services: Services
    dispatcher: Dispatcher
    gateways: dict[str, ChatGateway] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.services.db

    def relay(self, *, worker: str | None = None) -> Relay:
        return Relay(
            outbox=OutboxStore(self.db),
            gateways=self.gateways,
            clock=self.services.clock,
            worker=worker or f"{socket.gethostname()}-relay",
        )


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    gateways: Mapping[str, ChatGateway] | None = None,
    policy: Policy | None = None,
) -> App:
    policy = policy or load_policy(settings.config_path)
    services = Services(
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        policy=policy,
        calendar=policy.calendar(),
    )
    dispatcher = Dispatcher(registry.handlers(services))
    return App(
        settings=settings,
        policy=policy,
        services=services,
        dispatcher=dispatcher,
        gateways=dict(gateways or {}),
    )
