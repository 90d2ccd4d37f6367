"""`teamaround console`: type the same slash commands as in Slack or Teams.

Lines starting with ``/`` are commands. Console-only lines:
``:as EMAIL`` (act as someone else), ``:channel NAME`` (move to a space),
``:at ISO-8601`` (move the clock forward, when started with ``--at``: see
``rehearsal``), ``:help``, ``:quit``. Lines starting with ``#`` are comments
(for scripts).

A command may run over several lines, as in Slack (``/cetr rec 3`` then one
recommendation a line): a line ending in a backslash goes on to the next; and in
a script, the lines after a command that start with none of ``/ : #`` belong
to it (a blank line ends it).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.dispatcher import Dispatcher, safely
from bot.errors import UserError
from bot.invocation import Actor, Conversation, Invocation
from bot.relay import Relay
from integrations.sandbox.help import CONSOLE_HELP, prompt_for
from integrations.sandbox.rehearsal import Rehearsal
from integrations.sandbox.render import render

__all__ = ["CONSOLE_HELP", "ConsoleSession"]


class ConsoleSession:
    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        relay: Relay,
        write: Callable[[str], None],
        actor_email: str,
        channel: str = "general",
        rehearsal: Rehearsal | None = None,
        script: bool = False,
    ) -> None:
        self._dispatcher = dispatcher
        self._relay = relay
        self._write = write
        self._rehearsal = rehearsal
        self.actor_email = actor_email.strip().lower()
        self.channel = channel
        # A script (standard input that is not a terminal): each line is shown
        # after its prompt, and a command is held until the next line shows
        # whether more of it follows.
        self._script = script
        self._pending: list[str] | None = None  # a command's lines, not yet run
        self._open = False  # the last pending line ended with a backslash

    @property
    def prompt(self) -> str:
        return "... " if self._open else prompt_for(self.actor_email, self.channel)

    def _continues(self, line: str) -> bool:
        if self._pending is None:
            return False
        if self._open:
            return True
        return self._script and bool(line) and line[0] not in "/:#"

    async def run_line(self, line: str) -> bool:
        """Handle one line. Returns False when the session should end."""
        line = line.strip()
        if self._continues(line):
            assert self._pending is not None
            if self._script:
                self._write(f"... {line}")
            await self._hold(line)
            return True
        await self.finish()
        if self._script and line and not line.startswith("#"):
            self._write(f"\n{self.prompt}{line}")
        if not line or line.startswith("#"):
            return True
        if line.startswith(":at ") and self._rehearsal is not None:
            try:
                await self._rehearsal.move_to(self._rehearsal.read(line[4:]))
            except UserError as exc:
                self._write(str(exc))
            return True
        if line.startswith(":"):
            return self._meta(line)
        if not line.startswith("/"):
            self._write(
                "Commands start with a slash, for example /action help (:help for console tips)."
            )
            return True
        self._pending = []
        await self._hold(line)
        return True

    async def _hold(self, line: str) -> None:
        assert self._pending is not None
        self._open = line.endswith("\\")
        self._pending.append(line.removesuffix("\\").rstrip())
        if not self._open and not self._script:
            await self.finish()  # typed at a terminal: a line without a backslash ends it

    async def finish(self) -> None:
        """Run the command being held, if any (at the end of the input, too)."""
        if self._pending is None:
            return
        lines, self._pending, self._open = self._pending, None, False
        await self._run("\n".join(part for part in lines if part))

    async def _run(self, line: str) -> None:
        command, _, text = line[1:].partition(" ")
        invocation = Invocation(
            actor=Actor(
                platform="console", platform_user_id=self.actor_email, email=self.actor_email
            ),
            conversation=Conversation(
                platform="console", conversation_id=self.channel, name=self.channel
            ),
            command=command,
            text=text.strip(),
        )
        reply = await safely(self._dispatcher.dispatch(invocation))
        who = f"#{self.channel}" if reply.message.audience == "space" else "only you can see this"
        self._write(f"[{who}]\n{render(reply.message, indent='  ')}")
        if reply.switch_to:
            self.channel = reply.switch_to
            self._write(f"(you are now in #{self.channel})")
        await self._relay.drain()
        if self._rehearsal is not None and (waiting := await self._rehearsal.waiting_line()):
            self._write(waiting)

    def _meta(self, line: str) -> bool:
        word, _, arg = line[1:].partition(" ")
        word, arg = word.lower(), arg.strip()
        if word in ("quit", "exit", "q"):
            return False
        if word == "as" and arg:
            self.actor_email = arg.lower()
            self._write(f"(now acting as {self.actor_email})")
        elif word == "channel" and arg:
            self.channel = arg.lstrip("#")
            self._write(f"(you are now in #{self.channel})")
        else:
            self._write(CONSOLE_HELP)
        return True
