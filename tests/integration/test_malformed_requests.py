"""Refuse what is malformed, never crash: unsigned junk gets 401 before it is
parsed; signed but malformed requests get 4xx (or a polite reply); nothing is
logged as an error and no TA- reference is shown."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from store.models import AuditEvent
from tests.fakes.slack import sign
from tests.integration.slack_harness import SECRET, SlackRig
from tests.integration.slack_harness import running as running_slack
from tests.integration.teams_harness import TeamsRig
from tests.integration.teams_harness import running as running_teams

KIM = "kim.lee@example.org"


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def audits(app: Any) -> int:
    async with app.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# -- Slack ----------------------------------------------------------------------------


@pytest.fixture
async def slack(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running_slack(migrated_url) as rig:
        yield rig


FORM = "application/x-www-form-urlencoded"
UNSIGNED_BODIES = {
    "not UTF-8": (b"text=\xff\xfe\xfa&command=/network", FORM),
    "invalid JSON": (b'{"type": "block_actions", ', "application/json"),
    "payload that is not JSON": (b"payload=%7Bnot-json", FORM),
    "payload that is a list": (b"payload=%5B1%2C2%5D", FORM),
}


@pytest.mark.parametrize("case", UNSIGNED_BODIES)
async def test_unsigned_junk_gets_401_before_it_is_read(
    slack: SlackRig, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, content_type = UNSIGNED_BODIES[case]
    forged = sign(body, secret="not-the-secret")
    for headers in (
        {"Content-Type": content_type},  # no signature at all
        {**forged, "Content-Type": content_type},
        {**sign(body, secret=SECRET), "X-Slack-Request-Timestamp": "abc"},
        {**sign(body, secret=SECRET), "X-Slack-Request-Timestamp": ""},
        {**sign(body, secret=SECRET, timestamp=int(time.time()) - 600)},
        {**sign(body, secret=SECRET), "X-Slack-Signature": b"v0=\xe9\xe9"},  # type: ignore[dict-item]
    ):
        response = await slack.post(body, headers=headers)
        assert response.status_code == 401, (case, headers, response.text)
        assert "TA-" not in response.text
    no_errors_logged(caplog)


def payload(body: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(body)}).encode()


def block_actions(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U0KIM", "username": "kim.lee", "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM"},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.000100", "channel_id": "C1"},
        "channel": {"id": "C1"},
        "actions": [{"type": "button", "action_id": "action.done", "value": "1"}],
    }
    base.update(changes)
    return base


def view_submission(slack: SlackRig, private_metadata: Any) -> bytes:
    body = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": slack.uid(KIM), "team_id": "T0TEAM"},
        "api_app_id": "A0APP",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "action.done",
            "private_metadata": private_metadata,
            "state": {"values": {}},
        },
    }
    return payload(body)


async def test_signed_but_malformed_interactivity_gets_4xx_or_a_polite_reply(
    slack: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    before = await audits(slack.app)
    bodies = {
        "private_metadata that is a list": view_submission(slack, ["C1", 1]),
        "private_metadata holding a JSON list": view_submission(slack, "[1, 2]"),
        "user as a string": payload(block_actions(user="U0KIM")),
        "container as a list": payload(block_actions(container=["C1"])),
        "actions: [{}]": payload(block_actions(actions=[{}])),
        "actions as an object": payload(block_actions(actions={"action_id": "action.done"})),
        "a payload that is a list": payload([1, 2]),  # type: ignore[arg-type]
        "not UTF-8": b"payload=\xff",
        "a slash command without fields": b"command=%2Faction",
    }
    for case, body in bodies.items():
        response = await slack.post(body)
        assert response.status_code < 500, (case, response.status_code, response.text)
        assert "TA-" not in response.text, case
        if response.status_code == 200 and response.content:
            said = json.dumps(response.json())
            assert "went wrong" not in said, case
    response = await slack.post(bodies["private_metadata holding a JSON list"])
    assert "press the button on the action's card again" in json.dumps(response.json())
    assert await audits(slack.app) == before
    no_errors_logged(caplog)


# -- Teams ----------------------------------------------------------------------------


@pytest.fixture
async def teams(migrated_url: str) -> AsyncIterator[TeamsRig]:
    async with running_teams(migrated_url) as rig:
        yield rig


async def post_raw(rig: TeamsRig, body: bytes, authorization: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return await rig.http.post("/api/messages", content=body, headers=headers)


async def test_unsigned_junk_to_teams_gets_401_before_it_is_parsed(
    teams: TeamsRig, caplog: pytest.LogCaptureFixture
) -> None:
    for body in (b"\xff\xfe not json", b"[1, 2", b"{}", b"[]"):
        for authorization in (None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"):
            response = await post_raw(teams, body, authorization)
            assert response.status_code == 401, (body, authorization)
    assert teams.teams.metadata_fetches == 0  # nothing even needed the keys
    no_errors_logged(caplog)


async def test_signed_but_malformed_activities_get_400_and_nothing_runs(
    teams: TeamsRig, caplog: pytest.LogCaptureFixture
) -> None:
    kim_chat = teams.personal(KIM)
    before = await audits(teams.app)

    def activity(**changes: Any) -> dict[str, Any]:
        base = teams.teams.message_activity(teams.users[KIM], kim_chat, "network help")
        for key, value in changes.items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    cases = {
        "conversation as a string": activity(conversation=kim_chat),
        "no from": activity(**{"from": None}),
        "entities as a string": activity(entities="mention"),
        "an entity that is a string": activity(entities=["mention"]),
        "a mention with no one mentioned": activity(
            entities=[{"type": "mention", "text": "<at>Sam</at>"}]
        ),
        "text as a number": activity(text=42),
        "channelData as a list": activity(channelData=[]),
    }
    for case, sent in cases.items():
        token = teams.teams.issuer.mint(str(sent.get("serviceUrl") or teams.teams.service_url))
        response = await post_raw(teams, json.dumps(sent).encode(), f"Bearer {token}")
        assert 400 <= response.status_code < 500, (case, response.status_code)
        assert "TA-" not in response.text
    token = teams.teams.issuer.mint(teams.teams.service_url)
    for body in (b"\xff not json", b"[1, 2]", b'"text"'):
        response = await post_raw(teams, body, f"Bearer {token}")
        assert response.status_code == 400, body
    assert not teams.texts(kim_chat)  # nothing was answered, nothing was run
    assert await audits(teams.app) == before
    no_errors_logged(caplog)
