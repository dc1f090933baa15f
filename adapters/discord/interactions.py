"""Interactions → registry → bus → an answer Discord accepts.

Every interaction is answered within a second: the work runs while a short budget (0.5 s) ticks;
finished in time, the answer (a reply, an edit of the pressed message, or a form) is the first
response; otherwise the interaction is deferred and the answer follows within the 15-minute token.
Discord's "unknown interaction" (10062) and "already acknowledged" (40060) are logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.commands import MESSAGE_COMMAND, complete, focused_option, invoked_name, option_values
from adapters.discord.components import KEY_TEMPLATE, build_modal, form_answers, parse_form_custom_id
from adapters.discord.identity import Communities, actor_for, member_ref, roles_of
from adapters.shared import RecentIds
from bot.config import CommunityConfig
from bot.core.bus import MessageBus
from bot.core.invoke import invoke_button, invoke_form, invoke_message_action, invoke_slash
from bot.core.refs import Actor, Role
from bot.core.registry import STALE_BUTTON, Invocation, MessageTarget, Registry
from bot.core.replies import OpenForm, Reply

log = logging.getLogger("townsquare.discord.interactions")

# Discord allows 3 s for the first response, but a person expects an answer within a second: work not
# done by then is deferred ("thinking…") and its answer follows. Fast work still answers directly.
ACK_BUDGET_SECONDS = 0.5
FOLLOW_UP_SECONDS = 14 * 60  # the interaction token lives 15 minutes
SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
NOT_HERE = "Townsquare is not set up for this server."
FORM_AGAIN = "That needs a form. Please run the command again."
UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED = 10062, 40060

Result = Reply | OpenForm
# A platform step after the core answered a slash command (e.g. minting the /refer invite).
ReplyHook = Callable[[discord.Interaction[Any], CommunityConfig, Actor, Reply], Awaitable[Reply]]


class InteractionRouter:
    """Routes slash commands, message actions, buttons, forms and autocomplete through the registry."""

    def __init__(
        self,
        bus: MessageBus,
        registry: Registry,
        communities: Communities,
        *,
        hooks: Mapping[str, ReplyHook] | None = None,
        ack_budget: float = ACK_BUDGET_SECONDS,
    ) -> None:
        self.bus = bus
        self.registry = registry
        self.communities = communities
        self.hooks = dict(hooks or {})
        self.ack_budget = ack_budget
        self._seen = RecentIds(5000)
        self._running: set[asyncio.Future[Result]] = set()

    # --- entry points ----------------------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Everything but buttons (those arrive through RouteButton's callback)."""
        if not self._seen.claim(f"interaction:{interaction.id}"):
            return  # a replayed INTERACTION_CREATE: answered already
        kind = interaction.type
        if kind is discord.InteractionType.application_command:
            await self._command(interaction)
        elif kind is discord.InteractionType.autocomplete:
            await self._autocomplete(interaction)
        elif kind is discord.InteractionType.modal_submit:
            await self._form(interaction)
        elif kind is discord.InteractionType.component and not self._is_route_button(interaction):
            await self._safely(interaction.response.send_message(STALE_BUTTON, ephemeral=True))

    async def on_button(self, interaction: discord.Interaction[Any], key: str) -> None:
        """A RouteButton was pressed: the registry decides who may press it and what it does."""
        if not self._seen.claim(f"button:{interaction.id}"):
            return  # a replayed INTERACTION_CREATE: answered already
        context = self._context(interaction)
        if context is None:
            await self._answer(interaction, _reply(NOT_HERE), component=True)
            return
        community, actor = context
        invocation = Invocation(actor, community.id, _channel(interaction))
        await self._answer(interaction, invoke_button(self.bus, key, invocation), component=True)

    # --- commands --------------------------------------------------------------------------------

    async def _command(self, interaction: discord.Interaction[Any]) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        context = self._context(interaction)
        if context is None:
            await self._answer(interaction, _reply(NOT_HERE))
            return
        community, actor = context
        if data.get("type") == MESSAGE_COMMAND:
            await self._message_action(interaction, data, community, actor)
            return
        name, raw = invoked_name(data)
        command = self.registry.commands.get(name)
        invocation = Invocation(actor, community.id, _channel(interaction), option_values(command, raw))
        work = invoke_slash(self.bus, name, invocation)
        hook = self.hooks.get(name)
        await self._answer(interaction, _then(work, hook, interaction, community, actor) if hook else work)

    async def _message_action(
        self,
        interaction: discord.Interaction[Any],
        data: Mapping[str, Any],
        community: CommunityConfig,
        actor: Actor,
    ) -> None:
        action = next((a for a in self.registry.message_actions.values() if a.name == data.get("name")), None)
        target_id = str(data.get("target_id", ""))
        message = (data.get("resolved") or {}).get("messages", {}).get(target_id)
        if action is None or message is None:
            await self._answer(interaction, _reply("That action is not available."))
            return
        author = message.get("author") or {}
        replied = ((message.get("referenced_message") or {}).get("author") or {}).get("id")
        channel = interaction.channel
        owner = channel.owner_id if isinstance(channel, discord.Thread) else None
        target = MessageTarget(
            channel_id=str(message.get("channel_id", interaction.channel_id)),
            message_id=target_id,
            author=member_ref(int(author.get("id", 0))),
            author_is_staff=self._is_staff(interaction, community, author, message),
            author_is_bot=bool(author.get("bot")),
            thread_owner=member_ref(owner) if owner else None,
            reply_to=member_ref(int(replied)) if replied else None,
            channel_name=_channel_name(channel),
        )
        invocation = Invocation(actor, community.id, _channel(interaction))
        await self._answer(interaction, invoke_message_action(self.bus, action.key, invocation, target))

    def _is_staff(
        self,
        interaction: discord.Interaction[Any],
        community: CommunityConfig,
        author: Mapping[str, Any],
        message: Mapping[str, Any],
    ) -> bool:
        assert community.discord is not None
        user_id = int(author.get("id", 0))
        member = interaction.guild.get_member(user_id) if interaction.guild else None
        if member is not None:
            role_ids = [r.id for r in member.roles]
        else:  # not cached: the resolved message may carry the author's member roles
            role_ids = [int(r) for r in (message.get("member") or {}).get("roles", [])]
        roles = roles_of(user_id, role_ids, community.discord)
        return Role.MODERATOR in roles or Role.LEAD in roles

    async def _autocomplete(self, interaction: discord.Interaction[Any]) -> None:
        name, raw = invoked_name(interaction.data or {})
        command = self.registry.commands.get(name)
        focused = focused_option(raw)
        choices: list[str] = []
        if command is not None and focused is not None:
            option = next((o for o in command.options if o.name == focused[0]), None)
            if option is not None:
                choices = complete(option, focused[1])
        await self._safely(
            interaction.response.autocomplete([app_commands.Choice(name=c, value=c) for c in choices])
        )

    async def _form(self, interaction: discord.Interaction[Any]) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        parsed = parse_form_custom_id(str(data.get("custom_id", "")))
        context = self._context(interaction)
        if parsed is None or context is None:
            await self._answer(interaction, _reply(NOT_HERE if context is None else "This form has expired."))
            return
        community, actor = context
        form_key, form_context = parsed
        invocation = Invocation(actor, community.id, _channel(interaction))
        work = invoke_form(self.bus, form_key, invocation, form_answers(data), form_context)
        await self._answer(interaction, work, component=interaction.message is not None)

    # --- who, where ------------------------------------------------------------------------------

    def _context(self, interaction: discord.Interaction[Any]) -> tuple[CommunityConfig, Actor] | None:
        community = self.communities.for_guild(interaction.guild_id)
        user: discord.Member | discord.User = interaction.user
        if community is None and interaction.guild_id is None:
            # A button in a DM: the community whose guild this person is in (if just one).
            homes = [
                (c, m)
                for c in self.communities.by_guild.values()
                if (g := interaction.client.get_guild(c.discord.guild_id if c.discord else 0)) is not None
                and (m := g.get_member(user.id)) is not None
            ]
            if len(homes) == 1:
                community, user = homes[0]
            elif len(self.communities.by_guild) == 1:
                community = next(iter(self.communities.by_guild.values()))
        if community is None:
            return None
        return community, actor_for(user, community)

    def _is_route_button(self, interaction: discord.Interaction[Any]) -> bool:
        data = interaction.data
        custom_id = str(data.get("custom_id", "")) if data is not None else ""
        return bool(_ROUTE.fullmatch(custom_id))

    # --- answering -------------------------------------------------------------------------------

    async def _answer(
        self, interaction: discord.Interaction[Any], work: Awaitable[Result], *, component: bool = False
    ) -> None:
        task = asyncio.ensure_future(_guarded(work))
        self._running.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._running.discard)
        done, _ = await asyncio.wait({task}, timeout=self.ack_budget)
        if task in done:
            await self._safely(self._respond(interaction, task.result(), component))
            return
        deferred = await self._safely(self._defer(interaction, component))
        done, _ = await asyncio.wait({task}, timeout=FOLLOW_UP_SECONDS)
        if task not in done:  # the work goes on (its changes still commit); the answer cannot
            log.error("interaction %s: no answer within the token's lifetime", interaction.id)
            return
        if deferred:
            await self._safely(self._follow_up(interaction, task.result(), component))

    async def _respond(self, interaction: discord.Interaction[Any], result: Result, component: bool) -> None:
        response = interaction.response
        if isinstance(result, OpenForm):
            if interaction.type is discord.InteractionType.modal_submit:
                await response.send_message(FORM_AGAIN, ephemeral=True)
                return
            modal = build_modal(result)
            await response.send_modal(modal)
            modal.stop()  # the submission is routed statelessly (see components.py), not by discord.py
            return
        if result.silent:
            if component:
                await response.defer()
            else:
                await response.send_message("Done.", ephemeral=True)
            return
        out = render.from_reply(result)
        if result.update_original and component:
            await response.edit_message(**out.edit_kwargs())
        else:
            await response.send_message(**out.send_kwargs(), ephemeral=result.private)

    async def _defer(self, interaction: discord.Interaction[Any], component: bool) -> None:
        if component:
            await interaction.response.defer()  # "deferred update": nothing shows until we answer
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)

    async def _follow_up(
        self, interaction: discord.Interaction[Any], result: Result, component: bool
    ) -> None:
        if isinstance(result, OpenForm):  # too late for a form: a modal must be the first response
            result = Reply(text=FORM_AGAIN)
        if result.silent:
            if not component:
                await interaction.edit_original_response(content="Done.")
            return
        out = render.from_reply(result)
        if component:
            if result.update_original:
                await interaction.edit_original_response(**out.edit_kwargs())
            else:
                await interaction.followup.send(**out.send_kwargs(), ephemeral=result.private)
            return
        if result.private:
            await interaction.edit_original_response(**out.edit_kwargs())
        else:  # the "thinking…" placeholder was private; the answer is for everyone
            await interaction.delete_original_response()
            await interaction.followup.send(**out.send_kwargs())

    async def _safely(self, call: Awaitable[Any]) -> bool:
        """Run a Discord call for an interaction; a late or duplicate acknowledgement is logged."""
        try:
            await call
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_INTERACTION:
                log.warning("interaction answer failed: %s", exc)
            else:
                log.warning("interaction expired before it was answered (10062)")
            return False
        except discord.HTTPException as exc:
            if exc.code == ALREADY_ACKNOWLEDGED:
                log.warning("interaction was already acknowledged (40060)")
            else:
                log.error("interaction answer failed: %s %s", exc.status, exc.text[:200])
            return False
        except discord.InteractionResponded:
            log.warning("interaction was already answered")
            return False
        return True


_ROUTE = re.compile(KEY_TEMPLATE)


def _reply(text: str) -> Awaitable[Result]:
    async def now() -> Result:
        return Reply(text=text)

    return now()


async def _guarded(work: Awaitable[Result]) -> Result:
    """The answer, or an apology: an unexpected error is logged once here, at the edge."""
    try:
        return await work
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001  (the user gets an apology; the log gets the traceback)
        log.exception("interaction failed")
        return Reply(text=SORRY)


async def _then(
    work: Awaitable[Result],
    hook: ReplyHook,
    interaction: discord.Interaction[Any],
    community: CommunityConfig,
    actor: Actor,
) -> Result:
    result = await work
    if isinstance(result, Reply) and not result.silent:
        return await hook(interaction, community, actor, result)
    return result


def _channel_name(channel: object) -> str:
    """The channel's name; a thread's or forum post's is its parent channel's (the help forum)."""
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        return parent.name if parent is not None else ""
    return str(getattr(channel, "name", "") or "")


def _channel(interaction: discord.Interaction[Any]) -> str | None:
    return str(interaction.channel_id) if interaction.channel_id is not None else None
