"""The newcomer lobby: on Slack an admin invites people into the workspace, and the gate decides which
channels they see. Whoever arrives in the lobby channel is told how to get in."""

from __future__ import annotations

from bot.core.gates.settings import GateMode
from bot.core.registry import Registry

_HOW = {
    "join": "with a referral code from a member: `{cmd} CODE`",
    "apply": "by answering two questions with `{cmd}`; a moderator decides",
}
_MODE_ORDER = {
    "referral": ("join",),
    "application": ("apply",),
    "referral_or_application": ("join", "apply"),
    "open": (),
}


def lobby_guide(community_name: str, mode: GateMode, registry: Registry) -> str:
    """Plain core-style text for a newcomer in the lobby (rendered and escaped like any core text)."""
    ways = [
        _HOW[name].format(cmd=f"/{name}")  # core-style: rendering names the Slack command
        for name in _MODE_ORDER.get(mode, ("join", "apply"))
        if name in registry.commands
    ]
    if mode == "open":
        lines = [f"Welcome to {community_name}! You will be invited into the member channels shortly."]
    elif ways:
        lines = [
            f"Welcome to {community_name}! The member channels open once you are in.",
            *(f"• Get in {way}." for way in ways),
        ]
    else:
        lines = [f"Welcome to {community_name}! The member channels open once you are in; ask a moderator."]
    if "help" in registry.commands:
        lines.append("`/help` lists everything you can do here.")
    return "\n".join(lines)
