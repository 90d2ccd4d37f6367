"""The composition root: the one place that wires every part together."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.dispatcher import Dispatcher
from bot.errors import ConfigError
from bot.gateway import ChatGateway
from bot.links import LinkSigner
from bot.metrics import Metrics
from bot.policy import Policy, load_policy
from bot.relay import Relay
from bot.scheduler import ScheduledJob, Scheduler
from bot.settings import Settings
from commands import registry, rendering
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
    slack: Any = None  # the slack_bolt AsyncApp when Slack is connected
    teams: Any = None  # the TeamsInbound when Teams is connected
    # Signs emailed links and the one-action page's forms (TEAMAROUND_SECRET_KEY).
    signer: LinkSigner | None = None
    # Things to open once the server's event loop runs (shared HTTP sessions),
    # and to close when the app stops, before the database.
    openers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    # This process among the replicas: claims and job locks carry it, so a
    # replica hands back only its own rows (the host name alone repeats when
    # several replicas share a host).
    instance: str = field(
        default_factory=lambda: f"{socket.gethostname()[:40]}-{os.getpid()}-" + secrets.token_hex(2)
    )

    @property
    def db(self) -> Database:
        return self.services.db

    async def open(self) -> None:
        for open_ in self.openers:
            await open_()

    async def close(self) -> None:
        for close in self.closers:
            try:
                await close()
            except Exception:
                log.exception("closing a connection failed")
        self.closers.clear()
        await self.db.dispose()

    def scheduled_jobs(self) -> list[ScheduledJob]:
        """The jobs `serve` runs on a schedule (and `jobs run` runs by hand)."""
        from commands.action import jobs
        from commands.dsr import jobs as dsr_jobs
        from commands.network import review
        from commands.records import chat_copies
        from commands.records import jobs as records_jobs

        services, times = self.services, self.policy.jobs
        rules = self.policy.register_rules
        return [
            ScheduledJob(
                name="agenda",
                at=rules.agenda_at,
                days=rules.agenda_day,
                run=lambda now: dsr_jobs.run_agenda(services, now=now),
            ),
            ScheduledJob(
                name="reminders",
                at=times.reminders_at,
                run=lambda now: jobs.run_reminders(services, now=now),
            ),
            ScheduledJob(
                name="chase", at=times.chase_at, run=lambda now: jobs.run_chase(services, now=now)
            ),
            # Monthly, on the first Monday: records past their retention are erased.
            ScheduledJob(
                name="purge",
                at=times.purge_at,
                day="1st mon",
                run=lambda now: records_jobs.run_purge(services, now=now),
            ),
            # Working days: networks due a membership review ask their keyworker.
            ScheduledJob(
                name="membership-review",
                at=times.reminders_at,
                run=lambda now: review.run_membership_review(services, now=now),
            ),
            # Daily: the chat copies of transferred, closed networks are taken back.
            ScheduledJob(
                name="chat-copies",
                at=times.purge_at,
                run=lambda now: chat_copies.run_chat_copies(services, now=now),
            ),
        ]

    def scheduler(self) -> Scheduler:
        return Scheduler(
            jobs=self.scheduled_jobs(),
            calendar=self.services.calendar,
            clock=self.services.clock,
            metrics=self.metrics,
        )

    def outbox(self) -> OutboxStore:
        """The outbox, able to draw the messages rows leave to be rendered
        as they are sent (``commands.rendering``)."""
        return OutboxStore(self.db, render=rendering.renderer(self.services))

    def relay(
        self, *, worker: str | None = None, pause: Callable[[], Awaitable[None]] | None = None
    ) -> Relay:
        return Relay(
            outbox=self.outbox(),
            gateways=self.gateways,
            clock=self.services.clock,
            worker=worker or f"{self.instance}-relay",
            metrics=self.metrics,
            pause=pause,
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
    metrics = Metrics()
    dispatcher = Dispatcher(registry.handlers(services), metrics=metrics)
    app = App(
        settings=settings,
        policy=policy,
        services=services,
        dispatcher=dispatcher,
        gateways=dict(gateways or {}),
        metrics=metrics,
    )
    if settings.secret_key is not None:
        app.signer = LinkSigner(settings.secret_key.get_secret_value())
    if settings.slack_enabled:
        connect_slack(app, with_gateway="slack" not in app.gateways)
    if settings.teams_enabled:
        connect_teams(app, with_gateway="teams" not in app.gateways)
    if settings.email_enabled and "email" not in app.gateways:
        connect_email(app)
    return app


def connect_email(app: App, *, sender: Any = None) -> None:
    """Wire email: GOV.UK Notify or an SMTP relay (``sender``: one built
    elsewhere, such as a test's), and the gateway that links each message's
    actions to the one-action page."""
    from integrations.email.gateway import EmailGateway
    from integrations.email.notify import NotifySender
    from integrations.email.smtp import SmtpSender

    settings = app.settings
    if app.signer is None:
        raise ConfigError(
            "TEAMAROUND_SECRET_KEY: email needs it, to sign the links in every email (at "
            "least 32 random characters; keep it secret and the same on every replica)"
        )
    if sender is None:
        if settings.notify_api_key is not None and settings.smtp_url is not None:
            raise ConfigError(
                "TEAMAROUND_NOTIFY_API_KEY and TEAMAROUND_SMTP_URL are both set: choose one"
            )
        if settings.notify_api_key is not None:
            if not settings.notify_template_id:
                raise ConfigError(
                    "TEAMAROUND_NOTIFY_TEMPLATE_ID: set it to the ID of the Notify template "
                    "whose subject is ((subject)) and whose body is ((body))"
                )
            sender = NotifySender(
                api_key=settings.notify_api_key.get_secret_value(),
                template_id=settings.notify_template_id,
                base_url=settings.notify_url,
            )
        elif settings.smtp_url is not None:
            if not settings.email_from:
                raise ConfigError(
                    "TEAMAROUND_EMAIL_FROM: set the address emails come from, e.g. "
                    '"Teamaround <teamaround@your-area.nhs.uk>"'
                )
            sender = SmtpSender(
                url=settings.smtp_url.get_secret_value(), sender=settings.email_from
            )
        else:
            return
    clock, calendar, email = app.services.clock, app.services.calendar, app.policy.email
    app.gateways["email"] = EmailGateway(
        sender=sender,
        signer=app.signer,
        public_url=settings.public_url,
        content=email.content,
        link_days=email.link_days,
        now=clock.now,
        today=lambda: calendar.local_date(clock.now()),
    )


def connect_teams(app: App, *, with_gateway: bool = True) -> None:
    """Wire Teams: msal tokens, the Bot Connector and Graph clients, the
    outbox gateway and the inbound handler for /api/messages."""
    from integrations.teams.api import JsonApi, Sessions
    from integrations.teams.app import TeamsInbound
    from integrations.teams.auth import BotFrameworkAuth
    from integrations.teams.connector import Connector
    from integrations.teams.gateway import TeamsGateway
    from integrations.teams.graph import Graph
    from integrations.teams.manifest import manifest_id
    from integrations.teams.references import References
    from integrations.teams.tokens import BOT_SCOPE, GRAPH_SCOPE, TokenProvider

    settings = app.settings
    assert settings.microsoft_app_id and settings.microsoft_app_password
    app_id = settings.microsoft_app_id
    tenant = settings.microsoft_app_tenant_id
    if not tenant:
        raise ConfigError(
            "MICROSOFT_APP_TENANT_ID: set it to your Directory (tenant) ID; Teamaround is a "
            "single-tenant bot (new multi-tenant bots are no longer supported)"
        )
    tokens = TokenProvider(
        app_id=app_id,
        secret=settings.microsoft_app_password.get_secret_value(),
        tenant_id=tenant,
        login_url=settings.teams_login_url,
    )
    sessions = Sessions()
    app.closers += [sessions.close, tokens.close]
    connector = Connector(
        JsonApi(session=sessions, token=lambda: tokens.token(BOT_SCOPE), forget_token=tokens.forget)
    )
    graph = Graph(
        JsonApi(
            session=sessions, token=lambda: tokens.token(GRAPH_SCOPE), forget_token=tokens.forget
        ),
        base_url=settings.graph_url,
    )
    references = References(app.db)
    gateway = TeamsGateway(
        connector=connector,
        graph=graph,
        references=references,
        policy=app.policy.teams,
        app_id=app_id,
        tenant_id=tenant,
        manifest_id=manifest_id(app_id),
    )
    if with_gateway:
        app.gateways["teams"] = gateway
    app.teams = TeamsInbound(
        dispatcher=app.dispatcher,
        auth=BotFrameworkAuth(
            app_id=app_id, tenant_id=tenant, openid_url=settings.teams_openid_url, session=sessions
        ),
        connector=connector,
        graph=graph,
        references=references,
        gateway=gateway,
        app_id=app_id,
    )


def connect_slack(app: App, *, with_gateway: bool = True) -> None:
    """Wire Slack: the Web API client (pointed at TEAMAROUND_SLACK_API_URL),
    the outbox gateway and the bolt app for inbound requests."""
    from integrations.slack.app import SlackInbound, create_app
    from integrations.slack.client import SharedSession, make_client
    from integrations.slack.gateway import SlackGateway

    settings = app.settings
    assert settings.slack_bot_token is not None
    client = make_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    clients = [client]
    if with_gateway:
        post_client = make_client(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            safe_to_repeat=False,
        )
        app.gateways["slack"] = SlackGateway(client, post_client=post_client)
        clients.append(post_client)
    shared = SharedSession(*clients)
    app.openers.append(shared.open)
    app.closers.append(shared.close)
    inbound = SlackInbound(dispatcher=app.dispatcher, client=client)
    secret = settings.slack_signing_secret
    app.slack = create_app(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        inbound=inbound,
        socket_mode=settings.slack_app_token is not None,
    )
