"""What `townsquare run` would refuse or could not serve, found without connecting: `check-config`
reports it with the file and key, so a configuration that passes the check also starts.

Field-level rules live on the settings models (bot.config); these span sections: a community on a
platform whose section is missing, or a community nobody could moderate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

APPLICATION_MODES = ("application", "referral_or_application")


def deployment_problems(settings: Any, path: Path | str) -> tuple[list[str], list[str]]:
    """(errors, notes): errors stop `run` or leave a community unmanageable; notes name secrets that
    are not set here (often they are only exported on the server)."""
    errors: list[str] = []
    notes: list[str] = []
    platforms = {c.platform for c in settings.communities}
    for platform, variable in (("discord", "DISCORD_TOKEN"), ("slack", "SLACK_BOT_TOKEN")):
        section = getattr(settings, platform)
        if platform in platforms and section is None:
            errors.append(
                f"{path}: [{platform}]: communities with platform = '{platform}' need a [{platform}] section "
                f"(the token comes from {variable}); add one, see config.example.toml"
            )
        elif platform in platforms and not _secret(
            section, "token" if platform == "discord" else "bot_token"
        ):
            notes.append(f"{path}: note: {variable} is not set here; `townsquare run` needs it exported")
    if settings.slack is not None and "slack" in platforms and settings.slack.app_token is None:
        if not _secret(settings.slack, "signing_secret"):
            notes.append(
                f"{path}: note: SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is not set "
                "here; `townsquare run` needs one exported"
            )
    for index, community in enumerate(settings.communities):
        errors += _moderation(community, f"{path}: communities[{index}]")
    return errors, notes


def _secret(section: Any, key: str) -> bool:
    value = getattr(section, key, None)
    return value is not None and bool(value.get_secret_value().strip())


def _moderation(community: Any, where: str) -> list[str]:
    """A community with no moderator or lead: nobody could decide an application or run /admit."""
    applications = community.gate.mode in APPLICATION_MODES or community.gate.switch_to_application_on
    if community.platform == "discord" and community.discord is not None:
        roles = community.discord.roles
        problems = []
        if not (roles.moderators or roles.moderator_users or roles.leads or roles.lead_users):
            problems.append(
                f"{where}.discord.roles: no moderator or lead is configured, so nobody could decide an "
                "application or use the moderator commands; set moderators (role ids) or moderator_users"
            )
        if applications and community.discord.channels.applications is None:
            problems.append(
                f"{where}.discord.channels.applications: gate.mode = '{community.gate.mode}' posts every "
                "application there for moderators to decide; set the channel id"
            )
        return problems
    if community.platform == "slack" and community.slack is not None:
        slack = community.slack
        if not (slack.moderator_users or slack.moderator_groups or slack.lead_users or slack.lead_groups):
            return [
                f"{where}.slack: no moderator or lead is configured, so nobody could decide an application "
                "or use the moderator commands; set moderator_users or moderator_groups"
            ]
    return []
