"""The Slack app manifest: valid against Slack's schema, minimal scopes, our URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from commands.catalogue import neutral
from integrations.slack.manifest import MANIFEST_PATH, slack_manifest, slack_manifest_yaml
from tests.schemas import load as load_schema

REPO = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://example.org"

COMMANDS = ["/network", "/action", "/cetr", "/dsr"]
SCOPES = {
    "commands",
    "chat:write",
    "groups:write",
    "groups:read",
    "groups:history",
    "pins:write",
    "users:read",
    "users:read.email",
    "im:write",
    "im:history",  # finding its own direct message again after a lost answer
    "files:write",  # the quarterly report's files, to the DSR chair
}


HELP = neutral()


def validate(manifest: dict[str, Any]) -> None:
    schema = load_schema("slack-manifest.schema.1.0.0.json")
    Draft7Validator.check_schema(schema)
    errors = sorted(Draft7Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def urls(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in urls(v, k)]
    if isinstance(value, list):
        return [u for v in value for u in urls(v, key)]
    if isinstance(value, str) and (key.endswith("url") or value.startswith("http")):
        return [value]
    return []


def test_the_root_manifest_is_the_package_copy() -> None:
    root = REPO / "manifest.yaml"

    assert root.read_bytes() == MANIFEST_PATH.read_bytes(), (
        "manifest.yaml at the repository root must be an identical copy of "
        "integrations/slack/manifest.yaml (the source): copy it across"
    )


def test_the_http_manifest_is_valid() -> None:
    manifest = slack_manifest(PUBLIC_URL, commands=HELP)

    validate(manifest)
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://example.org/slack/events",
    }
    assert "event_subscriptions" not in manifest["settings"]


def test_the_socket_mode_manifest_is_valid_and_has_no_urls() -> None:
    manifest = slack_manifest(PUBLIC_URL, socket_mode=True, commands=HELP)

    validate(manifest)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert urls(manifest) == []
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == COMMANDS


@pytest.mark.parametrize("socket_mode", [False, True])
def test_exactly_the_four_commands_and_the_minimal_scopes(socket_mode: bool) -> None:
    manifest = slack_manifest(PUBLIC_URL, socket_mode=socket_mode, commands=HELP)

    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == COMMANDS
    assert all(c["should_escape"] is True and c["description"] for c in commands)
    by_name = {c["command"]: c for c in commands}
    # Descriptions and hints come from the commands' own help.
    assert by_name["/action"]["usage_hint"].startswith("assign @owner WHAT by WHEN | list | ")
    assert by_name["/cetr"]["usage_hint"].startswith("record TYPE DATE | rec ID @owner WHAT by")
    assert all(c["usage_hint"].endswith(" | help") for c in commands)
    assert all(len(c["usage_hint"]) <= 1000 for c in commands)
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}
    assert set(scopes["bot"]) == SCOPES and len(scopes["bot"]) == len(SCOPES)


@pytest.mark.parametrize(
    "public_url", ["https://example.org", "https://example.org/", "https://bot.nhs.example/x/"]
)
def test_every_url_is_under_the_public_url(public_url: str) -> None:
    manifest = slack_manifest(public_url, commands=HELP)
    found = urls(manifest)

    assert len(found) == 5  # four commands and interactivity
    assert all(u == public_url.rstrip("/") + "/slack/events" for u in found)
    assert "teamaround.example.org" not in json.dumps(manifest)


def test_display_information_for_an_icb_admin() -> None:
    info = slack_manifest(PUBLIC_URL, commands=HELP)["display_information"]

    assert info["name"] == "Teamaround"
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert info["background_color"] == "#1d4e89"
    bot = slack_manifest(PUBLIC_URL, commands=HELP)["features"]["bot_user"]
    assert bot == {"display_name": "Teamaround", "always_online": True}


def test_the_yaml_reads_back_as_the_same_manifest() -> None:
    text = slack_manifest_yaml(PUBLIC_URL, commands=HELP)

    assert yaml.safe_load(text) == slack_manifest(PUBLIC_URL, commands=HELP)
    socket = slack_manifest_yaml(PUBLIC_URL, socket_mode=True, commands=HELP)
    assert yaml.safe_load(socket) == slack_manifest(PUBLIC_URL, socket_mode=True, commands=HELP)


def test_a_public_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="TEAMAROUND_PUBLIC_URL"):
        slack_manifest("teamaround.example.org", commands=HELP)
    # Socket Mode needs no public URL at all.
    assert (
        slack_manifest("", socket_mode=True, commands=HELP)["settings"]["socket_mode_enabled"]
        is True
    )
