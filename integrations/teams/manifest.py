"""The Teams app package (``teamaround manifest teams``).

A zip holding ``manifest.json`` (schema 1.25), ``color.png`` (192×192) and
``outline.png`` (32×32), ready to upload in the Teams admin centre or in
Teams → Apps → Manage your apps → Upload an app.

The manifest ``id`` is the app's id in the organisation's catalogue (Graph
calls it ``externalId``), and it is derived from the bot's app id with
:func:`manifest_id`, so every rebuild of the package updates the same app
instead of adding another one.

The command lists are client suggestions only (the bot still reads the
text after its @mention). Teams allows three lists of twelve commands; they
come from the commands' own help (:class:`bot.help.CommandHelp`, handed in
by the composition root: integrations never import ``commands``): the
sub-commands each suggests in shared spaces ("group") and in a person's
1:1 chat ("personal").
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from bot.help import CommandHelp, Space
from integrations.teams.icons import colour_icon, outline_icon

MANIFEST_VERSION = "1.25"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
ACCENT_COLOR = "#1D4E89"
# Fixed forever: changing it would give every installed app a new catalogue id.
_ID_NAMESPACE = uuid.UUID("6f1c3d0e-5a8b-5c2e-9a41-7e2b0c7d9f13")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same input gives the same bytes

SHORT_DESCRIPTION = "Every agreed action for a young person gets an owner and a date."
FULL_DESCRIPTION = (
    "Teamaround helps the professionals around a young person on your area's Dynamic "
    "Support Register (DSR) work as one team. Reviews such as C(E)TRs agree good "
    "recommendations, but they are often not carried out: nobody owns them, nobody has a "
    "date, and nobody chases. Teamaround makes sure every agreed action has a named owner, "
    "an agency and a due date, and follows it up until it is done.\n\n"
    "A keyworker mentions Teamaround with 'network open' and the young person's register "
    "reference. Teamaround creates a space named from that reference only, adds the "
    "keyworker and the professionals from CAMHS, social care, education and other "
    "agencies, and pins a network card. 'action assign' gives someone an action with a due "
    "date; the action has one card in the space, with buttons to mark it done with "
    "evidence, change the date, reassign it or add an update, and every change updates that "
    "card. Owners are reminded on working days, and overdue actions are escalated as your "
    "register's policy sets out. 'cetr' and 'dsr' support reviews and the DSR meeting.\n\n"
    "Privacy by design: young people are known only by their pseudonymous register "
    "reference; no names, dates of birth or NHS numbers are stored, and text containing an "
    "NHS number is refused. Every change is audited."
)

# Teams allows three command lists of at most twelve commands each.
MAX_SUGGESTED = 12


def manifest_id(app_id: str) -> str:
    """The manifest id (Graph's ``externalId``) for a bot app id: stable across builds."""
    return str(uuid.uuid5(_ID_NAMESPACE, _guid(app_id)))


def package_version() -> str:
    try:
        return metadata.version("teamaround")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def _guid(app_id: str) -> str:
    try:
        return str(uuid.UUID(app_id.strip()))
    except ValueError:
        raise ValueError(
            f"MICROSOFT_APP_ID must be the bot's Microsoft App ID, a GUID such as "
            f"00000000-0000-0000-0000-000000000000 (got {app_id!r})."
        ) from None


def _public_base(public_url: str) -> tuple[str, str]:
    """The public URL without a trailing slash, and its host name."""
    base = public_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(
            f"Teams needs Teamaround's public https address (got {public_url!r}); "
            "set TEAMAROUND_PUBLIC_URL, e.g. https://teamaround.example.nhs.uk."
        )
    return base, parts.hostname


def _command_list(
    scopes: list[str], commands: Sequence[CommandHelp], space: Space
) -> dict[str, Any]:
    suggested = [pair for command in commands for pair in command.suggested(space)]
    if len(suggested) > MAX_SUGGESTED:
        raise ValueError(f"Teams lists at most {MAX_SUGGESTED} commands for {space} spaces")
    return {
        "scopes": scopes,
        "commands": [{"title": title, "description": text} for title, text in suggested],
    }


def build_manifest(
    *,
    app_id: str,
    public_url: str,
    commands: Sequence[CommandHelp],
    version: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The manifest as a dict.

    ``privacy_url`` and ``terms_url`` default to ``/privacy`` and ``/terms``
    under ``public_url``. Raises ``ValueError`` if ``app_id`` is not a GUID or
    ``public_url`` is not an https address.
    """
    bot_id = _guid(app_id)
    base, host = _public_base(public_url)
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version or package_version(),
        "id": manifest_id(bot_id),
        "developer": {
            "name": "Teamaround",
            "websiteUrl": base,
            "privacyUrl": privacy_url or f"{base}/privacy",
            "termsOfUseUrl": terms_url or f"{base}/terms",
        },
        "name": {"short": "Teamaround", "full": "Teamaround: actions around a young person"},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    _command_list(["team"], commands, "group"),
                    _command_list(["groupChat"], commands, "group"),
                    _command_list(["personal"], commands, "personal"),
                ],
            }
        ],
        "validDomains": [host],
        # The app registration behind the bot; also what resource-specific consent
        # would use. The resource is the usual Application ID URI form for Teams.
        "webApplicationInfo": {"id": bot_id, "resource": f"api://{host}/{bot_id}"},
        # Bots in private channels (public developer preview, PLATFORMS.md B4).
        "supportsChannelFeatures": "tier1",
    }


def build_package(
    *,
    app_id: str,
    public_url: str,
    commands: Sequence[CommandHelp],
    version: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> bytes:
    """The app package: a zip of manifest.json, color.png and outline.png."""
    manifest = build_manifest(
        app_id=app_id,
        public_url=public_url,
        commands=commands,
        version=version,
        privacy_url=privacy_url,
        terms_url=terms_url,
    )
    files = {
        "manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        "color.png": colour_icon(),
        "outline.png": outline_icon(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
