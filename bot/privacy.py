"""Privacy guards: Teamaround never takes identifiable data into chat.

An NHS number is ten digits whose last is a modulus-11 check digit. People
write them in many ways: ``943 476 5919``, ``943-476-5919``, ``943.476.5919``,
``(943) 476 5919``, ``943 – 476 – 5919``, in twos or fours, with no-break or
zero-width spaces, tabs or doubled spaces. So the text is normalised first
(Unicode NFKC, which also turns full-width and other compatibility digits
into 0-9, and format characters such as zero-width spaces are dropped), and
then any run of characters that are neither letters nor digits may join two
groups of digits. Every run of whole groups holding exactly ten digits is
checked; a group is never split, so a ten-digit stretch inside a longer
number (a phone number, say) is not one.

A mention is not typed text: ``<@U0612345678>`` (Slack) and
``<@0f1e2d3c-9990-0001-…>`` (a Teams mention, as the Teams adapter writes
it: the person's Entra object id, a random GUID) carry a platform's id, whose
digits joined across the GUID's dashes make a valid-looking NHS number for
about one person in 200. Mentions, channel links and Slack's special
mentions (``<@…>``, ``<#…>``, ``<!…>``) are taken out before the check.

:func:`refuse_identifiers` is the one function every entry point calls on
text it is about to store or send.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bot.errors import UserError

NHS_NUMBER_DIGITS = 10
_WEIGHTS = range(10, 1, -1)  # the first nine digits, weighted 10 down to 2
# A platform's reference to a person, channel or group: never typed digits.
_PLATFORM_REFERENCE = re.compile(r"<[@#!][^<>]*>")


def _has_valid_check_digit(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _normalised(text: str) -> str:
    text = _PLATFORM_REFERENCE.sub(" ", unicodedata.normalize("NFKC", text))
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _digit_chains(text: str) -> Iterator[list[str]]:
    """Groups of digits (as ASCII) that only non-alphanumeric characters
    separate; a letter ends a chain."""
    chain: list[str] = []
    group: list[str] = []
    for char in text:
        if char.isdecimal():
            group.append(str(unicodedata.decimal(char)))
            continue
        if group:
            chain.append("".join(group))
            group = []
        if char.isalnum():  # a letter (or a number that is not a digit) ends the chain
            if chain:
                yield chain
            chain = []
    if group:
        chain.append("".join(group))
    if chain:
        yield chain


def _ten_digit_runs(chain: list[str]) -> Iterator[str]:
    """Every run of consecutive whole groups with exactly ten digits."""
    for start in range(len(chain)):
        digits = ""
        for group in chain[start:]:
            digits += group
            if len(digits) >= NHS_NUMBER_DIGITS:
                break
        if len(digits) == NHS_NUMBER_DIGITS:
            yield digits


def looks_like_nhs_number(text: str) -> bool:
    """True when the text holds a ten-digit number with a valid NHS check
    digit, however its digits are grouped and separated."""
    return any(
        _has_valid_check_digit(digits)
        for chain in _digit_chains(_normalised(text))
        for digits in _ten_digit_runs(chain)
    )


def refuse_identifiers(text: str) -> None:
    """Raise a kind :class:`UserError` if ``text`` holds an NHS number."""
    if looks_like_nhs_number(text):
        raise UserError(
            "That looks like an NHS number, so I haven't saved or shared anything. "
            "Teamaround only uses the register reference; please type the command "
            "again without the number.",
        )
