"""Privacy guards: Teamaround never takes identifiable data into chat."""

from __future__ import annotations

import re

from bot.errors import UserError

# NHS numbers: ten digits, optionally grouped 3-3-4, with a valid mod-11 check digit.
_NHS_SHAPE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")


def looks_like_nhs_number(text: str) -> bool:
    """True when the text holds a ten-digit number with a valid NHS check digit."""
    for match in _NHS_SHAPE.finditer(text):
        digits = [int(c) for c in "".join(match.groups())]
        total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10 and check == digits[9]:
            return True
    return False


def refuse_identifiers(text: str) -> None:
    if looks_like_nhs_number(text):
        raise UserError(
            "That looks like an NHS number, so I haven't saved or shared anything. "
            "Teamaround only uses the register reference; please type the command "
            "again without the number.",
        )
