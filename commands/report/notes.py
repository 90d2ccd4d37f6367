"""The return's narrative, from a YAML file the service writes
(`teamaround report quarterly --notes FILE`; a starter file from
`teamaround report notes-template`).

Validated with pydantic; every problem is given with its line in the file.
The narrative is about the service, never about one young person: every
text is checked for NHS numbers (``bot.privacy``) and for anything shaped
like a register reference (the policy's ``register_rules.reference_pattern``).
Case stories stay outside the report: they name people.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import UserError
from bot.policy import Policy
from bot.privacy import looks_like_nhs_number

Rag = Literal["red", "amber", "green"]
RAG_LABEL: dict[str, str] = {"red": "Red", "amber": "Amber", "green": "Green"}
_RAG_WORDS = {
    "red": "red",
    "r": "red",
    "amber": "amber",
    "a": "amber",
    "green": "green",
    "g": "green",
}
TEXT_LIMIT = 2000
ITEMS_LIMIT = 20
RISKS = 3  # the return asks for the top three
FIELDS = "successes, developments, learning_and_challenges and risks"
RISK_FIELDS = "description, rag, mitigation and rag_after"
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]")

TEMPLATE = """\
# The narrative of the quarterly keyworking return, section 3 (NHS England's
# order: successes, developments, learning and challenges, the top three
# risks). Produce the report with:
#   teamaround report quarterly --quarter 2026-Q3 --notes notes.yaml
#
# About the service, never about one young person: no names, dates of birth,
# NHS numbers or register references (DSR-0042). Case stories stay outside
# the report, because they name people. Each item is one paragraph; write
# as many as you need (at most 20 a heading).

successes:
  # - Every Red young person had a named keyworker by the end of the quarter.

developments:
  # - A keyworker now sits in the weekly DSR meeting.

learning_and_challenges:
  # - Referrals from adult services arrive late; a shared checklist is agreed.

# Up to three risks: what it is, its RAG now, the mitigation, and its RAG
# once mitigated (red, amber or green).
risks:
  # - description: Two keyworker posts vacant since August
  #   rag: amber
  #   mitigation: Recruitment agreed; bank staff cover the caseload
  #   rag_after: green
