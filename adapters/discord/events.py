"""Gateway events → core: joins and leaves through the bus (messages and reactions take the lean
path to the contribution sink: adapters/discord/lean.py). Metadata only: the adapter never asks for
message content.

discord.py does not drop a replayed gateway frame, so each event gets a stable id: joins and leaves
are claimed by the bus (`Source("discord", id)`), which also holds across restarts; messages and
reactions are remembered in a bounded in-memory window (`recent`) before they reach the sink.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord

from adapters.discord.identity import Communities, member_ref
from adapters.discord.invites import InviteTracker
from adapters.shared import RecentIds
from bot.core.bus import MessageBus, Source
from bot.core.contributions.ports import ContributionSink
from bot.core.events import MemberJoined, MemberLeft
from bot.core.ports import Clock
from bot.core.pseudonyms import pseudonym

log = logging.getLogger("townsquare.discord.events")


class GatewayEvents:
    """The handlers the client calls for member, message and reaction events."""

    def __init__(
        self,
        bus: MessageBus,
        communities: Communities,
        tracker: InviteTracker,
        sink: ContributionSink,
        clock: Clock,
    ) -> None:
        self.bus = bus
        self.communities = communities
        self.tracker = tracker
        self.sink = sink
        self.clock = clock
        self.recent = RecentIds()

    async def member_joined(self, member: discord.Member) -> None:
        community = self.communities.for_guild(member.guild.id)
        if community is None:
            return
        joined = member.joined_at or self.clock.now()
        key = f"member_add:{member.guild.id}:{member.id}:{joined.isoformat()}"
        if not self.recent.claim(key):
            log.debug("replayed join %s ignored", key)
            return
        # The lock keeps attribution and its commit in join order: a concurrent join cannot take
        # this join's invite, nor can the bus see them the other way round.
        async with self.tracker.lock(member.guild.id):
            if member.bot:
                code, confidence = None, None
            else:
                found = await self.tracker.explain_join(member.guild, member.id)
                code, confidence = found.code, found.confidence
                if found.vanity:
                    log.info(
                        "guild %s: %s joined through the vanity URL",
                        member.guild.id,
                        pseudonym(str(member.id)),
                    )
            event = MemberJoined(
                community_id=community.id,
                member=member_ref(member),
                at=joined,
                display_name=member.display_name,
                is_bot=member.bot,
                invite_code=code,
                invite_confidence=confidence,
            )
            await self.bus.handle(event, source=Source("discord", key))

    async def member_removed(self, payload: discord.RawMemberRemoveEvent) -> None:
        community = self.communities.for_guild(payload.guild_id)
        if community is None:
            return
        user = payload.user
        joined = user.joined_at if isinstance(user, discord.Member) else None
        # Without the join time (member not cached) the minute keeps a later leave distinct.
        stamp = joined.isoformat() if joined else self.clock.now().strftime("seen-%Y%m%dT%H%M")
        key = f"member_remove:{payload.guild_id}:{user.id}:{stamp}"
        event = MemberLeft(community_id=community.id, member=member_ref(user), at=self.clock.now())
        await self.bus.handle(event, source=Source("discord", key))

    def _now(self) -> datetime:
        return self.clock.now()
