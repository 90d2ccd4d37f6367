"""The Slack app manifest for a given public URL (``teamaround manifest slack``).

``integrations/slack/manifest.yaml`` is the single source and ships as package
data; ``manifest.yaml`` at the repository root is an identical copy for people
reading the repository (a unit test keeps them the same). Every URL in it starts
with the placeholder ``https://teamaround.example.org``, replaced here by the
configured public URL. In Socket Mode the URLs are dropped instead, because
Slack then delivers commands and interactions over the WebSocket.

Each slash command's description and usage hint come from the commands' own
help (:class:`bot.help.CommandHelp`, handed in by the composition root), so
they are written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.help import CommandHelp

PLACEHOLDER_URL = "https://teamaround.example.org"
MANIFEST_PATH = Path(__file__).resolve().with_name("manifest.yaml")
_URL_KEYS = ("url", "request_url", "message_menu_options_url")


def _load() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{MANIFEST_PATH} is not a YAML mapping")
    return loaded


def _rebase(value: Any, base: str) -> Any:
    """Replace the placeholder base in every URL-looking string, recursively."""
    if isinstance(value, dict):
        return {key: _rebase(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebase(item, base) for item in value]
    if isinstance(value, str) and (
        value == PLACEHOLDER_URL or value.startswith(PLACEHOLDER_URL + "/")
    ):
        return base + value[len(PLACEHOLDER_URL) :]
    return value


def _drop_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_urls(item) for key, item in value.items() if key not in _URL_KEYS}
    if isinstance(value, list):
        return [_drop_urls(item) for item in value]
    return value


def _with_help(manifest: dict[str, Any], commands: Sequence[CommandHelp]) -> dict[str, Any]:
    """Each slash command with its description and usage hint from its help."""
    by_name = {f"/{c.name}": c for c in commands}
    features = manifest.get("features") or {}
    described = []
    for entry in features.get("slash_commands") or []:
        help_ = by_name.get(entry.get("command"))
        if help_ is None:
            raise ValueError(f"no help for the slash command {entry.get('command')}")
        described.append(
            {
                "command": entry["command"],
                **({"url": entry["url"]} if "url" in entry else {}),
                "description": help_.summary,
                "usage_hint": help_.usage_hint,
                **{k: v for k, v in entry.items() if k not in ("command", "url")},
            }
        )
    features["slash_commands"] = described
    return manifest


def slack_manifest(
    public_url: str, *, commands: Sequence[CommandHelp], socket_mode: bool = False
) -> dict[str, Any]:
    """The manifest as a dict, with every URL under ``public_url`` and each
    command's description and usage hint from ``commands``.

    With ``socket_mode=True`` the request URLs are removed (``public_url`` is
    then not used) and ``settings.socket_mode_enabled`` is true.

    Raises ``ValueError`` if ``public_url`` is needed and is not http(s).
    """
    manifest = _with_help(_load(), commands)
    if socket_mode:
        socket: dict[str, Any] = _drop_urls(manifest)
        socket.setdefault("settings", {})["socket_mode_enabled"] = True
        return socket
    base = public_url.strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValueError(
            f"The public URL must start with https:// or http:// (got {public_url!r}); "
            "set TEAMAROUND_PUBLIC_URL."
        )
    rebased: dict[str, Any] = _rebase(manifest, base)
    return rebased


def slack_manifest_yaml(
    public_url: str, *, commands: Sequence[CommandHelp], socket_mode: bool = False
) -> str:
    """The manifest as YAML, ready to paste into api.slack.com → *From a manifest*."""
    return yaml.safe_dump(
        slack_manifest(public_url, commands=commands, socket_mode=socket_mode),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
