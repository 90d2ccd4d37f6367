"""`/network` grammar."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.errors import UserError
from commands.grammar import (
    PersonRef,
    check_text,
    parse_people,
    parse_person,
    pop_options,
    read_sub,
    unquote,
)

REF_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
CLOSE_REASONS = ("stepped-down", "moved", "other")
# Each sub-command's options: the one table the grammar reads; any other
# option is refused (commands.grammar.check_options).
OPTIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"keyworker", "members"}),
    "add": frozenset({"role", "network"}),
    "close": frozenset({"reason"}),
}


class _Cmd(BaseModel):
    model_config = ConfigDict(frozen=True)


class Open(_Cmd):
    sub: Literal["open"] = "open"
    reference: str
    keyworker: PersonRef | None = None
    # People to add straight away (a Teams group chat needs two people to start).
    members: list[PersonRef] = []


class Add(_Cmd):
    sub: Literal["add"] = "add"
    people: list[PersonRef]
    role: str | None = None
    # The network by reference, when not typed in its space.
    reference: str | None = None


class Remove(_Cmd):
    sub: Literal["remove"] = "remove"
    person: PersonRef


class Keyworker(_Cmd):
    sub: Literal["keyworker"] = "keyworker"
    person: PersonRef


class Show(_Cmd):
    sub: Literal["show"] = "show"


class Close(_Cmd):
    sub: Literal["close"] = "close"
    reason: Literal["stepped-down", "moved", "other"]
    note: str


class Review(_Cmd):
    """An answer to the membership review (its Remove and Keep buttons)."""

    sub: Literal["review"] = "review"
    item: int
    answer: Literal["remove", "keep"]


class Help(_Cmd):
    sub: Literal["help"] = "help"


NetworkCommand = Open | Add | Remove | Keyworker | Show | Close | Review | Help


def parse(text: str) -> NetworkCommand:
    sub, rest = read_sub(text, command="network", options=OPTIONS)
    if sub in ("", "help"):
        return Help()
    if sub == "open":
        body, options = pop_options(rest, OPTIONS["open"])
        ref = body.strip()
        if not ref or " " in ref or not REF_SHAPE.match(ref):
            raise UserError(
                "Give the young person's register reference (letters, digits and dashes; "
                "never a name, date of birth or NHS number).",
                hint="For example: /network open DSR-0042 --keyworker @kim.lee",
            )
        keyworker = None
        if "keyworker" in options:
            keyworker = _one_person(options["keyworker"], example="--keyworker @kim.lee")
        members = []
        if "members" in options:
            members = parse_people(
                options["members"], example="/network open DSR-0042 --members @sam.patel @jo.hughes"
            )
        return Open(reference=ref.upper(), keyworker=keyworker, members=members)
    if sub == "add":
        body, options = pop_options(rest, OPTIONS["add"])
        people = parse_people(body, example='/network add @sam.patel @jo.hughes --role "SENCo"')
        role = check_text(options["role"], what="role", example="") if "role" in options else None
        reference = options.get("network", "").strip().upper() or None
        if reference is not None and not REF_SHAPE.match(reference):
            raise UserError(
                "--network takes the young person's register reference.",
                hint="For example: /network add @sam.patel --network DSR-0042",
            )
        return Add(people=people, role=role, reference=reference)
    if sub == "remove":
        return Remove(person=_one_person(rest, example="/network remove @sam.patel"))
    if sub == "keyworker":
        return Keyworker(person=_one_person(rest, example="/network keyworker @kim.lee"))
    if sub == "show":
        return Show()
    if sub == "review":
        number, _, word = rest.strip().partition(" ")
        if not number.isdigit() or word.strip().lower() not in ("remove", "keep"):
            raise UserError(
                "Answer the membership review with the question's number and remove or keep.",
                hint="Press Remove or Keep on the membership review message, "
                "or type for example: /network review 12 keep",
            )
        return Review(item=int(number), answer="remove" if "remove" in word.lower() else "keep")
    if sub == "close":
        body, options = pop_options(rest, OPTIONS["close"])
        reason_word, _, tail = options.get("reason", "").partition(" ")
        reason = reason_word.lower()
        if reason not in CLOSE_REASONS:
            raise UserError(
                "Say why the network is closing: --reason stepped-down, moved or other, "
                "and a short note.",
                hint='For example: /network close --reason stepped-down "Outcomes met; '
                'support in place via CAMHS"',
            )
        # The note may come before the option or after the reason word.
        note = check_text(
            unquote(" ".join(part for part in (body, tail) if part.strip())),
            what="closing note",
            example='/network close --reason moved "Moved to another area"',
        )
        return Close(reason=reason, note=note)
    raise UserError(f"I don't know `/network {sub}`.", hint="Try `/network help`.")


def _one_person(text: str, *, example: str) -> PersonRef:
    tokens = text.split()
    ref = parse_person(tokens[0]) if len(tokens) == 1 else None
    if ref is None:
        raise UserError(
            "Name one person, with an @mention or email.", hint=f"For example: {example}"
        )
    return ref
