"""The fake Slack (tests/fakes/slack.py) in a process of its own, for benchmarks.

  python bench/fake_slack_server.py --users a@example.org,b@example.org [--channels N]

Prints one JSON line when it listens: ``{"url", "users": {email: id},
"channels": [id, ...]}`` (channels are private, with every user and the bot
in them). ``GET /bench/trigger`` hands out a trigger id (what Slack puts in a button
press, for opening a modal); ``GET /bench/state`` answers what a benchmark
checks afterwards:
every message (channel, ts, metadata key, edits) and the idempotency key of
every ``chat.postMessage`` Slack accepted. Runs until SIGTERM.

Kept apart from the process that drives the load, so that answering the
relays' calls does not steal time from the client measuring latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-bench-token"


def _key(metadata: Any) -> str:
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return str(((metadata or {}).get("event_payload") or {}).get("key", ""))


def state(slack: FakeSlack) -> dict[str, Any]:
    messages = [
        {"channel": m.channel, "ts": m.ts, "key": _key(m.metadata), "edited": m.edited}
        for channel in slack.messages.values()
        for m in channel
        if m.ephemeral_for is None and m.user == slack.bot_user_id
    ]
    posts = [
        _key(call.args.get("metadata"))
        for call in slack.calls
        if call.method == "chat.postMessage" and call.status == 200 and not call.error
    ]
    methods: dict[str, int] = {}
    for call in slack.calls:
        methods[call.method] = methods.get(call.method, 0) + 1
    return {"messages": messages, "posted_keys": posts, "calls": methods}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", required=True, help="comma-separated emails")
    parser.add_argument("--channels", type=int, default=0)
    args = parser.parse_args()
    slack = FakeSlack(token=TOKEN)
    await slack.start()
    emails = [e for e in args.users.split(",") if e]
    users = {email: slack.add_user(name=email.split("@")[0], email=email) for email in emails}
    channels = [
        slack.add_channel(f"bench-{n:04d}", is_private=True, members=users.values())
        for n in range(args.channels)
    ]

    # A second small server beside it for the benchmark's own questions.
    async def answer(_: web.Request) -> web.Response:
        return web.json_response(state(slack))

    async def trigger(_: web.Request) -> web.Response:
        return web.json_response({"trigger_id": slack.new_trigger_id()})

    control = web.Application()
    control.router.add_get("/bench/state", answer)
    control.router.add_get("/bench/trigger", trigger)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    print(
        json.dumps(
            {"url": slack.base_url, "control": control_url, "users": users, "channels": channels}
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await slack.stop()


if __name__ == "__main__":
    asyncio.run(main())
