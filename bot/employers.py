"""Who employs a professional, as the quarterly keyworking return groups
employers: NHS, local authority, third sector (and the independent sector).

An agency's ``kind`` (``Agency.kind``) says it. The directory sets it from its
optional ``agency_kind`` column (``commands/directory``), and the policy's
``workforce:`` posts may name a vacant post's employer; both read the words
here, and the report shows :data:`EMPLOYER_LABEL`. Kinds that say nothing
about the employer ("other", or the demo's "education") show as not recorded.
"""

from __future__ import annotations

import re
from typing import Literal

EmployerKind = Literal["nhs", "local-authority", "third-sector", "independent", "other"]
EMPLOYER_KINDS: tuple[EmployerKind, ...] = (
    "nhs",
    "local-authority",
    "third-sector",
    "independent",
    "other",
)
NOT_RECORDED = "Not recorded"
# What the return's workforce table shows for each kind of agency (older kinds
# that name a sector of a kind are read as it: the ICB is NHS, children's
# social care the council's).
EMPLOYER_LABEL: dict[str, str] = {
    "nhs": "NHS",
    "icb": "NHS",
    "local-authority": "Local authority",
    "social_care": "Local authority",
    "third-sector": "Third sector",
    "independent": "Independent sector",
    "care_provider": "Independent sector",
}
# The ways people write the kinds, after lower-casing and turning spaces
# and underscores into dashes.
_ALIASES: dict[str, EmployerKind] = {
    "nhs": "nhs",
    "nhs-trust": "nhs",
    "nhs-foundation-trust": "nhs",
    "icb": "nhs",
    "health": "nhs",
    "local-authority": "local-authority",
    "la": "local-authority",
    "council": "local-authority",
    "local-government": "local-authority",
    "third-sector": "third-sector",
    "voluntary": "third-sector",
    "voluntary-sector": "third-sector",
    "charity": "third-sector",
    "vcse": "third-sector",
    "vcs": "third-sector",
    "independent": "independent",
    "independent-sector": "independent",
    "private": "independent",
    "other": "other",
}
WORDS = "nhs, local-authority, third-sector, independent or other"


def employer_kind(text: str) -> EmployerKind | None:
    """The kind ``text`` names ("NHS trust", "Local authority", "charity"),
    or None when it names none."""
    key = re.sub(r"[\s_]+", "-", text.strip().lower())
    return _ALIASES.get(key)


def employer_label(kind: str | None) -> str:
    return EMPLOYER_LABEL.get(kind or "", NOT_RECORDED)
