"""Errors that reach people.

A :class:`UserError` is an expected refusal: bad input, a missing permission,
an unknown person. Its message is shown as typed, must be kind, must say what
to do instead, and the command that raised it changes nothing (the unit of
work is rolled back). Anything else is unexpected: the platform boundary logs
it with a short reference and shows only that reference.
"""

from __future__ import annotations


class UserError(Exception):
    """An expected refusal whose message is safe and helpful to show."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class NotFound(UserError):
    """Something the person named does not exist (or they may not see it)."""


class PermissionDenied(UserError):
    """The person may not do this; the message says who can."""


class ConfigError(Exception):
    """Settings or a policy file are invalid; the message names the field."""


class NeedsIdentity(UserError):
    """A platform user (the caller or someone mentioned) is not linked to the
    directory yet. The platform adapter looks their email up once and runs the
    command again with it; nothing was changed by the first attempt."""

    def __init__(
        self, platform_user_ids: tuple[str, ...], message: str, *, hint: str | None = None
    ):
        super().__init__(message, hint=hint)
        self.platform_user_ids = platform_user_ids


class ConnectionLost(Exception):
    """The database connection dropped (a restart, a failover, an idle
    timeout). The unit of work was rolled back, or its commit was lost with
    the connection; the dispatcher runs the command once more, and inbound
    de-duplication keeps a command that did commit from running twice."""
