"""Load settings from TOML (tomllib), validate them, apply environment overrides.

A wrong key, a wrong type or a missing value stops start-up with one message that names the file,
the key and what was expected. Secrets come from the environment and override the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.discord.settings import DiscordCommunity, DiscordSettings
from adapters.sinks.settings import HubSpotSettings, InboundSettings, WebhookSettings
from adapters.slack.settings import SlackCommunity, SlackSettings
from bot.core.settings import CommunitySettings
from bot.core.settings_base import CHANNEL_PATTERN, StrictModel

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///townsquare.db"

# Environment variable -> (section, key). Secrets never need to live in the file.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "DISCORD_TOKEN": ("discord", "token"),
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "TOWNSQUARE_DATABASE_URL": ("database", "url"),
    "TOWNSQUARE_WEBHOOK_SECRET": ("webhook", "secret"),
    "HUBSPOT_TOKEN": ("hubspot", "token"),
    "TOWNSQUARE_INBOUND_SECRET": ("inbound", "secret"),
    # Where Slack's HTTP mode listens: the Docker image sets 0.0.0.0 (a container's loopback is
    # unreachable through a published port); outside a container the default stays 127.0.0.1.
    "TOWNSQUARE_SLACK_HOST": ("slack", "host"),
}


DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class DatabaseSettings(StrictModel):
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        example = "sqlite+aiosqlite:///townsquare.db or postgresql+asyncpg://user@host/townsquare"
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; use {example}") from None
        if url.drivername not in DRIVERS:
            raise ValueError(
                f"Townsquare runs on {' or '.join(DRIVERS)}, not {url.drivername}; use {example}"
            )
        if url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:"):
            raise ValueError("a SQLite file is needed (the data must survive a restart), e.g. " + example)
        return value


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class LoggingSettings(StrictModel):
    level: LogLevel = "INFO"
    # Platform libraries (discord, slack_bolt, slack_sdk, aiohttp, websockets, httpx) stay at WARNING
    # even at DEBUG: they log message text. Name one here to hear more, e.g. {slack_bolt = "DEBUG"}.
    libraries: dict[str, LogLevel] = {}


class OutboxSettings(StrictModel):
    max_attempts: int = Field(8, ge=1, le=100)
    base_delay_seconds: float = Field(2.0, gt=0, le=3600)
    max_delay_seconds: float = Field(900.0, gt=0, le=86_400)
    outage_after: int = Field(3, ge=1, le=100)
    probe_max_seconds: float = Field(60.0, gt=0, le=3600)
    alert_channel: str = Field("applications", pattern=r"^$|" + CHANNEL_PATTERN)

    @model_validator(mode="after")
    def _delays_in_order(self) -> OutboxSettings:
        if self.base_delay_seconds > self.max_delay_seconds:
            raise ValueError(
                f"base_delay_seconds ({self.base_delay_seconds:g}) must not exceed max_delay_seconds "
                f"({self.max_delay_seconds:g}): the first retry waits the base delay, later ones at most "
                "the max"
            )
        return self


class IngestSettings(StrictModel):
    journal_dir: str = ""  # empty: next to the SQLite file, or ./townsquare-journal with PostgreSQL


class CalendarSettings(StrictModel):
    """The HTTP server of the communities' iCalendar feeds (GET /calendar/<community id>.ics)."""

    host: str = Field("127.0.0.1", min_length=1, max_length=255)
    port: int = Field(8090, ge=0, le=65535)


class CommunityConfig(CommunitySettings):
    """A community with its platform binding (the core only sees the CommunitySettings part)."""

    discord: DiscordCommunity | None = None
    slack: SlackCommunity | None = None

    @model_validator(mode="after")
    def _binding_matches_platform(self) -> CommunityConfig:
        if self.platform == "discord" and self.discord is None:
            raise ValueError("platform = 'discord' needs a [communities.discord] section with guild_id")
        if self.platform == "slack" and self.slack is None:
            raise ValueError("platform = 'slack' needs a [communities.slack] section with team_id")
        if self.platform != "discord" and self.discord is not None:
            raise ValueError(f"a [communities.discord] section does not fit platform = {self.platform!r}")
        if self.platform != "slack" and self.slack is not None:
            raise ValueError(f"a [communities.slack] section does not fit platform = {self.platform!r}")
        return self


