"""Servers for the Slack latency benchmark, one per process.

  python bench/slack_servers.py teamaround --port P --database-url URL --slack-url URL [--no-relay]
  python bench/slack_servers.py bare --port P --slack-url URL

``bare`` is a bolt app that only acks and replies as its listener returns:
the floor any slash command handler can reach on this machine.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"


def bare_app(slack_url: str):  # type: ignore[no-untyped-def]
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    from integrations.slack.client import make_client

    app = AsyncApp(
        client=make_client(token=TOKEN, base_url=slack_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    async def reply(ack, body):  # type: ignore[no-untyped-def]
        await ack(text=f"You said {body.get('text', '')}", response_type="ephemeral")

    for name in ("network", "action"):
        app.command(f"/{name}")(reply)
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request):  # type: ignore[no-untyped-def]
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


def teamaround_app(database_url: str, slack_url: str, *, relay: bool = True):  # type: ignore[no-untyped-def]
    from bot.main import build
    from bot.server import create_web_app
    from bot.settings import Settings

    settings = Settings(
        database_url=database_url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_url,
    )
    return create_web_app(build(settings), run_relay=relay)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("teamaround", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--no-relay", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web = (
        teamaround_app(args.database_url, args.slack_url, relay=not args.no_relay)
        if args.kind == "teamaround"
        else bare_app(args.slack_url)
    )
    uvicorn.run(web, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
