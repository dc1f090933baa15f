"""Slack configuration: the app-wide section and each community's workspace binding."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.core.settings import StrictModel


class SlackSettings(StrictModel):
    """`[slack]`: tokens from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN; HTTP or Socket Mode."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None  # set: Socket Mode; unset: HTTP mode
    host: str = "127.0.0.1"
    port: int = Field(3000, ge=1, le=65535)
    api_base_url: str = "https://slack.com/api/"


class SlackChannels(StrictModel):
    """Channel ids for each logical channel the core posts to."""

    welcome: str | None = None
    lobby: str | None = None
    applications: str | None = None
    announcements: str | None = None
    recognition: str | None = None
    digest: str | None = None


class SlackCommunity(StrictModel):
    """`[communities.slack]`: which workspace is this community, who moderates, which channels."""

    team_id: str
    moderator_users: tuple[str, ...] = ()
    lead_users: tuple[str, ...] = ()
    member_channels: tuple[str, ...] = ()
    channels: SlackChannels = SlackChannels()
