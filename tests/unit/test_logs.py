"""Logs hold no secret and no typed text: the filter and the formatters."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs

SECRET = "s3cr3t-signing-value"
TYPED = "Gerbil-ukulele-canary"


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.LibraryFloor())
    handler.addFilter(logs.Redact([SECRET]))
    logger = logging.getLogger()
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream, handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


def test_json_lines_carry_the_request_id_and_reference_but_no_secret_or_exception_text(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    stream, handler = captured
    handler.setFormatter(logs.JsonFormatter())
    token = logs.request_id.set("abc123")
    try:
        try:
            raise ValueError(f"input_value='{TYPED}'")
        except ValueError:
            logging.getLogger("teamaround").exception(
                "unexpected error, reference %s", "TA-1A2B3C", extra={"reference": "TA-1A2B3C"}
            )
        logging.getLogger("teamaround").warning(
            "posting with %s and xoxb-1111-2222-abcdef and Bearer eyJhbGciOi.eyJzdWIiOiIx.c2ln",
            SECRET,
        )
    finally:
        logs.request_id.reset(token)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "unexpected error, reference TA-1A2B3C"
    assert first["reference"] == "TA-1A2B3C" and first["request_id"] == "abc123"
    assert first["error"]["type"] == "ValueError" and "message" not in first["error"]
    assert first["error"]["frames"][-1].endswith(
        "in test_json_lines_carry_the_request_id_and_reference_but_no_secret_or_exception_text"
    )
    assert second["message"] == "posting with [redacted] and [redacted] and [redacted]"
    assert TYPED not in stream.getvalue() and SECRET not in stream.getvalue()


def test_text_lines_summarise_exceptions_and_keep_connection_errors(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    stream, handler = captured
    handler.setFormatter(logs.TextFormatter())
    try:
        try:
            raise ConnectionRefusedError("connect to 127.0.0.1:5432 refused")
        except ConnectionRefusedError as exc:
            raise RuntimeError(TYPED) from exc
    except RuntimeError:
        logging.getLogger("teamaround").exception("database unreachable")
    out = stream.getvalue()
    assert "RuntimeError\n" in out and TYPED not in out
    assert "ConnectionRefusedError: connect to 127.0.0.1:5432 refused" in out


def test_library_warnings_that_quote_payloads_are_dropped(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    stream, handler = captured
    handler.setFormatter(logs.TextFormatter())
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    bolt.setLevel(logging.DEBUG)  # as bolt does to its own loggers
    bolt.warning("Unhandled request ({'text': '%s'})", TYPED)
    logging.getLogger("slack_sdk.web.base_client").info(
        "Received the following response: %s", TYPED
    )
    logging.getLogger("aiohttp.client").warning("a library warning")
    logging.getLogger("teamaround.slack").info("ours")
    out = stream.getvalue()
    assert TYPED not in out
    assert "a library warning" in out and "ours" in out
