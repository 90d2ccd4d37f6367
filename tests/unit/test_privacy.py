"""Teamaround refuses NHS numbers typed into chat.

Only numbers from the range reserved for testing (ten digits starting 999)
are used, and they are computed here: no ten-digit number is written out.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.privacy import looks_like_nhs_number, refuse_identifiers
from tests.nhs import (
    MIDDLES,
    SPELLINGS,
    TEST_RANGE_PREFIX,
    VALID,
    check_digit,
    grouped,
    middles_with_a_check_digit,
    reserved_number,
    with_a_wrong_check_digit,
)


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


def no_digits_once_normalised(char: str) -> bool:
    """Characters that stay free of digits under NFKC ("²" becomes "2")."""
    return not any(c.isdecimal() for c in unicodedata.normalize("NFKC", char))


SURROUNDING = st.text(
    alphabet=st.characters(exclude_categories=["Nd"]).filter(no_digits_once_normalised)
)


@settings(max_examples=300, deadline=None)
@given(
    middle=st.sampled_from(MIDDLES),
    before=SURROUNDING,
    after=SURROUNDING,
    separator=st.sampled_from(["", " ", "-"]),
)
def test_a_valid_number_is_refused_whatever_surrounds_it(
    middle: str, before: str, after: str, separator: str
) -> None:
    with pytest.raises(UserError, match="NHS number"):
        refuse_identifiers(before + grouped(reserved_number(middle), separator) + after)


# -- any spelling: the forms people (and chat clients) really produce -----------------


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_valid_number_is_refused(spelling: str) -> None:
    text = SPELLINGS[spelling](VALID)
    assert VALID not in text  # the spelling really differs from the plain digits
    with pytest.raises(UserError, match="NHS number"):
        refuse_identifiers(f"assign @sam Ring the GP about {text} by Friday")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_no_spelling_of_a_wrong_check_digit_is_refused(spelling: str) -> None:
    refuse_identifiers(
        f"assign @sam Ring about {SPELLINGS[spelling](with_a_wrong_check_digit(VALID))}"
    )


def test_a_number_beside_a_date_is_found_and_a_phone_number_is_not() -> None:
    assert looks_like_nhs_number(f"seen 12/12/2026 {grouped(VALID, ' ')}")
    phone = "0" + VALID  # eleven digits: no ten of them, unsplit, are a number
    assert not looks_like_nhs_number(f"call {phone[:5]} {phone[5:]}")


# Separators: runs of characters that are neither letters nor digits once
# normalised (format characters, which normalisation drops, included).
SEPARATOR_CHARS = st.characters(
    exclude_categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No"]
).filter(lambda c: not any(x.isalnum() for x in unicodedata.normalize("NFKC", c)))
SEPARATORS = st.text(alphabet=SEPARATOR_CHARS, max_size=4)


@st.composite
def grouped_arbitrarily(draw: st.DrawFn, number: str) -> str:
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=9), max_size=9)))
    bounds = [0, *cuts, 10]
    groups = [number[a:b] for a, b in itertools.pairwise(bounds)]
    out = groups[0]
    for group in groups[1:]:
        out += draw(SEPARATORS) + group
    return out


@settings(max_examples=500, deadline=None)
@given(data=st.data(), middle=st.sampled_from(middles_with_a_check_digit()))
def test_valid_numbers_with_any_separators_and_grouping_are_refused(
    data: st.DataObject, middle: str
) -> None:
    text = data.draw(grouped_arbitrarily(reserved_number(middle)))
    before = data.draw(st.sampled_from(["", "NHS ", "no. ", "(", "ref: "]))
    with pytest.raises(UserError, match="NHS number"):
        refuse_identifiers(before + text + data.draw(st.sampled_from(["", ".", ")", " thanks"])))


def ten_digits_without_a_valid_check_digit() -> st.SearchStrategy[str]:
    """Reserved-range values (999 + seven digits) whose last digit is not the check digit."""

    def invalid(digits: str) -> bool:
        return check_digit(digits[:9]) != int(digits[9])

    return (
        st.integers(min_value=0, max_value=9_999_999)
        .map(lambda n: TEST_RANGE_PREFIX + f"{n:07d}")
        .filter(invalid)
    )


@settings(max_examples=500, deadline=None)
@given(data=st.data(), digits=ten_digits_without_a_valid_check_digit())
def test_ten_digits_with_an_invalid_check_digit_pass_however_spelled(
    data: st.DataObject, digits: str
) -> None:
    text = data.draw(grouped_arbitrarily(digits))
    assert not looks_like_nhs_number(text)
    refuse_identifiers(f"update the note: {text}")


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


def _guid_around(number: str) -> str:
    """A Teams mention's Entra object id (a GUID) whose digits, joined across
    its dashes, are ``number``: letters end the groups on either side."""
    return f"c0ffee{number[:2]}-{number[2:6]}-{number[6:]}-abcd-ef0123456789"


@pytest.mark.parametrize(
    "text",
    [
        f"action assign <@{_guid_around(VALID)}> Book the review by Friday",  # Teams
        f"action assign <@U{VALID}> Book the review by Friday",  # a Slack user id
        f"action assign <@U{VALID}|jo.hughes> Book the review",  # Slack's escaped form
        f"network add <#C{VALID}|yp-dsr-0042> <!subteam^S{VALID}|@camhs team>",
    ],
)
def test_a_mentioned_persons_platform_id_is_never_taken_for_an_nhs_number(text: str) -> None:
    assert looks_like_nhs_number(text.replace("<", " ").replace(">", " "))  # the digits are there
    refuse_identifiers(text)


def test_a_number_typed_beside_a_mention_is_still_refused() -> None:
    with pytest.raises(UserError):
        refuse_identifiers(f"action assign <@U123ABC> Call about {grouped(VALID, ' ')} by Friday")
