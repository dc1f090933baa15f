"""Slack configuration: the app-wide section and each community's workspace binding."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from bot.core.settings_base import StrictModel

SLACK_COMMAND_RE = r"^[a-z0-9][a-z0-9_-]{0,30}$"  # Slack: at most 32 characters with the slash


class SlackSettings(StrictModel):
    """`[slack]`: tokens from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN; HTTP or Socket Mode."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None  # set: Socket Mode; unset: HTTP mode
    host: str = "127.0.0.1"
    port: int = Field(3000, ge=1, le=65535)
    api_base_url: str = "https://slack.com/api/"
    rate_limit_retries: int = Field(2, ge=0, le=10)  # Web API 429s retried after Retry-After, per call
    # Registry command -> Slack slash command name. Slack reserves some names (/join, /leave, …) for
    # itself; those get "-community" appended unless renamed here.
    command_names: dict[str, str] = Field(default_factory=dict)

    @field_validator("api_base_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"an http(s) URL such as 'https://slack.com/api/', not {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("command_names")
    @classmethod
    def _valid_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, slack_name in value.items():
            bare = slack_name.removeprefix("/")
            if not re.match(SLACK_COMMAND_RE, bare):
                raise ValueError(
                    f"{name} = {slack_name!r}: Slack command names are 1-31 lowercase letters, digits, - or _"
                )
        return {name: slack_name.removeprefix("/") for name, slack_name in value.items()}


class SlackChannels(StrictModel):
    """Channel ids for each logical channel the core posts to."""

    welcome: str | None = None
    lobby: str | None = None
    applications: str | None = None
    announcements: str | None = None
    recognition: str | None = None
    digest: str | None = None
    ideas: str | None = None


class SlackCommunity(StrictModel):
    """`[communities.slack]`: which workspace is this community, who moderates, which channels."""

    team_id: str
    moderator_users: tuple[str, ...] = ()
    lead_users: tuple[str, ...] = ()
    # User groups (S…) whose members moderate / lead, read with usergroups.users.list at start.
    moderator_groups: tuple[str, ...] = ()
    lead_groups: tuple[str, ...] = ()
    # Advocacy tier key -> user group (S…) its members are added to and removed from (usergroups:write).
    usergroups: dict[str, str] = Field(default_factory=dict)
    member_channels: tuple[str, ...] = ()
    channels: SlackChannels = SlackChannels()
