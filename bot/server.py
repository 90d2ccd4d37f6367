"""The one HTTP server: Slack, Teams, health, readiness and metrics.

Graceful shutdown (``serve``): on SIGTERM the replica stops being ready,
stops accepting connections, lets requests in flight finish (up to 5 s), hands
back the outbox rows its relay claimed, lets a job run finish or cancels it,
and exits within ``SHUTDOWN_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from types import FrameType

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import logs
from bot.main import App
from bot.metrics import CONTENT_TYPE
from bot.relay import Relay
from bot.traffic import Traffic
from store import migrate, outbox

log = logging.getLogger("teamaround")
access = logging.getLogger("teamaround.access")

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


# On SIGTERM: in-flight requests get this long to finish, then the relay and a
# job in progress get what is left of SHUTDOWN_SECONDS (an orchestrator's
# usual grace period is 30 s; we promise 10).
SHUTDOWN_SECONDS = 10.0
REQUEST_GRACE_SECONDS = 5.0


class Drain:
    """The replica's shutdown, from the first SIGTERM: it stops being ready,
    claims no more outbox rows and starts no more jobs."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.began: float | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # set once serving
        self._listeners: list[Callable[[], None]] = []

    def on_start(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self.event.is_set():
            return
        self.began = time.monotonic()
        self.event.set()
        for listener in self._listeners:
            listener()

    def left(self) -> float:
        """Seconds left before the replica must have exited."""
        began = self.began if self.began is not None else time.monotonic()
        return max(0.0, began + SHUTDOWN_SECONDS - time.monotonic())


def create_web_app(
    app: App,
    *,
    run_relay: bool = True,
    run_scheduler: bool = False,
    relay_interval: float = 2.0,
) -> Starlette:
    metrics = app.metrics
    drain = Drain()
    traffic = Traffic()
    relay = app.relay(pause=traffic.requests_first) if run_relay and app.gateways else None
    # Without a platform nobody could be told, so the ladder must not move.
    scheduler = app.scheduler() if run_scheduler and app.gateways else None
    if relay is not None:
        drain.on_start(relay.stop)
    if scheduler is not None:
        drain.on_start(scheduler.stop_starting)

    async def healthz(_: Request) -> JSONResponse:
        """Liveness: the process answers and its database does."""
        try:
            async with app.db.reader() as session:
                await session.execute(text("select 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "unhealthy", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    async def readiness() -> tuple[bool, dict[str, str]]:
        body: dict[str, str] = {"database": "ok", "schema": "ok"}
        try:
            async with app.db.reader() as session:
                revision = await migrate.revision_of(await session.connection())
            if revision != migrate.head_revision():
                body["schema"] = f"at {revision or 'nothing'}, not {migrate.head_revision()}"
        except Exception:
            log.exception("readiness check: database unreachable")
            body["database"] = "unreachable"
            body.pop("schema")
        if drain.event.is_set():
            body["shutdown"] = "in progress"
        ready = body.get("schema") == "ok" and "shutdown" not in body
        metrics.ready.set(1 if ready else 0)
        return ready, body

    async def readyz(_: Request) -> JSONResponse:
        """Readiness: send this replica traffic (database reachable, schema at
        the head revision, not shutting down)."""
        ready, body = await readiness()
        status = "ready" if ready else "not ready"
        return JSONResponse({"status": status, **body}, 200 if ready else 503)

    async def metrics_page(_: Request) -> Response:
        await readiness()
        now = app.services.clock.now()
        try:
            async with app.db.reader() as session:
                depth, oldest = await outbox.waiting(session, now=now)
            metrics.set_outbox(depth, oldest)
        except Exception:
            log.exception("metrics: could not read the outbox; its gauges keep their last value")
        in_use, idle, size, overflow = app.db.pool_use()
        metrics.set_pool(in_use=in_use, idle=idle, size=size, overflow=overflow)
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    async def relay_loop(relay: Relay) -> None:
        while not drain.event.is_set():
            report = None
            try:
                report = await relay.run_once()
            except Exception:
                log.exception("outbox relay pass failed; trying again shortly")
            if report is not None and report.claimed and not drain.event.is_set():
                continue  # more may be waiting: no pause while there is a backlog
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(drain.event.wait(), relay_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        drain.loop = asyncio.get_running_loop()
        await app.open()
        task = asyncio.create_task(relay_loop(relay)) if relay is not None else None
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
            drain.start()
            if socket_handler is not None:
                await socket_handler.close_async()  # type: ignore[no-untyped-call]
            # The relay finishes the delivery in hand and hands the rest back;
            # a job run finishes, or is cancelled (its transaction rolls back).
            budget = max(0.5, drain.left() - 0.5)
            waits = []
            if scheduler is not None:
                waits.append(scheduler.shutdown(grace=budget))
            if task is not None:
                waits.append(_finish(task, budget))
            await asyncio.gather(*waits)
            await app.close()
            log.info("stopped cleanly")

    async def privacy(_: Request) -> HTMLResponse:
        return HTMLResponse(PRIVACY)

    async def terms(_: Request) -> HTMLResponse:
        return HTMLResponse(TERMS)

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_page),
        Route("/privacy", privacy),
        Route("/terms", terms),
    ]
    if app.signer is not None:
        routes += _page_routes(app)
    secret = app.settings.slack_signing_secret
    if app.slack is not None and app.settings.slack_app_token is None and secret is not None:
        from integrations.slack.endpoint import SlackEndpoint

        slack_endpoint = SlackEndpoint(app.slack, signing_secret=secret.get_secret_value())

        async def slack_events(request: Request) -> Response:
            return await slack_endpoint.handle(request)

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
    web = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestLog, app=app, routes=routes, traffic=traffic)],
    )
    web.state.drain = drain
    return web


