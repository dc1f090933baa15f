"""The Discord notifier: carries out the outbox's effects with discord.py.

Failures map onto the relay's retry policy: a rate limit or server error that survived discord.py's
own retries, or a network error, is retryable; a refusal (403, including DMs closed), something gone
(404) or a malformed request (other 4xx) is not, and the effect is parked for `townsquare outbox`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final, TypedDict

import aiohttp
import discord

from adapters.discord import render
from adapters.discord.identity import Communities, user_id
from adapters.discord.invites import InviteTracker
from adapters.discord.referrals import ReferralInvites
from adapters.discord.resend import nonce_covers
from adapters.discord.settings import DiscordCommunity
from adapters.shared import Refs, carry_out, current_attempt
from bot.core.effects import (
    AddToSpace,
    AssignBadgeRole,
    CancelScheduledEvent,
    ChangeTierRole,
    CreateReferralInvite,
    CreateScheduledEvent,
    DirectMessage,
    EditMessage,
    Effect,
    GrantMemberAccess,
    OpenPrivateSpace,
    PostMessage,
    RevokeMemberAccess,
)
from bot.core.ports import Attempt, Clock, DeliveryError, PlatformRef
from bot.core.pseudonyms import pseudonym
from bot.core.refs import MemberRef

DMS_CLOSED = 50007  # "Cannot send messages to this user"
log = logging.getLogger("townsquare.discord.notifier")

REASON = "Townsquare"
THREAD_ARCHIVE_MINUTES: Final = 10080  # a week: cohort threads stay open between meetings
NAME_MAX = 100
EVENT_DESCRIPTION_MAX = 1000


def nonce(community_id: str) -> str:
    """The message nonce of the relay's current attempt: the same for every try of one outbox item,
    so Discord, which gets `enforce_nonce` with it (discord.py sends both), creates the message once
    when a resend follows a send whose answer was lost or a crash before it was recorded. Discord
    checks nonces over the last few minutes only. At most 25 characters; random without an attempt."""
    attempt = current_attempt()
    key = attempt.key if attempt is not None else uuid.uuid4().hex
    digest = hashlib.blake2b(f"{community_id}|{key}".encode(), digest_size=11).hexdigest()
    return f"ts{digest}"


class _EventFields(TypedDict):
    """What every scheduled event is created with, whatever its location."""

    name: str
    start_time: datetime
    end_time: datetime
    description: str
    privacy_level: discord.PrivacyLevel
    reason: str


class DiscordNotifier:
    """Implements the core's Notifier port for platform "discord"."""

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        communities: Communities,
        clock: Clock,
        tracker: InviteTracker | None = None,
    ) -> None:
        self.client = client
        self.communities = communities
        self.clock = clock
        self.referrals = ReferralInvites(client, tracker or InviteTracker(), clock)

    async def deliver(
        self, effect: Effect, refs: Refs, attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        if self.client.http.token is None:
            raise DeliveryError("the Discord client is not logged in yet", retryable=True)
        community = self.communities.get(effect.community_id)
        if community is None or community.discord is None:
            raise DeliveryError(f"{effect.community_id!r} is not a Discord community", retryable=False)
        try:
            return await carry_out(self, effect, refs, community.discord, attempt)
        except discord.HTTPException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise DeliveryError(
                f"Discord answered {exc.status} (code {exc.code}): {exc.text[:200]}", retryable=retryable
            ) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"cannot reach Discord: {type(exc).__name__}: {exc}", retryable=True) from exc

    def absorbs_resend(self, effect: Effect) -> bool:
        return nonce_covers(self.client, self.communities, effect)

    # --- messages --------------------------------------------------------------------------------

    def _channel_id(self, channel: str, refs: Refs, binding: DiscordCommunity) -> int:
        if channel.startswith("id:"):
            return int(channel[3:])
        if channel in refs:
            return int(refs[channel].channel_id)
        found = binding.channels.by_name(channel)
        if found is None:
            raise DeliveryError(
                f"no Discord channel for {channel!r}: set communities.discord.channels.{channel}",
                retryable=False,
            )
        return found

    async def post_message(self, effect: PostMessage, refs: Refs, binding: DiscordCommunity) -> Refs:
        channel_id = self._channel_id(effect.channel, refs, binding)
        linked = refs.get(effect.link_key) if effect.link_key else None
        out = render.from_post(effect, message_link(binding.guild_id, linked) if linked else None)
        channel = self.client.get_channel(channel_id)
        if isinstance(channel, discord.ForumChannel):
            # A forum takes no plain messages: each post opens a forum post (a thread) of its own,
            # and the message to edit later is that thread's first message.
            created = await channel.create_thread(
                name=render.thread_name(effect), reason=REASON, **out.send_kwargs()
            )
            where = PlatformRef(str(created.thread.id), str(created.message.id))
        else:
            sent = await self.client.get_partial_messageable(channel_id, guild_id=binding.guild_id).send(
                **out.send_kwargs(), nonce=nonce(effect.community_id)
            )
            where = PlatformRef(str(channel_id), str(sent.id))
        return {effect.message_key: where} if effect.message_key else {}

    async def edit_message(self, effect: EditMessage, refs: Refs, binding: DiscordCommunity) -> Refs:
        ref = refs[effect.message_key]
        channel = self.client.get_partial_messageable(int(ref.channel_id))
        out = render.from_edit(effect)
        await channel.get_partial_message(int(ref.message_id or 0)).edit(**out.edit_kwargs())
        return {}

    async def direct_message(self, effect: DirectMessage, refs: Refs, binding: DiscordCommunity) -> Refs:
        channel = await self.client.create_dm(discord.Object(self._user(effect.member)))
        try:
            await channel.send(**render.from_dm(effect).send_kwargs(), nonce=nonce(effect.community_id))
        except discord.Forbidden as exc:
            if not await self._in_lobby(effect, binding, exc):
                raise
        return {}

    async def _in_lobby(
        self, effect: DirectMessage, binding: DiscordCommunity, exc: discord.Forbidden
    ) -> bool:
        """DMs closed (50007): the text goes to the welcome channel, pinging only that person (a file
        cannot go there; it is parked as before)."""
        lobby = binding.channels.welcome
        if exc.code != DMS_CLOSED or lobby is None or effect.attachment is not None:
            return False
        uid = self._user(effect.member)
        out = render.message(effect.text, title=effect.title, actions=effect.actions)
        out.content = f"<@{uid}> {out.content or ''}".rstrip()
        out.mentions = (uid,)
        await self.client.get_partial_messageable(lobby, guild_id=binding.guild_id).send(**out.send_kwargs())
        log.info("DM to %s refused (50007); sent in the welcome channel instead", uid)
        return True

    # --- roles -----------------------------------------------------------------------------------

    def _user(self, member: MemberRef) -> int:
        try:
            return user_id(member)
        except ValueError as exc:
            raise DeliveryError(str(exc), retryable=False) from None

    async def grant_member_access(
        self, effect: GrantMemberAccess, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        await self._member_role(effect, binding)
        return {}

    async def revoke_member_access(
        self, effect: RevokeMemberAccess, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        await self._member_role(effect, binding)
        return {}

    async def _member_role(
        self, effect: GrantMemberAccess | RevokeMemberAccess, binding: DiscordCommunity
    ) -> None:
        role = binding.roles.member
        if role is None:
            log.warning("no member role configured for guild %s; access unchanged", binding.guild_id)
            return
        uid = self._user(effect.member)
        if isinstance(effect, GrantMemberAccess):
            await self.client.http.add_role(binding.guild_id, uid, role, reason=f"{REASON}: admitted")
        else:
            await self.client.http.remove_role(binding.guild_id, uid, role, reason=f"{REASON}: removed")

    async def assign_badge_role(self, effect: AssignBadgeRole, refs: Refs, binding: DiscordCommunity) -> Refs:
        role = binding.roles.badges.get(effect.badge_key)
        if role is None:
            return {}  # this community shows the badge without a role
        reason = f"{REASON}: badge {effect.badge_key}"
        await self.client.http.add_role(binding.guild_id, self._user(effect.member), role, reason=reason)
        return {}

    async def change_tier_role(self, effect: ChangeTierRole, refs: Refs, binding: DiscordCommunity) -> Refs:
        uid = self._user(effect.member)
        revoke = binding.roles.tiers.get(effect.revoke) if effect.revoke else None
        grant = binding.roles.tiers.get(effect.grant) if effect.grant else None
        if revoke is not None and revoke != grant:
            reason = f"{REASON}: no longer {effect.revoke}"
            await self.client.http.remove_role(binding.guild_id, uid, revoke, reason=reason)
        if grant is not None:
            reason = f"{REASON}: tier {effect.grant}"
            await self.client.http.add_role(binding.guild_id, uid, grant, reason=reason)
        return {}

    # --- private spaces --------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        found = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(found, discord.abc.GuildChannel | discord.Thread):
            raise DeliveryError(f"channel {channel_id} is not a server channel", retryable=False)
        return found

    def _bot_id(self) -> int:
        return self.client.user.id if self.client.user else (self.client.application_id or 0)

    async def _guild(self, guild_id: int) -> discord.Guild:
        return self.client.get_guild(guild_id) or await self.client.fetch_guild(guild_id)

    async def open_private_space(
        self, effect: OpenPrivateSpace, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        if binding.channels.cohort_parent is None:
            raise DeliveryError(
                "no cohort parent: set communities.discord.channels.cohort_parent", retryable=False
            )
        parent = await self._channel(binding.channels.cohort_parent)
        name = render.clip(effect.name, NAME_MAX)
        space: discord.Thread | discord.TextChannel
        if binding.cohort_space == "thread":
            if not isinstance(parent, discord.TextChannel):
                raise DeliveryError(
                    "cohort_parent must be a text channel for private threads", retryable=False
                )
            space = await parent.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                reason=REASON,
            )
        else:
            if not isinstance(parent, discord.CategoryChannel):
                raise DeliveryError("cohort_parent must be a category for private channels", retryable=False)
            guild = await self._guild(binding.guild_id)
            overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
                guild.default_role: discord.PermissionOverwrite(view_channel=False),
                discord.Object(self._bot_id(), type=discord.Member): _SPACE_ACCESS,
            }
            space = await guild.create_text_channel(
                name,
                category=parent,
                overwrites=overwrites,
                topic=effect.topic[:1024] or discord.utils.MISSING,
                reason=REASON,
            )
        ref = PlatformRef(str(space.id))
        # From here on the space exists: a member who cannot be added is logged, never a reason to
        # retry (a retry would open a second space).
        await self._add_to_space(ref, effect.members, space=space, strict=False)
        if effect.topic and isinstance(space, discord.Thread):
            try:
                await space.send(**render.message(effect.topic).send_kwargs())
            except discord.HTTPException as exc:
                log.warning("space %s: topic not posted: %s", space.id, exc)
        return {effect.space_key: ref}

    async def add_to_space(self, effect: AddToSpace, refs: Refs, binding: DiscordCommunity) -> Refs:
        await self._add_to_space(refs[effect.space_key], effect.members)
        return {}

    async def _add_to_space(
        self,
        ref: PlatformRef,
        members: tuple[MemberRef, ...],
        *,
        space: discord.abc.GuildChannel | discord.Thread | None = None,
        strict: bool = True,
    ) -> None:
        space = space or await self._channel(int(ref.channel_id))
        failures: list[discord.HTTPException] = []
        for member in members:
            uid = self._user(member)
            try:
                if isinstance(space, discord.Thread):
                    await space.add_user(discord.Object(uid))
                else:
                    allow, deny = _SPACE_ACCESS.pair()
                    await self.client.http.edit_channel_permissions(
                        space.id, uid, str(allow.value), str(deny.value), 1, reason=REASON
                    )
            except (discord.Forbidden, discord.NotFound) as exc:
                # someone who left, or a member the bot may not add: the others still get in
                log.warning("space %s: could not add %s: %s", space.id, pseudonym(str(uid)), exc)
                failures.append(exc)
        if strict and failures and len(failures) == len(members):
            raise failures[-1]

    # --- scheduled events ------------------------------------------------------------------------

    async def create_scheduled_event(
        self, effect: CreateScheduledEvent, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        if effect.starts_at <= self.clock.now():
            log.info("scheduled event %s starts in the past; not created", effect.event_key)
            return {}
        guild = await self._guild(binding.guild_id)
        channel_id = self._channel_id(effect.channel, refs, binding)
        channel = guild.get_channel(channel_id)
        ends_at = max(effect.ends_at, effect.starts_at + timedelta(minutes=1))
        common = _EventFields(
            name=render.clip(effect.name, NAME_MAX),
            start_time=effect.starts_at,
            end_time=ends_at,
            description=render.clip(render.render_text(effect.description)[0], EVENT_DESCRIPTION_MAX),
            privacy_level=discord.PrivacyLevel.guild_only,
            reason=REASON,
        )
        if isinstance(channel, discord.StageChannel):
            event = await guild.create_scheduled_event(
                entity_type=discord.EntityType.stage_instance, channel=channel, **common
            )
        elif isinstance(channel, discord.VoiceChannel):
            event = await guild.create_scheduled_event(
                entity_type=discord.EntityType.voice, channel=channel, **common
            )
        else:
            location = f"https://discord.com/channels/{binding.guild_id}/{channel_id}"
            event = await guild.create_scheduled_event(
                entity_type=discord.EntityType.external, location=location, **common
            )
        return {effect.event_key: PlatformRef(str(channel_id), str(event.id))}

    async def cancel_scheduled_event(
        self, effect: CancelScheduledEvent, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        guild = await self._guild(binding.guild_id)
        try:
            event = await guild.fetch_scheduled_event(int(refs[effect.event_key].message_id or 0))
        except discord.NotFound:
            return {}  # deleted by hand: nothing left to cancel
        if event.status is discord.EventStatus.scheduled:
            await event.cancel(reason=REASON)
        elif event.status is discord.EventStatus.active:
            await event.end(reason=REASON)
        return {}

    # --- referral invites ------------------------------------------------------------------------

    async def create_referral_invite(
        self, effect: CreateReferralInvite, refs: Refs, binding: DiscordCommunity
    ) -> Refs:
        await self.referrals.create(effect, binding)
        return {}


def message_link(guild_id: int, ref: PlatformRef) -> str:
    """The URL that opens a message (or, without a message id, a channel or thread) in Discord."""
    tail = f"/{ref.message_id}" if ref.message_id else ""
    return f"https://discord.com/channels/{guild_id}/{ref.channel_id}{tail}"


_SPACE_ACCESS = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, send_messages_in_threads=True
)
