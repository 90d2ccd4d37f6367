"""`/dsr step-down` and `/dsr report` as typed, and the report's policy settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.calendar import WorkingCalendar
from bot.errors import ConfigError, UserError
from bot.policy import load_policy
from commands.dsr.grammar import Report, StepDown, parse

TODAY = date(2026, 11, 23)


def read(text: str) -> object:
    return parse(text, today=TODAY, calendar=WorkingCalendar())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("step-down DSR-0042", StepDown(reference="DSR-0042", on=TODAY)),
        ("step down dsr-0042", StepDown(reference="DSR-0042", on=TODAY)),
        (
            'step-down DSR-0042 --on 20/11 "Settled at college"',
            StepDown(reference="DSR-0042", on=date(2026, 11, 20), note="Settled at college"),
        ),
        (
            'step-down DSR-0042 "Settled" --on yesterday',
            StepDown(reference="DSR-0042", on=date(2026, 11, 22), note="Settled"),
        ),
        ("report", Report()),
        ("report 2026-Q2", Report(quarter="2026-Q2")),
    ],
)
def test_what_people_type(typed: str, expected: object) -> None:
    assert read(typed) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("remove DSR-0042 stepped down, outcomes met", "/dsr step-down DSR-0042"),
        ("remove DSR-0042 Outcomes met", "That sounds like a step-down"),
        ("step-down DSR-0042 --on 01/12/2026", "is in the future"),
        ("step-down", "Start with the young person's register reference"),
        ("report 2026 Q2 please", "takes one quarter, written like 2026-Q2"),
    ],
)
def test_mistakes_say_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(UserError) as caught:
        read(typed)
    assert says in str(caught.value)


def test_removing_for_another_reason_is_still_a_removal() -> None:
    assert read("remove DSR-0042 Moved out of area").reason == "Moved out of area"  # type: ignore[attr-defined]


def test_the_readmission_window_and_caseload_limit_come_from_the_policy(tmp_path: Path) -> None:
    assert load_policy(None).register_rules.readmission_months == 12
    assert load_policy(None).register_rules.caseload_limit == 20
    path = tmp_path / "policy.yaml"
    path.write_text("register_rules:\n  readmission_months: 6\n  caseload_limit: 15\n")
    rules = load_policy(path).register_rules
    assert (rules.readmission_months, rules.caseload_limit) == (6, 15)
    path.write_text("register_rules:\n  caseload_limit: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert "register_rules.caseload_limit" in str(caught.value)
