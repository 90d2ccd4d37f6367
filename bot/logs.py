"""Logging an operator can ship: plain lines or one JSON object per line.

``TEAMAROUND_LOG_FORMAT=json`` gives ``{"time", "level", "logger", "message",
"request_id", "reference", ...}`` per line. Either way, what reaches the log
at the default level can hold no token, signing secret or text that people
typed:

- every line passes ``Redact``: the configured secrets, and anything shaped
  like a Slack token, a bearer token or a JWT, become ``[redacted]``;
- an exception is logged by its type and where it happened (file, line,
  function), never by its message, which may quote a value (a database
  error's failing row, a validation error's input) — except for the network
  and timeout errors whose messages name only hosts and ports;
- libraries log from WARNING, and slack_bolt from ERROR: its warnings quote
  whole request bodies ("Unhandled request ({body})");
- the HTTP access line is ours (``access``): method, route template (never
  the path, which may hold a token, nor a query string), status and time.

The request id comes from ``request_id`` (set by the server per request).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "teamaround_request_id", default=None
)

REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"xox[abposer]-[A-Za-z0-9-]+"  # Slack bot, user and config tokens
    r"|xapp-[A-Za-z0-9-]+"  # Slack app-level token (Socket Mode)
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"  # an Authorization header's value
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"  # a JWT
    r"|ta1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"  # an emailed one-action link (bot.links)
)
# Messages that carry no data of ours: where a connection failed, a timeout.
_SAFE_MESSAGES: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)
# Our loggers, and uvicorn's lifecycle lines, log at the configured level;
# any other library from WARNING, and slack_bolt (which quotes payloads in its
# warnings) from ERROR, whatever level the library set on its own loggers.
_OURS = ("teamaround", "bot", "commands", "integrations", "store", "uvicorn.error")
_FLOORS = {"slack_bolt": logging.ERROR}
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
}


class Redact(logging.Filter):
    """Replace secrets in a record's message (and its arguments) before any
    handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


class LibraryFloor(logging.Filter):
    """Drop library records below their floor (see ``_FLOORS``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if name == "root" or any(name == o or name.startswith(o + ".") for o in _OURS):
            return True
        top = name.split(".", 1)[0]
        return record.levelno >= _FLOORS.get(top, logging.WARNING)


def exception_summary(exc_info: Any) -> dict[str, Any] | None:
    """The type of an exception and where it was raised, without its message
    (unless it is a connection or timeout error)."""
    if not exc_info or exc_info is True:
        return None
    exc_type, exc, tb = exc_info
    if exc_type is None:
        return None
    summary: dict[str, Any] = {"type": exc_type.__name__, "frames": _frames(tb)}
    if isinstance(exc, _SAFE_MESSAGES):
        summary["message"] = str(exc)
    cause = exc.__cause__ or exc.__context__ if exc is not None else None
    if cause is not None:
        summary["cause"] = exception_summary((type(cause), cause, cause.__traceback__))
    return summary


def _frames(tb: TracebackType | None) -> list[str]:
    return [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)][-12:]


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            data["request_id"] = rid
        data.update(_extras(record))
        error = exception_summary(record.exc_info)
        if error is not None:
            data["error"] = error
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format, with exceptions summarised as in JSON (no messages)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        rid = request_id.get()
        if rid:
            line += f" [request {rid}]"
        error = exception_summary(record.exc_info)
        while error is not None:
            line += f"\n  {error['type']}" + (f": {error['message']}" if "message" in error else "")
            line += "".join(f"\n    at {frame}" for frame in error["frames"])
            error = error.get("cause")
        return line


def setup(*, fmt: str = "text", level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once for a process (replacing any handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(LibraryFloor())
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own handlers would bypass ours; its access line is replaced by ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
