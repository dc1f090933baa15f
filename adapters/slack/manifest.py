"""The Slack app manifest, generated from the registry so it never drifts from the code.

`townsquare slack-manifest --url https://bot.example.org/slack/events` prints it; a lead pastes it at
https://api.slack.com/apps → Create New App → From a manifest. `adapters/slack/manifest.json` is the
same manifest with a placeholder URL (a test keeps it current).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.slack.commands import CommandNames, SlackCommand, usage
from bot.core.registry import OptionType, Registry, SlashCommand

MANIFEST_PATH = Path(__file__).with_name("manifest.json")
PLACEHOLDER_URL = "https://townsquare.example.org/slack/events"

BOT_SCOPES = (
    "channels:history",  # message.channels events: who posted where (the text is dropped on arrival)
    "channels:manage",  # invite admitted members into public member channels, remove them
    "channels:read",  # member_joined_channel in public channels (the lobby); conversations.members
    "chat:write",  # post, update and ephemeral messages
    "commands",  # slash commands and the message shortcut
    "files:write",  # the digest chart
    "groups:history",  # message.groups events (metadata only)
    "groups:read",  # member_joined_channel in private channels, their members at start, cohort channels
    "groups:write",  # cohort channels are private: create them, invite, set their topic
    "im:write",  # direct messages to members
    "reactions:read",  # reaction_added
    "usergroups:read",  # moderators and leads named by user group (usergroups.users.list)
    "usergroups:write",  # advocacy tiers as user groups (usergroups.users.update)
    "users:read",  # team_join; names and bots among the existing members adopted at start
)
BOT_EVENTS = (
    "app_uninstalled",
    "member_joined_channel",
    "message.channels",
    "message.groups",
    "reaction_added",
    "subteam_members_changed",
    "team_join",
    "tokens_revoked",
)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_manifest(
    registry: Registry,
    names: CommandNames | None = None,
    *,
    url: str | None = PLACEHOLDER_URL,
    app_name: str = "Townsquare",
) -> dict[str, Any]:
    """The manifest for HTTP mode at `url`, or for Socket Mode when `url` is None."""
    names = names or CommandNames(registry)
    commands = []
    for slack_name, entry in sorted(names.commands.items()):
        variants = _variants(entry)
        command: dict[str, Any] = {
            "command": f"/{slack_name}",
            "description": _cut(entry.description, 2000),
            # Escaped, an @mention arrives as <@U123|ann>: the user id a member option needs.
            "should_escape": any(o.type is OptionType.MEMBER for _, cmd in variants for o in cmd.options),
        }
        hint = " | ".join(filter(None, (usage(word, cmd).strip() for word, cmd in variants)))
        if hint:
            command["usage_hint"] = _cut(hint, 1000)
        if url:
            command["url"] = url
        commands.append(command)
    shortcuts = [
        {
            "name": _cut(action.name, 24),
            "type": "message",
            "callback_id": action.key,
            "description": _cut(action.name, 150),
        }
        for action in sorted(registry.message_actions.values(), key=lambda a: a.key)
    ]
    features: dict[str, Any] = {
        "app_home": {
            "home_tab_enabled": False,
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": True,
        },
        "bot_user": {"display_name": "townsquare", "always_online": True},
        "slash_commands": commands,
    }
    if shortcuts:
        features["shortcuts"] = shortcuts[:10]
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if url:
        events["request_url"] = url
        interactivity["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": _cut(app_name, 35),
            "description": "Community operations: gates, cohorts, programming, badges and health metrics.",
            "background_color": "#2c3e50",
        },
        "features": features,
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": url is None,
            "token_rotation_enabled": False,
        },
    }


def _variants(entry: SlackCommand) -> list[tuple[str, SlashCommand]]:
    """("", the plain command) and (word, subcommand) pairs of one Slack command."""
    plain = [("", entry.plain)] if entry.plain else []
    return plain + [(word, entry.subcommands[word]) for word in sorted(entry.subcommands)]


def manifest_json(manifest: dict[str, Any]) -> str:
    """The manifest as the JSON a lead pastes (stable order, trailing newline)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
