"""Logging set-up with secrets redacted from every record, whichever logger made it.

Redaction happens in the log record factory, before any handler (ours, a library's, pytest's)
sees the record: the message, its arguments and any exception text are scrubbed of the
configured secret values and of anything shaped like a Discord or Slack token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

REDACTED = "[redacted]"

TOKEN_PATTERNS = [
    re.compile(r"\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}\b"),  # Discord bot token
    re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{6,}"),  # Slack bot/user tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),  # Slack app-level token
    re.compile(r"(?i)\b(authorization['\"]?\s*[:=]\s*['\"]?(?:bot|bearer)\s+)[^\s'\",}]+"),
]

_secrets: set[str] = set()
_installed = False


def add_secrets(values: Iterable[str | None]) -> None:
    """Redact these exact values wherever they appear (config secrets: the signing secret…)."""
    for value in values:
        if value and len(value) >= 6:
            _secrets.add(value)


def redact(text: str) -> str:
    """Scrub known secrets and token shapes from a string."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + REDACTED, text)
    return text


def _install_record_factory() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class _ConsoleHandler(logging.StreamHandler[TextIO]):
    """The handler setup_logging installs, recognised so calling it again adds no second one."""


# Platform libraries log whole payloads (Socket Mode envelopes, gateway events: message text, user ids)
# at DEBUG: they stay at WARNING whatever the level, unless a library is asked for by name.
PLATFORM_LIBRARIES = ("discord", "slack_bolt", "slack_sdk", "aiohttp", "websockets", "httpx")
# Libraries that narrate routine work at INFO: only their warnings, unless DEBUG was asked for.
CHATTY_LIBRARIES = ("aiosqlite", "sqlalchemy.engine", "apscheduler", "alembic")


def setup_logging(
    level: str = "INFO", secrets: Iterable[str | None] = (), libraries: Mapping[str, str] | None = None
) -> None:
    """One line per record on stderr, secrets redacted everywhere; platform libraries at WARNING
    unless `libraries` names them (logger name -> level, e.g. {"slack_bolt": "DEBUG"})."""
    add_secrets(secrets)
    _install_record_factory()
    root = logging.getLogger()
    if not any(isinstance(h, _ConsoleHandler) for h in root.handlers):
        handler = _ConsoleHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in CHATTY_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
    for library in PLATFORM_LIBRARIES:
        logging.getLogger(library).setLevel(logging.WARNING)
    for name, wanted in (libraries or {}).items():
        logging.getLogger(name).setLevel(wanted.upper())


# Redaction is on from import: even code that logs before setup_logging() is scrubbed.
_install_record_factory()
