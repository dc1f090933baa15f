"""Bolt listeners: every slash command, button, modal, shortcut and event, routed through the registry.

Each listener acknowledges first (Slack waits at most 3 s; bolt answers the HTTP request as soon as
ack() is called) and does the work afterwards, answering through response_url, chat.postEphemeral,
chat.update or views.open.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.shared import RecentIds
from adapters.slack import events as slack_events
from adapters.slack.commands import CommandNames, UsageError, parse_options, usage
from adapters.slack.identity import PLATFORM, IdentityResolver, SlackDirectory
from adapters.slack.lobby import lobby_guide
from adapters.slack.render import NO_PARSE, form_answers, form_metadata, form_view, mrkdwn, reply_message
from adapters.slack.staff import existing_member, load_staff_groups
from bot.config import CommunityConfig
from bot.core.bus import Bus, Source
from bot.core.contributions.ports import ContributionSink
from bot.core.events import Event
from bot.core.gates.commands import AdoptMembers
from bot.core.invoke import invoke_button, invoke_form, invoke_message_action, invoke_slash
from bot.core.ports import Clock
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, MessageTarget, Registry
from bot.core.replies import OpenForm, Reply

log = logging.getLogger("townsquare.slack")

APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."
UNKNOWN_WORKSPACE = "This Slack workspace is not set up for Townsquare yet; a community lead can add it."

Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Where:
    """Where an invocation came from, so its answer goes back there."""

    user_id: str
    channel_id: str | None
    trigger_id: str | None = None
    respond: Respond | None = None  # None without a response_url (modal submissions)
    message_ts: str | None = None  # the message a button was pressed on
    ephemeral: bool = False  # …which only the presser sees (chat.update cannot reach it)


class SlackListeners:
    """The listeners of one bolt app (SlackAdapter.attach registers them)."""

    def __init__(
        self,
        *,
        bus: Bus,
        registry: Registry,
        directory: SlackDirectory,
        identity: IdentityResolver,
        names: CommandNames,
        sink: ContributionSink,
        clock: Clock,
    ) -> None:
        self.bus = bus
        self.registry = registry
        self.directory = directory
        self.identity = identity
        self.names = names
        self.sink = sink
        self.clock = clock
        self.recent = RecentIds()

    # --- plumbing ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _guard(
        self, what: str, where: Where | None = None, client: AsyncWebClient | None = None
    ) -> AsyncIterator[None]:
        """The adapter's edge: log an unexpected failure once, apologise to the person if we can."""
        try:
            yield
        except Exception:  # noqa: BLE001  (the edge: nothing else would catch it)
            log.exception("slack %s failed", what)
            if where is not None:
                try:
                    await self._say(Reply(text=APOLOGY), where, client)
                except Exception:  # noqa: BLE001
                    log.warning("could not apologise for the failed %s", what)

    async def _community(
        self, team_id: str | None, where: Where | None, client: AsyncWebClient | None
    ) -> CommunityConfig | None:
        community = self.directory.for_team(team_id)
        if community is None:
            log.warning("request from Slack workspace %s, which no community is bound to", team_id)
            if where is not None:
                await self._say(Reply(text=UNKNOWN_WORKSPACE), where, client)
        return community

    async def render(self, result: Reply | OpenForm, where: Where, client: AsyncWebClient) -> None:
        """Show what the core answered: a modal, an edit of the pressed message, or a message."""
        if isinstance(result, OpenForm):
            if not where.trigger_id:
                await self._say(Reply(text="Open this form again from the command."), where, client)
                return
            await client.views_open(
                trigger_id=where.trigger_id, view=form_view(result, where.channel_id, self.names)
            )
            return
        if result.silent:
            return
        if result.update_original and where.message_ts:
            body = reply_message(result, self.names)
            if where.ephemeral or not where.channel_id:
                if where.respond is not None:
                    await where.respond(replace_original=True, **body)
                return
            await client.chat_update(channel=where.channel_id, ts=where.message_ts, **body, **NO_PARSE)
            return
        await self._say(result, where, client)

    async def _say(self, reply: Reply, where: Where, client: AsyncWebClient | None) -> None:
        body = reply_message(reply, self.names)
        if where.respond is not None:
            response_type = "ephemeral" if reply.private else "in_channel"
            sent = await where.respond(response_type=response_type, replace_original=False, **body)
            if getattr(sent, "status_code", 200) != 200:  # an expired response_url (after 30 minutes)
                log.warning("slack response_url answered %s", getattr(sent, "status_code", "?"))
            return
        if client is None:
            return
        if where.channel_id:
            try:
                if reply.private:
                    await client.chat_postEphemeral(
                        channel=where.channel_id, user=where.user_id, **body, **NO_PARSE
                    )
                else:
                    await client.chat_postMessage(channel=where.channel_id, **body, **NO_PARSE)
                return
            except SlackApiError as exc:  # the bot is not in that channel: fall back to a DM
                log.info(
                    "could not answer in %s (%s); sending a DM", where.channel_id, exc.response.get("error")
                )
        await client.chat_postMessage(channel=where.user_id, **body, **NO_PARSE)

    # --- slash commands -----------------------------------------------------------------------

    async def on_command(
        self, ack: Any, command: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        where = Where(
            user_id=command["user_id"],
            channel_id=command.get("channel_id"),
            trigger_id=command.get("trigger_id"),
            respond=respond,
        )
        async with self._guard(f"command {command.get('command')}", where, client):
            community = await self._community(command.get("team_id"), where, client)
            if community is None:
                return
            resolved = self.names.resolve(command["command"], command.get("text", ""))
            if resolved is None:
                help_cmd = self.names.slack_name("help")
                await self._say(
                    Reply(text=f"{command['command']} is not a Townsquare command. Try {help_cmd}."),
                    where,
                    client,
                )
                return
            slash, rest = resolved
            try:
                options = parse_options(slash, rest)
            except UsageError as exc:
                text = f"{exc}. Usage: {usage(self.names.slack_name(slash.name), slash)}"
                await self._say(Reply(text=text), where, client)
                return
            actor = await self.identity.actor(community, command["user_id"], command.get("user_name", ""))
            invocation = Invocation(actor, community.id, where.channel_id, options)
            result = await invoke_slash(self.bus, slash.name, invocation)
            await self.render(result, where, client)

    # --- buttons, modals, shortcuts -----------------------------------------------------------

    async def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        container = body.get("container") or {}
        where = Where(
            user_id=body["user"]["id"],
            channel_id=(body.get("channel") or {}).get("id") or container.get("channel_id"),
            trigger_id=body.get("trigger_id"),
            respond=respond if body.get("response_url") else None,
            message_ts=container.get("message_ts"),
            ephemeral=bool(container.get("is_ephemeral")),
        )
        async with self._guard("button", where, client):
            community = await self._community((body.get("team") or {}).get("id"), where, client)
            if community is None:
                return
            actor = await self.identity.actor(community, where.user_id, body["user"].get("name", ""))
            key = str(action.get("action_id", ""))
            result = await invoke_button(self.bus, key, Invocation(actor, community.id, where.channel_id))
            await self.render(result, where, client)

    async def on_view(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        form_key, context, channel_id = form_metadata(view)
        where = Where(user_id=body["user"]["id"], channel_id=channel_id, trigger_id=body.get("trigger_id"))
        async with self._guard(f"form {form_key}", where, client):
            community = await self._community((body.get("team") or {}).get("id"), where, client)
            if community is None:
                return
            actor = await self.identity.actor(community, where.user_id, body["user"].get("name", ""))
            answers = form_answers(view)
            invocation = Invocation(actor, community.id, channel_id)
            result = await invoke_form(self.bus, form_key, invocation, answers, context)
            await self.render(result, where, client)

    async def on_shortcut(
        self, ack: Any, body: dict[str, Any], respond: Respond, client: AsyncWebClient
    ) -> None:
        await ack()
        message = body.get("message") or {}
        slack_events.drop_content(message)  # a shortcut only needs who wrote what where
        channel_id = (body.get("channel") or {}).get("id")
        where = Where(
            user_id=body["user"]["id"],
            channel_id=channel_id,
            trigger_id=body.get("trigger_id"),
            respond=respond,
        )
        async with self._guard(f"shortcut {body.get('callback_id')}", where, client):
            community = await self._community((body.get("team") or {}).get("id"), where, client)
            if community is None or body.get("type") != "message_action":
                return
            author = str(message.get("user") or message.get("bot_id") or "")
            target = MessageTarget(
                channel_id=str(channel_id),
                message_id=str(message.get("ts") or body.get("message_ts") or ""),
                author=MemberRef(PLATFORM, author),
                author_is_staff=self.directory.is_staff(community, author),
                author_is_bot=bool(message.get("bot_id")),
                # a reply in a thread names who started it: the asker
                thread_owner=MemberRef(PLATFORM, str(message["parent_user_id"]))
                if message.get("parent_user_id")
                else None,
                channel_name=str((body.get("channel") or {}).get("name") or ""),
            )
            actor = await self.identity.actor(community, where.user_id, body["user"].get("name", ""))
            invocation = Invocation(actor, community.id, channel_id)
            result = await invoke_message_action(self.bus, str(body.get("callback_id")), invocation, target)
            await self.render(result, where, client)

    # --- events --------------------------------------------------------------------------------

    async def _handle_event(self, event: Event, event_id: str) -> None:
        """A platform fact through the bus, its event id claimed in the same transaction (retries: no-ops)."""
        await self.bus.handle(event, source=Source(PLATFORM, event_id))

    async def _submit(self, event: Event, key: str) -> None:
        """High-volume facts go to the contribution sink, once per event id, without waiting: Slack has
        its answer already and a listener that waited would hold a task per event. What the sink cannot
        take it counts and reports."""
        if not self.recent.claim(key):
            return
        try:
            taken = self.sink.offer(event)
        except BaseException:
            self.recent.release(key)
            raise
        if not taken:
            self.recent.release(key)

    async def on_team_join(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        async with self._guard("team_join"):
            community = await self._community(body.get("team_id"), None, None)
            fact = community and slack_events.team_join(community.id, event, self.clock.now())
            if fact:
                await self._handle_event(fact, body["event_id"])

    async def on_member_joined_channel(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, client: AsyncWebClient
    ) -> None:
        async with self._guard("member_joined_channel"):
            community = await self._community(body.get("team_id"), None, None)
            if (
                community is None
                or community.slack is None
                or event.get("user") == context.get("bot_user_id")
            ):
                return
            if event.get("channel") in community.slack.member_channels:
                await self._adopt(community, str(event.get("user") or ""), client)
                return
            lobby = community.slack.channels.lobby
            if not lobby or event.get("channel") != lobby:
                return  # joins elsewhere say nothing new
            fact = slack_events.channel_join(community.id, event, self.clock.now())
            if fact is None:
                return
            await self._handle_event(fact, body["event_id"])
            actor = await self.identity.actor(community, fact.member.user_id)
            if not actor.roles:
                text = lobby_guide(community.name, community.gate.mode, self.registry)
                await client.chat_postEphemeral(
                    channel=lobby, user=fact.member.user_id, text=mrkdwn(text, self.names), **NO_PARSE
                )

    async def _adopt(self, community: CommunityConfig, user_id: str, client: AsyncWebClient) -> None:
        """Someone a person (not the gate) added to a member channel is a member too; for whoever the
        gate admitted (invited by the bot) this is a no-op."""
        if not user_id:
            return
        found = await client.users_info(user=user_id)
        person = existing_member(found.get("user") or {})
        if person is not None:
            await self.bus.handle(AdoptMembers(community_id=community.id, members=(person,)))

    async def on_subteam_members_changed(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A staff user group changed: roles follow at once, and whoever was added is a member."""
        async with self._guard("subteam_members_changed"):
            community = await self._community(body.get("team_id"), None, None)
            binding = community.slack if community is not None else None
            if community is None or binding is None:
                return
            if event.get("subteam_id") not in (*binding.moderator_groups, *binding.lead_groups):
                return
            await load_staff_groups(client, self.directory, community)
            for user_id in event.get("added_users") or ():
                await self._adopt(community, str(user_id), client)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        slack_events.drop_content(event)  # first: the text goes no further than this line
        async with self._guard("message event"):
            community = await self._community(body.get("team_id"), None, None)
            fact = community and slack_events.message_posted(community.id, event, self.clock.now())
            if fact:
                await self._submit(fact, body.get("event_id") or f"{fact.channel_id}:{fact.message_id}")

    async def on_reaction_added(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        async with self._guard("reaction_added"):
            community = await self._community(body.get("team_id"), None, None)
            fact = community and slack_events.reaction_added(community.id, event, self.clock.now())
            if fact:
                key = body.get("event_id") or f"{fact.channel_id}:{fact.message_id}:{fact.member.user_id}"
                await self._submit(fact, key)

    async def on_app_uninstalled(self, body: dict[str, Any]) -> None:
        self.directory.stop(str(body.get("team_id")), "the app was uninstalled")

    async def on_tokens_revoked(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("tokens") or {}).get("bot"):
            self.directory.stop(str(body.get("team_id")), "its bot token was revoked")
