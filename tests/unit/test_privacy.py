"""Teamaround refuses NHS numbers typed into chat.

Only numbers from the range reserved for testing (ten digits starting 999)
are used, and they are computed here: no ten-digit number is written out.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.privacy import looks_like_nhs_number, refuse_identifiers

TEST_RANGE_PREFIX = "999"


def check_digit(first_nine: str) -> int | None:
    """The NHS mod-11 check digit for nine digits, or None when none is valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


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


def test_helper_builds_numbers_only_in_the_reserved_test_range() -> None:
    assert len(MIDDLES) == 5
    for middle in MIDDLES:
        number = reserved_number(middle)
        assert len(number) == 10
        assert number.startswith(TEST_RANGE_PREFIX)


@pytest.mark.parametrize("middle", MIDDLES)
@pytest.mark.parametrize("separator", ["", " ", "-"])
def test_a_valid_number_is_spotted_however_it_is_grouped(middle: str, separator: str) -> None:
    assert looks_like_nhs_number(grouped(reserved_number(middle), separator))


@pytest.mark.parametrize(
    "template",
    [
        "Sam's NHS number is {}",
        "{} - please add to the record",
        "assign @sam Chase GP about ({}) by Friday",
        "nhs:{}.",
    ],
)
def test_a_valid_number_inside_a_sentence_is_spotted(template: str) -> None:
    assert looks_like_nhs_number(template.format(VALID))
    assert looks_like_nhs_number(template.format(grouped(VALID, " ")))


@pytest.mark.parametrize("middle", MIDDLES)
@pytest.mark.parametrize("separator", ["", " ", "-"])
def test_a_wrong_check_digit_is_not_flagged(middle: str, separator: str) -> None:
    number = with_a_wrong_check_digit(reserved_number(middle))

    assert not looks_like_nhs_number(grouped(number, separator))


def test_nine_digits_whose_check_digit_would_be_ten_are_never_a_valid_number() -> None:
    first_nine = next(
        TEST_RANGE_PREFIX + f"{n:06d}"
        for n in range(1_000_000)
        if check_digit(TEST_RANGE_PREFIX + f"{n:06d}") is None
    )

    for last in range(10):
        assert not looks_like_nhs_number(first_nine + str(last))


def test_a_valid_number_within_a_longer_run_of_digits_is_not_flagged() -> None:
    assert not looks_like_nhs_number("1" + VALID)
    assert not looks_like_nhs_number(VALID + "1")


@pytest.mark.parametrize(
    "text",
    [
        "DSR-0042",
        "/action assign @sam Ring the school by 12/12/2026",
        "Meeting at 10:30 in room 12 on 3/4",
        "",
    ],
)
def test_ordinary_command_text_is_not_flagged(text: str) -> None:
    assert not looks_like_nhs_number(text)
    refuse_identifiers(text)  # does not raise


def test_the_refusal_says_nhs_number_and_what_to_do() -> None:
    with pytest.raises(UserError) as caught:
        refuse_identifiers(f"network open {grouped(VALID, ' ')}")

    message = str(caught.value)
    assert "NHS number" in message
    assert "register reference" in message
    assert "without the number" in message
    assert VALID not in message  # never echoed back


@settings(max_examples=300, deadline=None)
@given(
    middle=st.sampled_from(MIDDLES),
    before=st.text(alphabet=st.characters(exclude_categories=["Nd"])),
    after=st.text(alphabet=st.characters(exclude_categories=["Nd"])),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_a_valid_number_is_refused_whatever_surrounds_it(
    middle: str, before: str, after: str, separator: str
) -> None:
    with pytest.raises(UserError, match="NHS number"):
        refuse_identifiers(before + grouped(reserved_number(middle), separator) + after)


VOCABULARY = ["999", "000", "0000", "1234", " ", "-", "NHS", "number", "#", "\n", "²", "٣"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_either_accepted_or_refused_kindly(text: str) -> None:
    try:
        refuse_identifiers(text)
    except UserError as exc:
        assert "NHS number" in str(exc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=4), max_size=12).map("".join))
def test_any_mix_of_digit_groups_is_either_accepted_or_refused_kindly(text: str) -> None:
    try:
        refuse_identifiers(text)
    except UserError as exc:
        assert "NHS number" in str(exc)
