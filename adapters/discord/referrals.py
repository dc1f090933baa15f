"""`/refer` on Discord: the core hands out the referral code; the adapter adds a personal invite.

The invite is minted in the welcome channel with the code's remaining uses and lifetime, and tied to
the code (the core's `AttachInvite`), so a newcomer who joins through it is admitted and credited to
the referrer once invite-use diffing is certain of the invite.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import discord

from adapters.discord.invites import InviteTracker, invite_lifetime, mint_invite
from bot.config import CommunityConfig
from bot.core.bus import MessageBus
from bot.core.gates.commands import AttachInvite
from bot.core.gates.referrals import CODE_FIELD, INVITE_FIELD, USES_FIELD
from bot.core.ports import Clock
from bot.core.refs import Actor
from bot.core.replies import Field, Reply

log = logging.getLogger("townsquare.discord.referrals")

INVITE_URL = "https://discord.gg/{code}"


def _field(reply: Reply, name: str) -> str | None:
    return next((f.value for f in reply.fields if f.name == name), None)


class PersonalInvites:
    """The reply hook for /refer: mint (or show) the member's personal invite for their code."""

    def __init__(self, bus: MessageBus, tracker: InviteTracker, clock: Clock) -> None:
        self.bus = bus
        self.tracker = tracker
        self.clock = clock

    async def __call__(
        self,
        interaction: discord.Interaction[Any],
        community: CommunityConfig,
        actor: Actor,
        reply: Reply,
    ) -> Reply:
        code = _field(reply, CODE_FIELD)
        if code is None or community.discord is None or interaction.guild is None:
            return reply
        existing = _field(reply, INVITE_FIELD)
        if existing:
            return _with_link(reply, INVITE_URL.format(code=existing), replace_field=True)
        channel_id = community.discord.channels.welcome
        channel = interaction.guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.abc.GuildChannel):
            log.warning("guild %s: no welcome channel to mint referral invites in", interaction.guild.id)
            return reply
        uses_text = _field(reply, USES_FIELD) or ""
        uses = int(uses_text) if uses_text.isdigit() else community.gate.code_max_uses
        now = self.clock.now()
        lifetime = invite_lifetime(now + timedelta(days=community.gate.code_ttl_days), now)
        try:
            invite = await mint_invite(
                channel, max_uses=uses, max_age=lifetime, reason=f"Townsquare: referral invite of {actor.ref}"
            )
        except discord.HTTPException as exc:
            log.warning("guild %s: cannot create a referral invite: %s", interaction.guild.id, exc)
            return reply
        self.tracker.created(interaction.guild.id, invite.code, invite.max_uses or uses)
        await self._attach(community.id, code, invite.code)
        return _with_link(reply, invite.url)

    async def _attach(self, community_id: str, code: str, invite_code: str) -> None:
        attach = AttachInvite(community_id=community_id, code=code, invite_code=invite_code)
        result = await self.bus.handle(attach)
        if isinstance(result, Reply) and result.text:
            log.warning("referral invite %s not tied to its code: %s", invite_code, result.text)


def _with_link(reply: Reply, url: str, *, replace_field: bool = False) -> Reply:
    fields = tuple(f for f in reply.fields if not (replace_field and f.name == INVITE_FIELD))
    text = f"{reply.text}\n\nOr send them your personal invite: {url} (joining through it lets them in)."
    return replace(reply, text=text.strip(), fields=(*fields, Field(INVITE_FIELD, url, inline=False)))
