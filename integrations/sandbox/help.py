"""The console's help and prompt: nothing to import, so that `teamaround
console` can show its prompt before the rest of Teamaround has loaded."""

from __future__ import annotations

CONSOLE_HELP = """\
Type a slash command, for example:
  /network open DSR-0042
  /action assign @sam.patel Send the EHCP draft by Friday
  /action help
Console-only:
  :as EMAIL       act as another person from the directory
  :channel NAME   move to another space (the network spaces are named yp-…)
  :at ISO-8601    move the clock forward (started with --at): the jobs and
                  deliveries in between happen at their times
  :quit           leave (Ctrl-D works too)
End a line with \\ to carry a command on to the next line, for example:
  /cetr rec 3 \\
  @sam.patel | Review the medication plan | 18/12"""


def prompt_for(email: str, channel: str) -> str:
    return f"{email.strip().lower()} #{channel}> "
