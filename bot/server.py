"""The one HTTP server: health and metrics now; Slack and Teams mount beside them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.main import App

log = logging.getLogger("teamaround")


def create_web_app(
    app: App,
    *,
    run_relay: bool = True,
    run_scheduler: bool = False,
    relay_interval: float = 2.0,
) -> Starlette:
    stats = {"relay_sent": 0, "relay_retried": 0, "relay_dead": 0}

    async def healthz(_: Request) -> JSONResponse:
        from sqlalchemy import text

        try:
            async with app.db.reader() as session:
                await session.execute(text("select 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "unhealthy", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    async def metrics(_: Request) -> PlainTextResponse:
        lines = [f"teamaround_{name}_total {value}" for name, value in stats.items()]
        return PlainTextResponse("\n".join(lines) + "\n")

    async def relay_loop() -> None:
        relay = app.relay()
        while True:
            try:
                report = await relay.run_once()
                stats["relay_sent"] += report.sent
                stats["relay_retried"] += report.retried
                stats["relay_dead"] += report.dead
            except Exception:
                log.exception("outbox relay pass failed; trying again shortly")
            await asyncio.sleep(relay_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(relay_loop()) if run_relay and app.gateways else None
        # Without a platform nobody could be told, so the ladder must not move.
        scheduler = app.scheduler() if run_scheduler and app.gateways else None
        if scheduler is not None:
            scheduler.start()
        socket_handler = None
        if app.slack is not None and app.settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(
                app.slack, app.settings.slack_app_token.get_secret_value()
            )
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack Socket Mode connected")
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            if socket_handler is not None:
                await socket_handler.close_async()  # type: ignore[no-untyped-call]
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.db.dispose()

    routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
    if app.slack is not None and app.settings.slack_app_token is None:
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        slack_handler = AsyncSlackRequestHandler(app.slack)

        async def slack_events(request: Request) -> Response:
            return await slack_handler.handle(request)

        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
