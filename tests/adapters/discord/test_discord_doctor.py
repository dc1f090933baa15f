"""`townsquare doctor` on Discord, with the real discord.py against the local fake: every way the gate
can be bypassed or broken is found, with its fix, and a correct server reports nothing."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from adapters.discord.doctor import diagnose
from adapters.discord.settings import DiscordSettings
from bot.config import Settings
from tests.adapters.discord.fake_discord import JSON, FakeDiscord

VIEW = discord.Permissions(view_channel=True).value
CHANNELS = ("welcome", "applications", "announcements", "recognition", "digest")


def good_server(fake: FakeDiscord) -> tuple[JSON, dict[str, Any]]:
    """A guild set up as docs/discord.md says: member channels hidden from @everyone, no invites for
    @everyone, no vanity URL, the bot's role above the member and badge roles."""
    member = fake.role("Member", position=2)
    lead = fake.role("Lead", position=3)
    helper = fake.role("Helper", position=2)
    guild = fake.guild(
        "Town",
        channels=list(CHANNELS),
        roles=[member, lead, helper],
        everyone_permissions=discord.Permissions(view_channel=True, send_messages=True).value,
    )
    guild["roles"][1]["position"] = 5  # the bot's managed role, dragged above the others
    ids = {c["name"]: int(c["id"]) for c in guild["channels"]}
    for channel in guild["channels"]:
        if channel["name"] != "welcome":
            channel["permission_overwrites"] = [
                {"id": guild["id"], "type": 0, "allow": "0", "deny": str(VIEW)},
                {"id": member["id"], "type": 0, "allow": str(VIEW), "deny": "0"},
            ]
    binding = {
        "guild_id": int(guild["id"]),
        "roles": {
            "member": int(member["id"]),
            "leads": [int(lead["id"])],
            "badges": {"helper": int(helper["id"])},
        },
        "channels": {name: ids[name] for name in CHANNELS},
    }
    return guild, binding


def settings(fake: FakeDiscord, *bindings: dict[str, Any]) -> Settings:
    return Settings.model_validate(
        {
            "discord": {"token": "fake-token", "api_base_url": fake.api_base_url},
            "communities": [
                {"id": f"town{i}", "name": "Town", "platform": "discord", "discord": binding}
                for i, binding in enumerate(bindings)
            ],
        }
    )


async def problems(fake: FakeDiscord, *bindings: dict[str, Any]) -> list[str]:
    configured = settings(fake, *bindings)
    assert configured.discord is not None
    return [p.line() for p in await diagnose(configured.discord, configured.communities)]


async def test_a_correct_server_reports_nothing(fake_discord: FakeDiscord) -> None:
    _, binding = good_server(fake_discord)
    assert await problems(fake_discord, binding) == []


async def test_every_bypass_and_breakage_is_named_with_its_fix(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild, binding = good_server(fake)
    guild["roles"][1]["position"] = 1  # below the member role (position 2)
    guild["roles"][1]["permissions"] = str(discord.Permissions(view_channel=True, send_messages=True).value)
    guild["roles"][0]["permissions"] = str(
        discord.Permissions(view_channel=True, create_instant_invite=True).value
    )
    announcements = next(c for c in guild["channels"] if c["name"] == "announcements")
    announcements["permission_overwrites"] = []
    fake.set_vanity_url(guild, "townsq")
    binding["channels"]["ideas"] = 4242
    binding["roles"]["moderators"] = [777]

    found = await problems(fake, binding)

    text = "\n".join(found)
    assert "lacks the permission(s) Embed Links, Attach Files, Manage Roles, Manage Server. Fix:" in text
    assert "cannot grant the member role 'Member'" in text and "drag the bot's role above it" in text
    assert "@everyone can see #announcements (announcements)" in text
    assert "deny View Channel to @everyone" in text
    assert "@everyone can see #welcome" not in text  # where newcomers arrive
    assert "@everyone may create invites" in text and "turn off Create Invite" in text
    assert "vanity URL discord.gg/townsq" in text and "remove it" in text
    assert "channels.ideas names channel 4242, which this server does not have" in text
    assert "roles.moderators (777) names role 777" in text
    assert all(line.startswith("town0: ") and ". Fix: " in line for line in found)


async def test_one_unreachable_server_never_stops_the_others(fake_discord: FakeDiscord) -> None:
    _, good = good_server(fake_discord)
    missing = {**good, "guild_id": 999}
    found = await problems(fake_discord, missing, good)
    assert len(found) == 1
    assert found[0].startswith("town0: the bot is not in the server 999") and "invite it" in found[0]


@pytest.mark.parametrize("token", ["", "wrong"])
async def test_a_missing_or_refused_token_is_named(token: str) -> None:
    async with FakeDiscord(token="right") as fake:
        restore = fake.configure_discord()
        try:
            section = DiscordSettings(token=token or None, api_base_url=fake.api_base_url)
            found = await diagnose(section, settings(fake, {"guild_id": 1}).communities)
        finally:
            restore()
    assert len(found) == 1 and "DISCORD_TOKEN" in found[0].line()
