"""Console renderer: the neutral message model as readable terminal text.

Pure. Text typed by people is shown as typed, with control characters
removed so that nothing can rewrite the operator's terminal.
"""

from __future__ import annotations

import re

from bot.messages import (
    Actions,
    BulletList,
    Context,
    Divider,
    Facts,
    Header,
    Message,
    Section,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def render(message: Message, *, indent: str = "") -> str:
    mentioned = " ".join(f"@{clean(email)}" for email in message.mentions)
    if not message.blocks:
        text = f"{mentioned} {message.text}" if mentioned else message.text
        plain_lines = clean(text).splitlines() + _attachments(message)
        return "\n".join(indent + line for line in plain_lines)
    lines: list[str] = [mentioned] if mentioned else []
    for block in message.blocks:
        if isinstance(block, Header):
            lines.append(f"*{clean(block.text)}*")
        elif isinstance(block, Section):
            lines.extend(clean(block.text).splitlines() or [""])
        elif isinstance(block, Facts):
            width = max(len(f.label) for f in block.facts) if block.facts else 0
            lines.extend(
                f"  {clean(f.label) + ':':<{width + 1}} {clean(f.value)}" for f in block.facts
            )
        elif isinstance(block, BulletList):
            lines.extend(f"  • {clean(item)}" for item in block.items)
        elif isinstance(block, Actions):
            lines.append("  " + " ".join(f"[{clean(b.label)}]" for b in block.buttons))
        elif isinstance(block, Context):
            lines.append(f"  ({clean(block.text)})")
        elif isinstance(block, Divider):
            lines.append("  ---")
    lines.extend(_attachments(message))
    return "\n".join(indent + line for line in lines)


def _attachments(message: Message) -> list[str]:
    """Files sent with the message, by name (the console can't show them)."""
    return [
        f"  [attached: {clean(a.filename)}, {_size(len(a.content_b64) * 3 // 4)}]"
        for a in message.attachments
    ]


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.0f} KB"
