"""The one HTTP server: health and metrics now; Slack and Teams mount beside them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.main import App

log = logging.getLogger("teamaround")

# The pages an app store listing links to (the Teams manifest's privacy and
# terms links). Short, true, and the same for every deployment.
_PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Teamaround: {title}</title></head><body><h1>{title}</h1>{body}</body></html>"""
PRIVACY = _PAGE.format(
    title="Privacy",
    body="<p>Teamaround is run by your area's keyworking service or ICB, which is the data "
    "controller. It keeps the names, work email addresses, agencies and roles of the "
    "professionals in its directory, the actions they agree and an audit trail of every "
    "change.</p><p>Young people are known only by a pseudonymous reference: Teamaround "
    "refuses names, dates of birth and NHS numbers in its messages, channel names and logs."
    "</p><p>Ask your keyworking service about access, correction and retention.</p>",
)
TERMS = _PAGE.format(
    title="Terms of use",
    body="<p>Teamaround is for professionals coordinating support for young people on a "
    "Dynamic Support Register, under their organisations' information-sharing agreements. "
    "It is not a crisis service and not a clinical record: keep clinical detail in the case "
    "record.</p>",
)


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
            await app.close()

    async def privacy(_: Request) -> HTMLResponse:
        return HTMLResponse(PRIVACY)

    async def terms(_: Request) -> HTMLResponse:
        return HTMLResponse(TERMS)

    routes = [
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/privacy", privacy),
        Route("/terms", terms),
    ]
    if app.slack is not None and app.settings.slack_app_token is None:
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        slack_handler = AsyncSlackRequestHandler(app.slack)

        async def slack_events(request: Request) -> Response:
            return await slack_handler.handle(request)

        routes.append(Route("/slack/events", slack_events, methods=["POST"]))
    if app.teams is not None:
        from integrations.teams.app import MAX_BODY as limit

        teams = app.teams

        async def teams_messages(request: Request) -> Response:
            # Read no more than an activity can be: nothing is checked before the JWT.
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return JSONResponse({"error": "request too large"}, 413)
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return JSONResponse({"error": "request too large"}, 413)
            status, answer = await teams.handle(
                authorization=request.headers.get("authorization"), body=body
            )
            return JSONResponse(answer, status)

        routes.append(Route("/api/messages", teams_messages, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
