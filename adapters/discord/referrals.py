"""Personal Discord invites for referral codes.

The core's /refer handler queues `CreateReferralInvite` with the new code, in the command's own
transaction. The notifier carries it out here: it mints a unique invite in the welcome channel with
the code's uses and lifetime and ties it to the code (the core's `AttachInvite`, sent through the
bus as the delivery's follow-up), so a newcomer who joins through it is admitted and credited to
the referrer once invite-use diffing has matched the invite ("inferred"). Delivery is at least once:
if the follow-up fails the relay tries again, minting a fresh invite that replaces the first one.

A code for one person (`/refer member:@x`, the effect's `target`) gets a targeted invite instead:
single use, acceptable only by that user, giving the member role on accept, so the join through it
is "certain". Where Discord refuses targeted invites (the feature is not enabled for the guild or
the bot: a 400 or 403), the notifier logs one warning and mints an ordinary personal invite, whose
join is matched by use counts like any other.

The /refer answer shows the link: its reply hook delivers the member's pending invite at once
(through a relay limited to this effect, so the background relay never mints it twice) and waits
for a delivery the background relay already has under way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord

from adapters.discord.invites import InviteTracker, invite_lifetime, mint_invite, mint_targeted_invite
from adapters.discord.settings import DiscordCommunity
from bot.config import CommunityConfig
from bot.core.bus import Message
from bot.core.effects import CreateReferralInvite, Effect
from bot.core.gates.commands import AttachInvite
from bot.core.gates.referrals import INVITE_FIELD
from bot.core.ports import Clock, DeliveryError
from bot.core.refs import Actor, MemberRef
from bot.core.replies import Field, Reply
from bot.relay import OutboxRelay

log = logging.getLogger("townsquare.discord.referrals")

INVITE_URL = "https://discord.gg/{code}"
REFUSED = (400, 403)  # how Discord says no to targeted invites (feature not enabled, not allowed)
ANSWER_WAIT_SECONDS = 2.0  # how long the /refer answer waits for an invite the relay is minting
FollowUp = Callable[[Message], Awaitable[object]]
Key = tuple[str, MemberRef]


class ReferralInvites:
    """Carries out CreateReferralInvite for the notifier and tells the /refer answer what it minted."""

    def __init__(self, client: discord.Client, tracker: InviteTracker, clock: Clock) -> None:
        self.client = client
        self.tracker = tracker
        self.clock = clock
        self.follow_up: FollowUp | None = None  # the bus's `handle`, set when the client is bound
        self._minted: dict[Key, asyncio.Future[str | None]] = {}

    async def create(self, effect: CreateReferralInvite, binding: DiscordCommunity) -> None:
        """Mint the invite and tie it to its code; raises DeliveryError when that cannot be done."""
        if self.follow_up is None:
            raise DeliveryError("the Discord client is not bound to the bus yet", retryable=True)
        channel_id = binding.channels.by_name(effect.channel)
        channel = self.client.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.abc.GuildChannel):
            raise DeliveryError(
                f"no Discord channel to mint referral invites in: set communities.discord.channels."
                f"{effect.channel}",
                retryable=False,
            )
        future = self._future((effect.community_id, effect.referrer))
        try:
            code = await self._mint(channel, effect, binding)
            attach = AttachInvite(community_id=effect.community_id, code=effect.code, invite_code=code)
            result = await self.follow_up(attach)
            if isinstance(result, Reply) and result.text:
                log.warning("referral invite %s not tied to its code: %s", code, result.text)
        except BaseException:
            if not future.done():
                future.set_result(None)
            raise
        if not future.done():
            future.set_result(code)

    async def _mint(
        self, channel: discord.abc.GuildChannel, effect: CreateReferralInvite, binding: DiscordCommunity
    ) -> str:
        """The new invite's code: targeted when the effect names someone and Discord allows it."""
        max_age = invite_lifetime(effect.expires_at, self.clock.now())
        reason = f"Townsquare: referral invite of {effect.referrer}"
        target = int(effect.target.user_id) if effect.target and effect.target.platform == "discord" else None
        if target is not None:
            member_role = binding.roles.member if effect.grant_access else None
            try:
                data = await mint_targeted_invite(
                    self.client.http,
                    channel.id,
                    user_id=target,
                    role_ids=[member_role] if member_role else [],
                    max_age=max_age,
                    reason=f"{reason} for {target}",
                )
            except discord.HTTPException as exc:
                if exc.status not in REFUSED:
                    raise
                log.warning(
                    "guild %s: Discord refused a targeted invite (%s, code %s: %s); targeted invites are not "
                    "available here, so %s gets an ordinary personal invite and its attribution falls back "
                    "to use counts",
                    binding.guild_id,
                    exc.status,
                    exc.code,
                    exc.text,
                    target,
                )
            else:
                code = str(data["code"])
                self.tracker.created(binding.guild_id, code, int(data.get("max_uses") or 1), target=target)
                return code
        invite = await mint_invite(channel, max_uses=effect.max_uses, max_age=max_age, reason=reason)
        self.tracker.created(binding.guild_id, invite.code, invite.max_uses or effect.max_uses)
        return invite.code

    def _future(self, key: Key) -> asyncio.Future[str | None]:
        future = self._minted.get(key)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._minted[key] = future
        return future

    async def minted(self, community_id: str, referrer: MemberRef, timeout: float) -> str | None:  # noqa: ASYNC109
        """The invite code last minted for this referrer and not yet shown, waiting up to `timeout` for
        one being minted; None when there is none."""
        future = self._minted.get((community_id, referrer))
        if future is None:
            return None
        try:
            async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancellation on 3.11
                code = await asyncio.shield(future)
        except TimeoutError:
            return None
        if self._minted.get((community_id, referrer)) is future:
            del self._minted[(community_id, referrer)]
        return code


class PersonalInvites:
    """The reply hook for /refer: show the member's personal invite as a link."""

    def __init__(
        self, relay: OutboxRelay, invites: ReferralInvites, wait: float = ANSWER_WAIT_SECONDS
    ) -> None:
        self.relay = relay
        self.invites = invites
        self.wait = wait

    async def __call__(
        self,
        interaction: discord.Interaction[Any],
        community: CommunityConfig,
        actor: Actor,
        reply: Reply,
    ) -> Reply:
        existing = next((f.value for f in reply.fields if f.name == INVITE_FIELD), None)
        if existing:
            return _with_link(reply, INVITE_URL.format(code=existing), replace_field=True)

        def theirs(effect: Effect) -> bool:
            return isinstance(effect, CreateReferralInvite) and effect.referrer == actor.ref

        await self.relay.deliver_now(community.id, "create_referral_invite", theirs)
        code = await self.invites.minted(community.id, actor.ref, self.wait)
        return _with_link(reply, INVITE_URL.format(code=code)) if code else reply


def _with_link(reply: Reply, url: str, *, replace_field: bool = False) -> Reply:
    fields = tuple(f for f in reply.fields if not (replace_field and f.name == INVITE_FIELD))
    text = f"{reply.text}\n\nOr send them your personal invite: {url} (joining through it lets them in)."
    return replace(reply, text=text.strip(), fields=(*fields, Field(INVITE_FIELD, url, inline=False)))
