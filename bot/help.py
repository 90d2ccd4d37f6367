"""Commands' help in neutral form: what each command is for and how each of
its sub-commands is typed.

The features write it once (``commands/catalogue.py``, which also says who
may run each one); the composition root hands it to what renders it outside
a chat: the Slack manifest's descriptions and usage hints, and the Teams
app's command lists. Integrations never import ``commands``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Where Teams suggests a sub-command: in shared spaces (a network's channel
# or group chat) and/or in a person's 1:1 chat with the bot.
Space = Literal["group", "personal"]

_OPTIONAL = re.compile(r"\s+(?:\[|--|\|)")


@dataclass(frozen=True)
class Usage:
    """One sub-command: ``words`` as typed after the command ("assign @owner
    WHAT by WHEN [--agency NAME]") and what it ``does``."""

    words: str
    does: str
    spaces: tuple[Space, ...] = ()

    @property
    def short(self) -> str:
        """The words without their options: "assign @owner WHAT by WHEN"."""
        return _OPTIONAL.split(self.words, maxsplit=1)[0]

    @property
    def name(self) -> str:
        """The sub-command's own word: "assign"."""
        return self.words.split()[0]


@dataclass(frozen=True)
class CommandHelp:
    name: str  # "action", without the slash
    summary: str  # one line: what the command is for
    usages: tuple[Usage, ...]

    @property
    def usage_hint(self) -> str:
        """Each sub-command's short form (its first usage's), then help:
        Slack's usage hint."""
        shorts: dict[str, str] = {}
        for usage in self.usages:
            shorts.setdefault(usage.name, usage.short)
        shorts.setdefault("help", "help")
        return " | ".join(shorts.values())

    def suggested(self, space: Space) -> list[tuple[str, str]]:
        """(title, description) of the sub-commands suggested in a space."""
        found: dict[str, str] = {}
        for usage in self.usages:
            if space in usage.spaces:
                title = f"{self.name} {usage.name}"
                found.setdefault(title, f"{self.name} {usage.words} — {usage.does}")
        return list(found.items())