"""


class Risk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1, max_length=TEXT_LIMIT)
    rag: Rag
    mitigation: str = Field(min_length=1, max_length=TEXT_LIMIT)
    rag_after: Rag

    @field_validator("rag", "rag_after", mode="before")
    @classmethod
    def _rag(cls, value: object) -> object:
        if isinstance(value, str):
            return _RAG_WORDS.get(value.strip().lower(), value)
        return value

    @field_validator("description", "mitigation", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value


Paragraph = str


class Narrative(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    successes: tuple[Paragraph, ...] = Field((), max_length=ITEMS_LIMIT)
    developments: tuple[Paragraph, ...] = Field((), max_length=ITEMS_LIMIT)
    learning_and_challenges: tuple[Paragraph, ...] = Field((), max_length=ITEMS_LIMIT)
    risks: tuple[Risk, ...] = Field((), max_length=RISKS)

    @field_validator("successes", "developments", "learning_and_challenges", "risks", mode="before")
    @classmethod
    def _nothing_is_empty(cls, value: object) -> object:
        return () if value is None else value

    @field_validator("successes", "developments", "learning_and_challenges", mode="after")
    @classmethod
    def _paragraphs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(item.split()) for item in value)
        for item in cleaned:
            if not item:
                raise ValueError("an item is empty: write something after the dash, or remove it")
            if len(item) > TEXT_LIMIT:
                raise ValueError(f"an item is over {TEXT_LIMIT} characters")
        return cleaned


# -- reading, with line numbers -----------------------------------------------------


def _node_at(root: yaml.Node, where: tuple[str | int, ...]) -> yaml.Node:
    """The YAML node at a pydantic location (as deep as the file goes)."""
    node = root
    for step in where:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            match = next((v for k, v in node.value if k.value == step), None)
            key = next((k for k, _ in node.value if k.value == step), None)
            if match is None:
                break
            node = (
                match
                if not (isinstance(match, yaml.ScalarNode) and match.value == "")
                else (key or match)
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
        else:
            break
    return node


def _place(where: tuple[str | int, ...]) -> str:
    parts = []
    for step in where:
        parts.append(f"item {step + 1}" if isinstance(step, int) else step)
    return ", ".join(parts)


def _kind(error: Any) -> str:
    kind, where = error["type"], error["loc"]
    last = where[-1] if where else ""
    if kind == "missing":
        return f"{last} is missing (a risk needs its {RISK_FIELDS})"
    if kind == "extra_forbidden":
        if len(where) > 1:
            return f"I don't know {last!r} in a risk: a risk has {RISK_FIELDS}"
        return f"I don't know {last!r}: the notes have {FIELDS}"
    if kind == "literal_error":
        return f"use red, amber or green, not {error.get('input')!r}"
    if kind == "too_long" and where and where[-1] == "risks":
        return f"the return asks for the top three risks: give at most {RISKS}"
    if kind == "too_long":
        return f"at most {ITEMS_LIMIT} items a heading" if len(where) == 1 else error["msg"]
    if kind in ("tuple_type", "list_type"):
        return "give a list: each item on its own line, starting with '- '"
    if kind == "string_type":
        return "write text here (put it in quotes if it starts with a symbol)"
    if kind in ("model_type", "dict_type"):
        return f"a risk is written with its {RISK_FIELDS}, one per line"
    if kind == "string_too_short":
        return f"{last} is empty"
    if kind == "string_too_long":
        return f"{last} is over {TEXT_LIMIT} characters"
    return str(error["msg"]).removeprefix("Value error, ")


def _refusal(source: str, problems: list[str]) -> UserError:
    listed = "\n".join(f"  {problem}" for problem in problems)
    return UserError(
        f"The notes file {source} has {len(problems)} problem{'s' if len(problems) != 1 else ''}:\n"
        f"{listed}\nNo report was written.",
        hint="A starter file, with every heading: teamaround report notes-template",
    )


def _scalars(
    node: yaml.Node, where: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], yaml.ScalarNode]]:
    """Every text in the file (not the headings), with where it is."""
    if isinstance(node, yaml.ScalarNode):
        return [(where, node)]
    found = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += _scalars(value, (*where, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            found += _scalars(item, (*where, n))
    return found


def _privacy(root: yaml.Node, policy: Policy) -> list[tuple[int, str]]:
    """Texts that name a young person: an NHS number, or a register reference."""
    pattern = re.compile(policy.register_rules.reference_pattern)
    problems = []
    for where, node in _scalars(root):
        content = str(node.value)
        line = node.start_mark.line + 1
        if looks_like_nhs_number(content):
            problems.append(
                (
                    line,
                    f"line {line} ({_place(where)}): that looks like an NHS number; the "
                    "narrative is about the service, so leave it out.",
                )
            )
        elif any(
            pattern.fullmatch(word) or pattern.fullmatch(word.upper())
            for word in _WORD.findall(content)
        ):
            problems.append(
                (
                    line,
                    f"line {line} ({_place(where)}): that names a young person's register "
                    "reference. The narrative is about the service: case stories stay outside "
                    "the report (they name people).",
                )
            )
    return problems


def read_notes(text: str, *, policy: Policy, source: str) -> Narrative:
    """The narrative in ``text`` (YAML, from the file ``source``), or one
    UserError listing every problem with its line."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise _refusal(
            source,
            [f"{where}{problem} (indent with spaces, and put a text with a colon in quotes)"],
        ) from None
    if root is None or data is None:
        return Narrative()
    if not isinstance(data, dict):
        raise _refusal(source, [f"line 1: the notes are headings ({FIELDS}), each with a list"])
    problems = _privacy(root, policy)
    notes = None
    try:
        notes = Narrative.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            at = _node_at(root, loc).start_mark.line + 1
            problems.append((at, f"line {at} ({_place(loc)}): {_kind(error)}."))
    if problems or notes is None:
        raise _refusal(source, [problem for _, problem in sorted(problems, key=lambda p: p[0])])
    return notes
