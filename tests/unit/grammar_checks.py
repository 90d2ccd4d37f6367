"""What every command grammar promises, for the property tests: any text gives
one of its commands or a refusal that says something."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from bot.errors import UserError


def sub_commands(union: Any) -> frozenset[str]:
    """The sub-commands a grammar can return, read from its command models
    (so that a new sub-command needs no list kept by hand here)."""
    return frozenset(model.model_fields["sub"].default for model in typing.get_args(union))


def command_or_kind_refusal(read: Callable[[str], Any], text: str, *, union: Any) -> None:
    try:
        command = read(text)
    except UserError as exc:
        assert str(exc).strip(), "a refusal must say something"
    else:
        assert command.sub in sub_commands(union)
