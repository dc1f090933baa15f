"""Secrets never reach a log record, whichever logger writes it and at whatever level."""

from __future__ import annotations

import logging

import pytest

from bot.logs import add_secrets, redact, setup_logging

DISCORD_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv"
SLACK_APP = "xapp-1-A0123-456789-abcdef0123456789"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_token_shapes_are_redacted() -> None:
    for secret in (DISCORD_TOKEN, SLACK_BOT, SLACK_APP):
        assert secret not in redact(f"token={secret} rest")
    assert "[redacted]" in redact("Authorization: Bot abc.def.ghi-jkl_mnopqrstuvwxyz")


def test_secret_planted_in_an_exception_never_reaches_a_captured_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_logging("DEBUG", [SIGNING_SECRET])
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(f"handshake failed with {DISCORD_TOKEN} / {SIGNING_SECRET}")
    except RuntimeError:
        logging.getLogger("discord.http").debug("request with %s failed", SLACK_BOT, exc_info=True)
        logging.getLogger("slack_bolt.App").exception("bolt saw %s", SLACK_APP)
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "handshake failed" in text  # the record is kept, only the secrets go
    for secret in (DISCORD_TOKEN, SLACK_BOT, SLACK_APP, SIGNING_SECRET):
        assert secret not in text


def test_configured_secret_values_are_redacted_exactly() -> None:
    add_secrets(["not-a-token-shape-but-secret"])
    assert redact("x not-a-token-shape-but-secret y") == "x [redacted] y"
