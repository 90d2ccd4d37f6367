"""Comparing names as people mean them: "ÉQUIPE santé" and "Équipe Santé" are
one agency.

SQLite's ``lower()`` folds only A-Z, so case-insensitive look-ups of names
with accents cannot be left to the database: the folded form is computed here
and stored beside the name (``agencies.name_key``), and both databases compare
that column exactly.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """The form two names are compared in: Unicode NFKC, case-folded, with
    runs of whitespace made one space and the ends trimmed."""
    composed = unicodedata.normalize("NFKC", " ".join(text.split()))
    return unicodedata.normalize("NFKC", composed.casefold())
