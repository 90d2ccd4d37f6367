"""The authority table, decided without a database: who may, what a refusal
says, and that the README, the help and every handler read the same table."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from bot.policy import Policy, RegisterPolicy
from commands import authority, catalogue
from commands.action import grammar as action_grammar
from commands.action import handler as action_handler
from commands.authority import Facts, Role, Standing, Verb, decide
from commands.cetr import grammar as cetr_grammar
from commands.cetr import handler as cetr_handler
from commands.dsr import grammar as dsr_grammar
from commands.dsr import handler as dsr_handler
from commands.network import grammar as network_grammar
from commands.network import handler as network_handler
from store.models import ActionGrant, Agency, Person

README = Path(__file__).resolve().parents[2] / "README.md"
CAMHS, SCHOOL = Agency(id=1, name="CAMHS"), Agency(id=2, name="Oakfield School")


def person(pid: int, name: str, role: str = "", agency: Agency = CAMHS) -> Person:
    found = Person(id=pid, email=f"{name.split()[0].lower()}@example.org", name=name, role=role)
    found.agency, found.agency_id = agency, agency.id
    return found


KIM = person(1, "Kim Lee", "Keyworker")
SAM = person(2, "Sam Patel")
JO = person(3, "Jo Hughes", agency=SCHOOL)
MORGAN = person(4, "Morgan Reed")
LEE = person(5, "Lee Grant")
ADE = person(6, "Ade Okafor", "Keyworker")
PRIYA = person(7, "Priya Shah", "DSR chair (commissioner)")
GRANT = ActionGrant(id=1, stage=2, contact="line-manager")
ACTION = Facts(what="action #1", keyworker=KIM, owner=SAM, assigner=JO, member=False)


def may(verb: Verb, who: Person, facts: Facts, **kwargs: Any) -> authority.Decision:
    policy = kwargs.pop("policy", Policy())
    return decide(
        verb,
        person=who,
        standing=authority.standing(who, policy),
        facts=facts,
        policy=policy,
        **kwargs,
    )


def test_the_readme_shows_the_table_the_code_decides_by() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- authority table:")
    table = text[text.index("\n", start) + 1 : text.index("<!-- end of authority table -->")]
    assert table == authority.table_markdown()


@pytest.mark.parametrize(
    ("verb_of", "union"),
    [
        (network_handler.verb_of, network_grammar.NetworkCommand),
        (action_handler.verb_of, action_grammar.ActionCommand),
        (cetr_handler.verb_of, cetr_grammar.CetrCommand),
        (dsr_handler.verb_of, dsr_grammar.DsrCommand),
    ],
)
def test_every_sub_command_has_a_permission_entry_of_its_own_command(
    verb_of: Any, union: Any
) -> None:
    for model in typing.get_args(union):
        verb = verb_of(model.model_construct())
        name = verb.rule.command.split()[0].lstrip("/")
        assert union is not None and name in model.__module__, (model, verb)


def test_an_escalation_contact_acts_on_their_action_while_the_grant_lasts() -> None:
    holding = Facts(**{**ACTION.__dict__, "grant": GRANT})
    assert may(Verb.ACTION_SHOW, MORGAN, holding).via is Role.CONTACT
    assert may(Verb.ACTION_UPDATE, MORGAN, holding).allowed
    assert not may(Verb.ACTION_DUE, MORGAN, holding).allowed
    assert not may(Verb.ACTION_SHOW, MORGAN, ACTION).allowed  # no grant: nothing
    # Reassigning: within their own agency only; unknown target: left pending.
    assert may(Verb.ACTION_REASSIGN, MORGAN, holding, reassign_to=LEE).allowed
    assert not may(Verb.ACTION_REASSIGN, MORGAN, holding, reassign_to=JO).allowed
    pending = may(Verb.ACTION_REASSIGN, MORGAN, holding)
    assert pending.allowed and pending.pending == (authority.Condition.OWN_AGENCY,)
    # A member's grant is not "used": they may see it anyway.
    member = Facts(**{**holding.__dict__, "member": True})
    assert may(Verb.ACTION_SHOW, MORGAN, member).grant is None


def test_a_refusal_names_who_can_once_each() -> None:
    facts = Facts(what="action #1", keyworker=KIM, owner=SAM, assigner=KIM)
    refused = may(Verb.ACTION_CANCEL, SAM, facts).refusal()
    assert refused.message == (
        "Only the keyworker (Kim Lee), a DSR chair or an admin can cancel action #1."
    )
    owner_due = may(Verb.ACTION_DUE, SAM, facts).refusal()
    assert owner_due.hint is not None and "/action update 1 NOTE --until DATE" in owner_due.hint


def test_opening_a_network_is_for_its_keyworker_or_any_while_it_has_none() -> None:
    unclaimed = Facts(what="DSR-0063", unclaimed=True)
    assert may(Verb.NETWORK_OPEN, ADE, unclaimed).via is Role.OTHER_KEYWORKER
    claimed = Facts(what="DSR-0051", keyworker=KIM)
    assert may(Verb.NETWORK_OPEN, KIM, claimed).allowed
    refused = may(Verb.NETWORK_OPEN, ADE, claimed)
    assert not refused.allowed
    assert refused.refusal().message == (
        "Only the keyworker (Kim Lee), a DSR chair or an admin can open DSR-0051's network."
    )
    assert not may(Verb.NETWORK_OPEN, SAM, unclaimed).allowed  # not a keyworker at all


def test_the_policy_says_what_a_young_persons_own_keyworker_may_change() -> None:
    theirs = Facts(what="DSR-0042", keyworker=KIM)
    assert may(Verb.DSR_RATE, KIM, theirs).allowed
    assert not may(Verb.DSR_REMOVE, KIM, theirs).allowed
    strict = Policy(register_rules=RegisterPolicy(keyworker_may=["remove"]))
    assert not may(Verb.DSR_RATE, KIM, theirs, policy=strict).allowed
    assert may(Verb.DSR_REMOVE, KIM, theirs, policy=strict).allowed
    assert may(Verb.DSR_RATE, PRIYA, theirs, policy=strict).via is Role.CHAIR
    assert not may(Verb.DSR_RATE, ADE, theirs).allowed  # another network's keyworker


def test_the_policy_chair_email_makes_a_chair() -> None:
    policy = Policy(chair_email="Sam@example.org")
    assert authority.standing(SAM, policy) == Standing(chair=True)
    assert authority.standing(SAM, Policy()) == Standing()


def test_the_help_says_who_may_for_every_sub_command() -> None:
    lines = catalogue.help_lines(catalogue.ACTION, Policy())
    [due] = [line for line in lines if line.startswith("/action due")]
    assert due.endswith("(the keyworker, whoever assigned it, a DSR chair or an admin)")
    listed = {line.verb for command in catalogue.COMMANDS for line in command.lines}
    operators = {verb for verb in Verb if verb.rule.command.startswith("teamaround ")}
    assert operators  # the command line's: in its --help and the README, not in chat
    helps = {Verb.NETWORK_HELP, Verb.ACTION_HELP, Verb.CETR_HELP}
    assert listed - {None} == set(Verb) - helps - operators
