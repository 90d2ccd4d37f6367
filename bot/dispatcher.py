"""Routes a neutral invocation to its feature's handler."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.errors import ConnectionLost, NeedsIdentity, UserError
from bot.invocation import Invocation, Reply
from bot.messages import Message, Section, plain
from bot.metrics import Metrics
from bot.privacy import refuse_identifiers

log = logging.getLogger("teamaround")

Handler = Callable[[Invocation], Awaitable[Reply]]
MAX_COMMAND_TEXT = 4000


class Dispatcher:
    def __init__(self, handlers: Mapping[str, Handler], *, metrics: Metrics | None = None) -> None:
        self._handlers = dict(handlers)
        self._metrics = metrics

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    async def dispatch(self, invocation: Invocation) -> Reply:
        """Run a command. Raises UserError for expected refusals; see ``safely``."""
        if self._metrics is None:
            return await self._dispatch(invocation)
        name = invocation.command.lstrip("/").lower()
        # Labels from a closed set only: never what was typed.
        command = name if name in self._handlers else "unknown"
        platform = invocation.actor.platform
        began = time.perf_counter()
        result = "error"
        try:
            reply = await self._dispatch(invocation)
            result = "ok"
            return reply
        except NeedsIdentity:
            result = "identify"  # looked up once and run again: counted again
            raise
        except UserError:
            result = "refused"
            raise
        finally:
            self._metrics.commands.labels(platform, command, result).observe(
                time.perf_counter() - began
            )

    async def _dispatch(self, invocation: Invocation) -> Reply:
        name = invocation.command.lstrip("/").lower()
        handler = self._handlers.get(name)
        if handler is None:
            known = ", ".join(f"/{c}" for c in self._handlers)
            raise UserError(f"I don't know the command /{name}.", hint=f"Try one of: {known}.")
        if len(invocation.text) > MAX_COMMAND_TEXT:
            raise UserError(
                f"That command is {len(invocation.text):,} characters long; please keep it "
                "short and put the detail in the case record.",
            )
        refuse_identifiers(invocation.text)
        try:
            return await handler(invocation)
        except ConnectionLost:
            log.warning("database connection lost during /%s; running it once more", name)
            return await handler(invocation)


def error_message(error: UserError) -> Message:
    text = error.message if not error.hint else f"{error.message}\n{error.hint}"
    return Message(text=text, blocks=(Section(text=text),), tone="error")


def new_reference() -> str:
    """A short reference an operator can grep for in the logs."""
    return "TA-" + secrets.token_hex(3).upper()


def unexpected_message(reference: str) -> Message:
    return plain(
        "Sorry, something went wrong on our side and nothing was changed. "
        f"If it keeps happening, give your administrator this reference: {reference}.",
        tone="error",
    )


async def safely(call: Awaitable[Reply]) -> Reply:
    """The error boundary shared by the platforms' adapters: known errors
    become kind replies; anything else is logged with a reference."""
    try:
        return await call
    except UserError as exc:
        return Reply(message=error_message(exc))
    except Exception:
        reference = new_reference()
        log.exception("unexpected error, reference %s", reference, extra={"reference": reference})
        return Reply(message=unexpected_message(reference))


EmailLookup = Callable[[str], Awaitable[str | None]]


async def run_with_identity(
    dispatcher: Dispatcher, invocation: Invocation, *, email_of: EmailLookup, platform: str
) -> Reply:
    """Dispatch inside the error boundary (``safely``), asking the platform once
    for the email of anyone the directory doesn't know by platform id yet."""
    return await safely(
        _with_identity(dispatcher, invocation, email_of=email_of, platform=platform)
    )


async def _with_identity(
    dispatcher: Dispatcher, invocation: Invocation, *, email_of: EmailLookup, platform: str
) -> Reply:
    try:
        return await dispatcher.dispatch(invocation)
    except NeedsIdentity as exc:
        emails = dict(invocation.known_emails)
        for user_id in exc.platform_user_ids:
            email = await email_of(user_id)
            if email:
                emails[user_id] = email
    retry = invocation.model_copy(update={"known_emails": emails})
    actor = retry.actor
    if actor.platform_user_id in emails:
        actor = actor.model_copy(update={"email": emails[actor.platform_user_id]})
        retry = retry.model_copy(update={"actor": actor})
    try:
        return await dispatcher.dispatch(retry)
    except NeedsIdentity as exc:
        raise UserError(
            exc.message,
            hint="Ask an administrator to add them to the Teamaround directory with "
            f"the email address they use in {platform}.",
        ) from exc