# The one-action page: nothing cached, never framed, never indexed, and no
# Referer (its address holds the link's token) sent anywhere.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}
MAX_FORM_BYTES = 16_384


def _page_routes(app: App) -> list[Route]:
    """``GET/POST /a/{token}`` (only with TEAMAROUND_SECRET_KEY) and its stylesheet."""
    from commands.action import page as one_action
    from integrations.web import render as web

    signer = app.signer
    assert signer is not None

    async def action_page(request: Request) -> Response:
        token = str(request.path_params["token"])
        if request.method == "POST":
            declared = request.headers.get("content-length", "")
            if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
                return PlainTextResponse("The form is too large.", 413, headers=PAGE_HEADERS)
            async with request.form(max_files=0, max_fields=20) as form:
                values = {k: v for k, v in form.items() if isinstance(v, str)}
            page = await one_action.submit(app.services, signer, token=token, form=values)
        else:
            page = await one_action.view(app.services, signer, token=token)
        html = web.render(page, action_url=f"/a/{token}")
        return HTMLResponse(html, page.status, headers=PAGE_HEADERS)

    async def stylesheet(_: Request) -> Response:
        return Response(
            web.stylesheet(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return [
        Route("/a/{token}", action_page, methods=["GET", "POST"]),
        Route(web.STYLESHEET, stylesheet),
    ]


async def _finish(task: asyncio.Task[None], seconds: float) -> None:
    """Let a background task end by itself within ``seconds``, else cancel it."""
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class RequestLog:
    """Pure ASGI middleware: a request id for the logs (and the response's
    ``X-Request-Id``), the access line, the HTTP latency histogram, and the
    count of requests in hand (``bot.traffic``: the relay steps aside). Routes
    are named by their template, never their path or query string."""

    def __init__(self, asgi: ASGIApp, *, app: App, routes: list[Route], traffic: Traffic) -> None:
        self._asgi = asgi
        self._traffic = traffic
        self._metrics = app.metrics
        self._templates: dict[object, str] = {route.endpoint: route.path for route in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._asgi(scope, receive, send)
            return
        rid = secrets.token_hex(6)
        token = logs.request_id.set(rid)
        began = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        self._traffic.begin()
        try:
            await self._asgi(scope, receive, send_with_id)
        finally:
            self._traffic.end()
            elapsed = time.perf_counter() - began
            # The router records the endpoint it chose in the shared scope.
            route = self._templates.get(scope.get("endpoint"), "(no route)")
            self._metrics.http.labels(route, f"{status // 100}xx").observe(elapsed)
            access.info(
                "%s %s %s %.1f ms",
                scope.get("method", "?"),
                route,
                status,
                elapsed * 1000,
                extra={"route": route, "status": status, "ms": round(elapsed * 1000, 1)},
            )
            logs.request_id.reset(token)


def serve(web: Starlette, *, host: str, port: int) -> None:
    """Run uvicorn; the first SIGTERM or SIGINT starts the drain at once (not
    when the in-flight requests have finished), so the relay and the jobs stop
    while uvicorn stops accepting and lets requests finish."""
    import uvicorn

    drain: Drain = web.state.drain
    config = uvicorn.Config(
        web,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(REQUEST_GRACE_SECONDS),
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if drain.loop is not None:  # a signal handler: wake the loop to start the drain
                drain.loop.call_soon_threadsafe(drain.start)
            super().handle_exit(sig, frame)

    Server(config).run()
