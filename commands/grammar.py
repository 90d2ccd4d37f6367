"""The shared command grammar: sub-commands, options, people, references.

Parsing never raises anything but :class:`bot.errors.UserError`; every error
says what to type instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
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
# An option: --name after a space (an em or en dash too: phones and Macs turn
# "--" into one). A double-quoted span is text, so options in it are not options.
_OPTION = re.compile(r"(?:^|\s)(?:--|[\u2014\u2013])([A-Za-z][A-Za-z-]*)(?=\s|$)")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


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


def split_outside_mentions(text: str, separator: str = "|") -> list[str]:
    """Split on ``separator`` except inside ``<…>``: Slack writes a mention as
    ``<@U123|jo.hughes>`` (and a link as ``<url|label>``), whose bar divides
    nothing."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "<":
            depth += 1
        elif char == ">" and depth:
            depth -= 1
        if char == separator and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def split_sub(text: str) -> tuple[str, str]:
    text = text.strip()
    if not text:
        return "", ""
    head, _, rest = text.partition(" ")
    return head.lower(), rest.strip()


def _options_in(text: str) -> list[re.Match[str]]:
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
    return [m for m in _OPTION.finditer(text) if not any(a <= m.start(1) < b for a, b in quoted)]


def check_options(
    rest: str, *, command: str, sub: str, options: Mapping[str, Collection[str]]
) -> str:
    """Refuse any option ``sub`` does not take, before anything reads the line,
    so that an unknown option is never kept as part of a text (``/dsr rate REF
    amber "why" --on 01/10`` must not store "--on 01/10" in the rationale).
    Returns ``rest`` with each option spelt ``--name`` (lower case, two hyphens).

    ``options`` is the grammar's one table of each sub-command's options and
    flags; a sub-command missing from it takes none.
    """
    known = options.get(sub, ())
    spelt, last = [], 0
    for match in _options_in(rest):
        name = match.group(1).lower()
        if name not in known:
            elsewhere = [f"`/{command} {o}`" for o, names in options.items() if name in names]
            where = f" It is an option of {' and '.join(elsewhere)}." if elsewhere else ""
            listed = ", ".join(f"--{n}" for n in sorted(known))
            raise UserError(
                f"I don't know the option --{name} for `/{command} {sub}`.{where}",
                hint=f"Options of /{command} {sub}: {listed}."
                if listed
                else f"/{command} {sub} takes no options (see /{command} help).",
            )
        spelt += [rest[last : match.start(1)].rstrip("-\u2014\u2013"), "--", name]
        last = match.end(1)
    return "".join([*spelt, rest[last:]])


def read_sub(
    text: str,
    *,
    command: str,
    options: Mapping[str, Collection[str]],
    aliases: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The sub-command (as typed, lower case) and the rest of the line, once
    :func:`check_options` has passed the rest."""
    sub, rest = split_sub(text)
    canonical = (aliases or {}).get(sub, sub)
    return sub, check_options(rest, command=command, sub=canonical, options=options)


_GROUPING_QUOTES = {'"': '"', "“": "”"}


def pop_options(text: str, allowed: Collection[str]) -> tuple[str, dict[str, str]]:
    """Take ``--name value`` options off a line; the rest is the body.

    Options may appear anywhere. A value in double quotes ends at the closing
    quote (words after it belong to the body again); an unquoted value runs
    to the next option or the end of the line.
    """
    matches = _options_in(text)
    if not matches:
        return text.strip(), {}
    options: dict[str, str] = {}
    body = [text[: matches[0].start()]]
    for i, match in enumerate(matches):
        name = match.group(1).lower()
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
