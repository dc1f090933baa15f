"""Carries out the core's effects on Slack through the Web API.

Rate limits (HTTP 429) are retried by the client after Retry-After (AsyncRateLimitErrorRetryHandler);
what still fails becomes a DeliveryError: retryable for rate limits, server errors and the network
(the relay backs off and tries again), not retryable for errors a retry cannot fix (a channel that
does not exist, a missing scope, a revoked token), which the relay parks for `townsquare outbox`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.shared import Refs, carry_out, current_attempt
from adapters.slack.commands import CommandNames
from adapters.slack.identity import PLATFORM, SlackDirectory
from adapters.slack.render import NO_PARSE, fallback_text, message
from adapters.slack.resend import metadata, posted_before
from adapters.slack.settings import SlackCommunity
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
from bot.core.ports import Attempt, DeliveryError, PlatformRef
from bot.core.pseudonyms import pseudonym
from bot.core.refs import MemberRef

log = logging.getLogger("townsquare.slack")

RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# A DM Slack will never deliver: the newcomer gets it as an ephemeral message in the lobby instead.
DM_CLOSED_ERRORS = frozenset(
    {"cannot_dm_bot", "user_disabled", "messages_tab_disabled", "user_not_visible", "restricted_action"}
)
_CHANNEL_NAME = re.compile(r"[^a-z0-9_-]+")


def delivery_error(exc: SlackApiError, what: str) -> DeliveryError:
    """Retry what time can fix (429, 5xx, Slack's own hiccups); park the rest."""
    status = exc.response.status_code
    error = str(exc.response.get("error", "") or "")
    retryable = status == 429 or status >= 500 or error in RETRYABLE_ERRORS
    said = error or "no error code"
    return DeliveryError(f"{what}: Slack said {said} (HTTP {status})", retryable=retryable)


def channel_name(name: str, fallback: str) -> str:
    """A valid Slack channel name: lowercase letters, digits, - and _, at most 80 characters."""
    cleaned = _CHANNEL_NAME.sub("-", name.lower()).strip("-_")[:80].strip("-_")
    return cleaned or _CHANNEL_NAME.sub("-", fallback.lower()).strip("-_")[:80] or "townsquare"


class SlackNotifier:
    """The Notifier for platform "slack"."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, directory: SlackDirectory, names: CommandNames | None = None):
        self.client = client
        self.directory = directory
        self.names = names

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        """Carry out one effect; returns where posted messages and created spaces are."""
        binding = self.directory.binding(effect.community_id)
        if binding is None:
            raise DeliveryError(
                f"community {effect.community_id!r} has no [communities.slack]", retryable=False
            )
        stopped = self.directory.stopped(binding.team_id)
        if stopped:
            raise DeliveryError(f"Slack workspace {binding.team_id} stopped ({stopped})", retryable=False)
        try:
            return await carry_out(self, effect, refs, binding, attempt)
        except SlackApiError as exc:
            raise delivery_error(exc, effect.kind) from None
        except (aiohttp.ClientError, TimeoutError, SlackClientError) as exc:
            raise DeliveryError(f"{effect.kind}: {type(exc).__name__}: {exc}", retryable=True) from None

    def absorbs_resend(self, effect: Effect) -> bool:
        """A channel post carries its key and a resumed one looks for it first (adapters/slack/resend.py);
        its chart upload does not, nor does a DM."""
        return isinstance(effect, PostMessage) and not effect.image_png

    async def edit_message(self, effect: EditMessage, refs: Refs, binding: SlackCommunity) -> Refs:
        ref = refs[effect.message_key]
        body = message(
            effect.text,
            title=effect.title,
            fields=effect.fields,
            actions=effect.actions,
            names=self.names,
        )
        await self.client.chat_update(channel=ref.channel_id, ts=ref.message_id or "", **body, **NO_PARSE)
        return {}

    async def grant_member_access(
        self, effect: GrantMemberAccess, refs: Refs, binding: SlackCommunity
    ) -> Refs:
        for channel in binding.member_channels:
            await self._invite(channel, [effect.member])
        return {}

    async def revoke_member_access(
        self, effect: RevokeMemberAccess, refs: Refs, binding: SlackCommunity
    ) -> Refs:
        for channel in binding.member_channels:
            await self._kick(channel, effect.member)
        return {}

    async def open_private_space(self, effect: OpenPrivateSpace, refs: Refs, binding: SlackCommunity) -> Refs:
        channel_id = await self._create_private(channel_name(effect.name, effect.space_key))
        await self._invite(channel_id, effect.members)
        if effect.topic:
            await self.client.conversations_setTopic(channel=channel_id, topic=effect.topic[:250])
        return {effect.space_key: PlatformRef(channel_id)}

    async def add_to_space(self, effect: AddToSpace, refs: Refs, binding: SlackCommunity) -> Refs:
        await self._invite(refs[effect.space_key].channel_id, effect.members)
        return {}

    async def assign_badge_role(self, effect: AssignBadgeRole, refs: Refs, binding: SlackCommunity) -> Refs:
        log.debug("badge roles do not exist on Slack; %s shows in the badge announcement", effect.badge_key)
        return {}

    async def change_tier_role(self, effect: ChangeTierRole, refs: Refs, binding: SlackCommunity) -> Refs:
        """Tiers are user groups on Slack: read the group's members, then write them back changed."""
        user = effect.member.user_id
        for key, add in ((effect.revoke, False), (effect.grant, True)):
            group = binding.usergroups.get(key) if key else None
            if group is None or (not add and effect.revoke == effect.grant):
                continue
            found = await self.client.usergroups_users_list(usergroup=group)
            users = [u for u in found.get("users") or [] if u != user] + ([user] if add else [])
            if not users:  # Slack keeps at least one member in a group: the last one stays
                log.warning("user group %s would be empty; %s stays in it", group, user)
                continue
            await self.client.usergroups_users_update(usergroup=group, users=",".join(users))
        return {}

    async def create_scheduled_event(
        self, effect: CreateScheduledEvent, refs: Refs, binding: SlackCommunity
    ) -> Refs:
        return {}  # Slack has no native calendar events; the announcement carries the date

    async def cancel_scheduled_event(
        self, effect: CancelScheduledEvent, refs: Refs, binding: SlackCommunity
    ) -> Refs:
        return {}

    async def create_referral_invite(
        self, effect: CreateReferralInvite, refs: Refs, binding: SlackCommunity
    ) -> Refs:
        return {}  # Slack has no invite links a member can pass on; the code alone lets people in

    # --- posts ---------------------------------------------------------------------------------

    def channel_id(self, channel: str, refs: Mapping[str, PlatformRef], binding: SlackCommunity) -> str:
        """A logical channel ("applications"), a raw id ("id:C123") or a space key → a Slack channel id."""
        if channel.startswith("id:"):
            return channel[3:]
        if channel in refs:
            return refs[channel].channel_id
        configured = binding.channels.model_dump().get(channel)
        if not configured:
            raise DeliveryError(
                f"no Slack channel for {channel!r}: set [communities.slack.channels] {channel}",
                retryable=False,
            )
        return str(configured)

    async def post_message(self, effect: PostMessage, refs: Refs, binding: SlackCommunity) -> Refs:
        channel = self.channel_id(effect.channel, refs, binding)
        linked = refs.get(effect.link_key) if effect.link_key else None
        body = message(
            effect.text,
            title=effect.title,
            fields=effect.fields,
            actions=effect.actions,
            names=self.names,
            link=await self._permalink(linked) if linked else None,
        )
        attempt = current_attempt()
        earlier = await posted_before(self.client, channel, attempt)
        if earlier is not None:
            where = PlatformRef(channel, earlier)
        else:
            posted = await self.client.chat_postMessage(
                channel=channel, **body, **NO_PARSE, **metadata(attempt)
            )
            where = PlatformRef(str(posted["channel"]), str(posted["ts"]))
        if effect.image_png:
            # After the post, so the chart follows the message it illustrates.
            await self.client.files_upload_v2(
                channel=channel,
                content=effect.image_png,
                filename=effect.image_name or "chart.png",
                title=effect.title or effect.image_name or "chart",
                alt_txt=(effect.title or "chart")[:1000],
            )
        if effect.message_key:
            return {effect.message_key: where}
        return {}

    async def _permalink(self, ref: PlatformRef) -> str | None:
        """Slack's link to an earlier post; when Slack cannot give one, the post goes out unlinked."""
        if not ref.message_id:
            return None
        try:
            found = await self.client.chat_getPermalink(channel=ref.channel_id, message_ts=ref.message_id)
        except SlackApiError as exc:
            error = delivery_error(exc, "chat.getPermalink")
            if error.retryable:
                raise error from None
            log.warning(
                "no permalink for %s/%s: %s; posting without it", ref.channel_id, ref.message_id, error
            )
            return None
        return str(found.get("permalink") or "") or None

    async def direct_message(self, effect: DirectMessage, refs: Refs, binding: SlackCommunity) -> Refs:
        """A DM, or (DMs closed) a message in the lobby only that person sees."""
        try:
            await self._direct(effect)
        except SlackApiError as exc:
            if not await self._in_lobby(effect, binding, exc):
                raise
        return {}

    async def _direct(self, effect: DirectMessage) -> None:
        """A DM; with a file (a /mydata export) the text is the file's comment, so one message carries
        both and a retried upload cannot leave the text behind twice."""
        opened = await self.client.conversations_open(users=effect.member.user_id)
        channel = str(opened["channel"]["id"])
        if effect.attachment is None or effect.actions:
            body = message(effect.text, title=effect.title, actions=effect.actions, names=self.names)
            await self.client.chat_postMessage(channel=channel, **body, **NO_PARSE)
        if effect.attachment is not None:
            name = effect.attachment_name or "townsquare-data.json"
            comment = None if effect.actions else fallback_text(effect.text, effect.title, self.names)
            await self.client.files_upload_v2(
                channel=channel, content=effect.attachment, filename=name, title=name, initial_comment=comment
            )

    async def _in_lobby(self, effect: DirectMessage, binding: SlackCommunity, exc: SlackApiError) -> bool:
        """DMs closed: the text goes to the lobby as a message only that person sees (a file cannot)."""
        error = str(exc.response.get("error", "") or "")
        lobby = binding.channels.lobby
        if error not in DM_CLOSED_ERRORS or not lobby or effect.attachment is not None:
            return False
        body = message(effect.text, title=effect.title, actions=effect.actions, names=self.names)
        await self.client.chat_postEphemeral(channel=lobby, user=effect.member.user_id, **body, **NO_PARSE)
        log.info("DM to %s refused (%s); sent in the lobby instead", pseudonym(effect.member.user_id), error)
        return True

    # --- channels ------------------------------------------------------------------------------

    async def _invite(self, channel: str, members: Sequence[MemberRef]) -> None:
        """Invite members; someone already in the channel is fine (deliveries are at least once)."""
        users = [m.user_id for m in members if m.platform == PLATFORM]
        if not users:
            return
        try:
            await self.client.conversations_invite(channel=channel, users=users)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_in_channel":
                raise
            for user in users:  # one of them was in already: invite the others one by one
                try:
                    await self.client.conversations_invite(channel=channel, users=[user])
                except SlackApiError as again:
                    if again.response.get("error") != "already_in_channel":
                        raise

    async def _kick(self, channel: str, member: MemberRef) -> None:
        try:
            await self.client.conversations_kick(channel=channel, user=member.user_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise

    async def _create_private(self, name: str) -> str:
        """Create a private channel; after a crash the retry finds the one it made (name_taken)."""
        try:
            created = await self.client.conversations_create(name=name, is_private=True)
            return str(created["channel"]["id"])
        except SlackApiError as exc:
            if exc.response.get("error") != "name_taken":
                raise
        existing = await self._find_private(name)
        if existing is None:
            raise DeliveryError(f"a channel named #{name} exists and is not Townsquare's", retryable=False)
        return existing

    async def _find_private(self, name: str) -> str | None:
        """A private channel the bot is in (it is in those it created), by name."""
        cursor: str | None = None
        while True:
            page = await self.client.conversations_list(
                types="private_channel", exclude_archived=True, limit=200, cursor=cursor
            )
            channels: list[dict[str, Any]] = page.get("channels", [])
            for channel in channels:
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
