"""NHS-number-shaped values for tests, from the range reserved for testing
(999 000 0000 – 999 999 9999) with a valid modulus-11 check digit. They are
computed, never written out; and the spellings people (and chat clients)
really produce."""

from __future__ import annotations

from collections.abc import Callable

TEST_RANGE_PREFIX = "999"


def check_digit(first_nine: str) -> int | None:
    """The NHS modulus-11 check digit for nine digits, or None when none is valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def reserved_numbers(count: int) -> list[str]:
    """``count`` valid ten-digit numbers, all starting 999."""
    found = [reserved_number(middle) for middle in middles_with_a_check_digit()[:count]]
    if len(found) < count:
        raise AssertionError("not enough reserved numbers")
    return found


def spaced(number: str) -> str:
    """The 3-3-4 grouping people write: "999 123 4567"."""
    return grouped(number, " ")


def reserved_number(middle: str) -> str:
    """A valid NHS number in the reserved test range: 999 + six digits + check digit."""
    assert len(middle) == 6 and middle.isdigit()
    first_nine = TEST_RANGE_PREFIX + middle
    check = check_digit(first_nine)
    assert check is not None, f"{first_nine} has no valid check digit; pick other digits"
    return first_nine + str(check)


def with_a_wrong_check_digit(number: str) -> str:
    wrong = (int(number[-1]) + 1) % 10
    return number[:-1] + str(wrong)


def grouped(number: str, separator: str) -> str:
    return separator.join((number[:3], number[3:6], number[6:]))


def middles_with_a_check_digit() -> list[str]:
    found = []
    for n in range(0, 1_000_000, 7919):
        middle = f"{n:06d}"
        if check_digit(TEST_RANGE_PREFIX + middle) is not None:
            found.append(middle)
    return found


MIDDLES = middles_with_a_check_digit()[:5]
VALID = reserved_number(MIDDLES[0])


def spelled(number: str, sizes: tuple[int, ...], separator: str) -> str:
    groups, at = [], 0
    for size in sizes:
        groups.append(number[at : at + size])
        at += size
    assert at == len(number)
    return separator.join(groups)


SPELLINGS: dict[str, Callable[[str], str]] = {
    "dots": lambda n: spelled(n, (3, 3, 4), "."),
    "slashes": lambda n: spelled(n, (3, 3, 4), "/"),
    "underscores": lambda n: spelled(n, (3, 3, 4), "_"),
    "en dashes": lambda n: spelled(n, (3, 3, 4), "\u2013"),
    "em dashes": lambda n: spelled(n, (3, 3, 4), "\u2014"),
    "brackets": lambda n: f"({n[:3]}) {n[3:6]} {n[6:]}",
    "spaced hyphens": lambda n: spelled(n, (3, 3, 4), " - "),
    "pairs": lambda n: spelled(n, (2, 2, 2, 2, 2), " "),
    "four three three": lambda n: spelled(n, (4, 3, 3), " "),
    "no-break spaces": lambda n: spelled(n, (3, 3, 4), "\u00a0"),
    "narrow no-break spaces": lambda n: spelled(n, (3, 3, 4), "\u202f"),
    "zero-width spaces": lambda n: spelled(n, (3, 3, 4), "\u200b"),
    "zero-width joiners": lambda n: spelled(n, (1,) * 10, "\u200d"),
    "soft hyphens": lambda n: spelled(n, (3, 3, 4), "\u00ad"),
    "tabs": lambda n: spelled(n, (3, 3, 4), "\t"),
    "double spaces": lambda n: spelled(n, (3, 3, 4), "  "),
    "a space then a newline": lambda n: spelled(n, (3, 3, 4), " \n"),
    "full-width digits": lambda n: "".join(chr(0xFF10 + int(d)) for d in n),
    "mathematical digits": lambda n: " ".join(
        "".join(chr(0x1D7CE + int(d)) for d in part) for part in (n[:3], n[3:6], n[6:])
    ),
}
