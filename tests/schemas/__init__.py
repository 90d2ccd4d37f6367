"""Official JSON schemas the tests validate against, kept in the repository
(with their licences beside them) so that a clone on its own passes.

- ``slack-manifest.schema.1.0.0.json``: slackapi/manifest-schema,
  ``schemas/manifest.schema.1.0.0.json`` (MIT, ``slack-manifest.LICENSE``).
- ``teams-manifest.schema.1.25.json``: OfficeDev/microsoft-teams-app-schema,
  v1.25 ``MicrosoftTeams.schema.json`` (MIT, ``teams-manifest.LICENSE``).
- ``adaptive-card.schema.1.5.json``: microsoft/AdaptiveCards, schema 1.5
  (``adaptive-card.LICENSE``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent


def load(name: str) -> dict[str, Any]:
    """A vendored schema by file name, e.g. ``load("slack-manifest.schema.1.0.0.json")``."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded
