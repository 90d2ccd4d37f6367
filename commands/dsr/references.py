"""What a new register reference may look like.

References are pseudonymous: the policy's ``register_rules.reference_pattern``
(by default capital letters, then at least three digits, like ``DSR-0042`` or
``KM-1234``) keeps names, dates of birth and other identifying words out of
the register and out of channel names (``Jane-Smith-2011`` would become
``#yp-jane-smith-2011``). Every place that creates a reference (``/dsr add``,
``teamaround register import``) checks it here.
"""

from __future__ import annotations

import re
from functools import cache

from bot.errors import UserError
from bot.policy import Policy

EXAMPLES = "DSR-0042 or KM-1234"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def check_new_reference(reference: str, *, policy: Policy) -> str:
    """``reference`` as typed, if it matches the policy's pattern; otherwise a
    refusal that shows the pattern."""
    pattern = policy.register_rules.reference_pattern
    if _compiled(pattern).fullmatch(reference):
        return reference
    # The refusal does not repeat what was typed: it may be a name.
    raise UserError(
        f"That isn't a register reference this area uses. References are pseudonymous, like "
        f"{EXAMPLES}: never a name, a date of birth or an NHS number.",
        hint=f"A new reference must match the policy's pattern {pattern} "
        "(register_rules.reference_pattern), capital letters included.",
    )
