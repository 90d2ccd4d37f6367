"""NHS-number-shaped values for tests, from the range reserved for testing
(999 000 0000 – 999 999 9999) with a valid modulus-11 check digit. They are
computed, never written out."""

from __future__ import annotations


def check_digit(first_nine: str) -> int | None:
    """The NHS modulus-11 check digit for nine digits, or None when none is valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def reserved_numbers(count: int) -> list[str]:
    """``count`` valid ten-digit numbers, all starting 999."""
    found = []
    for n in range(0, 1_000_000, 7919):
        first_nine = f"999{n:06d}"
        check = check_digit(first_nine)
        if check is not None:
            found.append(first_nine + str(check))
        if len(found) == count:
            return found
    raise AssertionError("not enough reserved numbers")


def spaced(number: str) -> str:
    """The 3-3-4 grouping people write: "999 123 4567"."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"
