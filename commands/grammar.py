"""The shared command grammar: sub-commands, options, people, references.

Parsing never raises anything but :class:`bot.errors.UserError`; every error
says what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import UserError

MAX_TEXT = 500

# A platform mention: Slack's ``<@U123>``, or a Teams user's Entra object id
# (the Teams adapter writes a person's @mention that way).
_PLATFORM_USER = re.compile(
    r"^<@([UW][A-Z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?:\|[^>]*)?>$"
)
_SLACK_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_HANDLE = re.compile(r"^@([A-Za-z0-9._'-]{1,64})$")
_OPTION = re.compile(r"(?:^|\s)--([a-z][a-z-]*)(?=\s|$)")


@dataclass(frozen=True)
class PersonRef:
    """Someone named in a command: a platform mention, an email or a handle."""

    kind: Literal["platform", "email", "handle"]
    value: str
    typed: str


def parse_person(token: str) -> PersonRef | None:
    token = token.strip().strip(",;")
    if m := _PLATFORM_USER.match(token):
        return PersonRef("platform", m.group(1), token)
    if m := _SLACK_MAILTO.match(token):
        return PersonRef("email", m.group(1).lower(), token)
    bare = token[1:] if token.startswith("@") else token
    if _EMAIL.match(bare):
        return PersonRef("email", bare.lower(), token)
    if m := _HANDLE.match(token):
        return PersonRef("handle", m.group(1).lower(), token)
    return None


@dataclass
class Parsed:
    """A command line split into its sub-command, words and options."""

    sub: str
    rest: str
    options: dict[str, str] = field(default_factory=dict)


def split_sub(text: str) -> tuple[str, str]:
    text = text.strip()
    if not text:
        return "", ""
    head, _, rest = text.partition(" ")
    return head.lower(), rest.strip()


_GROUPING_QUOTES = {'"': '"', "“": "”"}


def pop_options(text: str, allowed: set[str]) -> tuple[str, dict[str, str]]:
    """Take ``--name value`` options off a line; the rest is the body.

    Options may appear anywhere. A value in double quotes ends at the closing
    quote (words after it belong to the body again); an unquoted value runs
    to the next option or the end of the line.
    """
    matches = list(_OPTION.finditer(text))
    if not matches:
        return text.strip(), {}
    options: dict[str, str] = {}
    body = [text[: matches[0].start()]]
    for i, match in enumerate(matches):
        name = match.group(1)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        segment = text[match.end() : end].strip()
        value = unquote(segment)
        if segment and segment[0] in _GROUPING_QUOTES:
            close = segment.find(_GROUPING_QUOTES[segment[0]], 1)
            if close != -1:
                value = segment[1:close].strip()
                body.append(segment[close + 1 :])
        if name not in allowed:
            known = ", ".join(f"--{a}" for a in sorted(allowed)) or "none"
            raise UserError(f"I don't know the option --{name}. Options here: {known}.")
        if name in options:
            raise UserError(f"--{name} is given twice; give it once.")
        options[name] = value
    return " ".join(part.strip() for part in body if part.strip()), options


def unquote(value: str) -> str:
    value = value.strip()
    for open_q, close_q in (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’")):
        if len(value) >= 2 and value.startswith(open_q) and value.endswith(close_q):
            return value[1:-1].strip()
    return value


def first_word(text: str) -> tuple[str, str]:
    text = text.strip()
    head, _, rest = text.partition(" ")
    return head, rest.strip()


def parse_id(token: str, *, what: str, example: str) -> int:
    cleaned = token.strip().lstrip("#")
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 9:
        shown = token if token else "nothing"
        raise UserError(
            f"I need the {what} number, but got {shown!r}.", hint=f"For example: {example}"
        )
    return int(cleaned)


def check_text(text: str, *, what: str, example: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    if not text:
        raise UserError(f"Please say what the {what} is.", hint=f"For example: {example}")
    if len(text) > limit:
        raise UserError(
            f"That {what} is {len(text):,} characters; please keep it under {limit} "
            "and put the detail in the case record.",
        )
    return text


def parse_people(text: str, *, example: str) -> list[PersonRef]:
    refs: list[PersonRef] = []
    for token in text.replace(",", " ").split():
        ref = parse_person(token)
        if ref is None:
            raise UserError(
                f"I couldn't tell who {token!r} is. Name people with @mentions or email addresses.",
                hint=f"For example: {example}",
            )
        refs.append(ref)
    if not refs:
        raise UserError("Please name at least one person.", hint=f"For example: {example}")
    return refs