class Settings(StrictModel):
    """The whole configuration file."""

    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    outbox: OutboxSettings = OutboxSettings()
    ingest: IngestSettings = IngestSettings()
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    webhook: WebhookSettings | None = None
    hubspot: HubSpotSettings | None = None
    inbound: InboundSettings | None = None
    calendar: CalendarSettings | None = None  # unset: no calendar feed is served
    # Checked non-empty below, not with min_length: pydantic would also report a tuple whose only
    # entry is invalid as empty, a false second error after the real one.
    communities: tuple[CommunityConfig, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Settings:
        if not self.communities:
            raise ValueError("communities: add at least one [[communities]] table (see config.example.toml)")
        ids = [c.id for c in self.communities]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"community ids must be unique; repeated: {', '.join(dupes)}")
        guilds = [c.discord.guild_id for c in self.communities if c.discord is not None]
        shared = sorted({g for g in guilds if guilds.count(g) > 1})
        if shared:
            raise ValueError(f"a Discord guild can be one community only; repeated guild_id: {shared}")
        syncing = [c.id for c in self.communities if c.business.sync]
        if syncing and self.webhook is None and self.hubspot is None:
            raise ValueError(
                f"business.sync = true ({', '.join(syncing)}) needs a [webhook] or [hubspot] section"
            )
        if self.inbound is not None and self.inbound.community not in (None, *ids):
            raise ValueError(f"inbound.community {self.inbound.community!r} is not a community id here")
        return self

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log redaction."""
        found = [
            self.discord.token if self.discord else None,
            *((self.slack.bot_token, self.slack.signing_secret, self.slack.app_token) if self.slack else ()),
            self.webhook.secret if self.webhook else None,
            self.hubspot.token if self.hubspot else None,
            self.inbound.secret if self.inbound else None,
        ]
        return [secret.get_secret_value() for secret in found if secret is not None]

    def community(self, community_id: str) -> CommunityConfig:
        """The community with this id; KeyError names it when unknown."""
        for community in self.communities:
            if community.id == community_id:
                return community
        raise KeyError(f"no community {community_id!r} in the configuration")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and every bad key."""


def _location(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    """Render a pydantic error location as a TOML path, e.g. communities[0].gate.mode."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "tagged-")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_URL = ("database", "url")  # never echoed: it may carry a password


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against config.example.toml)"
    if kind == "missing":
        return "required value is missing"
    msg = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if "input" in error and kind not in ("model_type", "dict_type") and tuple(error["loc"]) != _URL:
        got = error["input"]
        if not isinstance(got, Mapping | list):
            return f"{msg} (got {got!r})"
    return msg


def format_validation_error(path: Path | str, exc: ValidationError, data: Mapping[str, Any]) -> str:
    """One message naming the file and, per problem, the key and what was expected."""
    lines = [f"{path}: invalid configuration"]
    for error in exc.errors():
        lines.append(f"  {path}: {_location(error['loc'], data)}: {_describe(error)}")
    return "\n".join(lines)


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Secrets and the database URL from the environment win over the file.

    A platform secret only fills a section the file has: an exported DISCORD_TOKEN does not switch
    Discord on for a configuration that has no [discord] section.
    """
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for var, (section, key) in ENV_OVERRIDES.items():
        value = environ.get(var)
        if not value or (section != "database" and section not in merged):
            continue
        target = merged.setdefault(section, {})
        if isinstance(target, dict):
            target[key] = value
    return merged


def load_settings(path: Path | str, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate a TOML configuration file; ConfigError on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such configuration file (copy config.example.toml to start)") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    data = apply_env_overrides(data, os.environ if environ is None else environ)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, data)) from None
