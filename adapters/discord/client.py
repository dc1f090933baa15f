"""The discord.py client: intents, start-up work done once, and the event wiring.

`setup_hook` runs once per login, not on reconnects: it registers the persistent button and syncs the
application commands (only when they changed). `on_ready` fires again after every new gateway
session; it re-reads the invite counters, which may have moved while the bot was away, and the first
time starts adopting the existing members in the background (adapters/discord/adoption.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import discord
import yarl

from adapters.discord.adoption import PAGE_SIZE, Adoption, holds_membership
from adapters.discord.commands import command_payloads, sync_guild_commands
from adapters.discord.components import RouteButton
from adapters.discord.events import GatewayEvents
from adapters.discord.identity import Communities
from adapters.discord.interactions import ACK_BUDGET_SECONDS, InteractionRouter, ReplyHook
from adapters.discord.invites import InviteTracker
from adapters.discord.lean import LeanGateway
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.referrals import PersonalInvites
from bot.core.bus import MessageBus
from bot.core.contributions.ports import ContributionSink
from bot.core.ports import Clock
from bot.core.pseudonyms import pseudonym
from bot.relay import OutboxRelay

log = logging.getLogger("townsquare.discord")

# Exactly what Townsquare uses. Members (privileged) for joins, leaves and roles; invites for
# referral attribution; messages and reactions as metadata. No message content, no presences.
INTENTS = discord.Intents(guilds=True, members=True, guild_messages=True, guild_reactions=True, invites=True)


class TownsquareClient(discord.Client):
    """One client for every configured guild. `bind()` connects it to the core before `start()`."""

    def __init__(
        self,
        communities: Communities,
        clock: Clock,
        *,
        gateway_url: str | None = None,
        ack_budget: float = ACK_BUDGET_SECONDS,
        adopt_at_start: bool = True,
        member_page_size: int = PAGE_SIZE,
        **options: Any,
    ) -> None:
        options.setdefault("intents", INTENTS)
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("chunk_guilds_at_startup", False)  # members arrive with events and interactions
        options.setdefault("max_messages", None)  # no message cache: nothing reads old messages
        super().__init__(**options)
        self.communities = communities
        self.clock = clock
        self.gateway_url = gateway_url
        self.ack_budget = ack_budget
        self.tracker = InviteTracker()
        self.notifier = DiscordNotifier(self, communities, clock, self.tracker)
        self.router: InteractionRouter | None = None
        self.gateway_events: GatewayEvents | None = None
        self.lean: LeanGateway | None = None
        self.started_once = False
        self.invites_read = asyncio.Event()  # set once the invite counters are known (tests wait on it)
        self.synced_guilds: list[int] = []
        self.adopt_at_start = adopt_at_start
        self.member_page_size = member_page_size
        self.adoption: Adoption | None = None
        self.adopted = asyncio.Event()  # set once the start-up adoption has finished (tests wait on it)
        self._background: set[asyncio.Task[Any]] = set()

    def bind(
        self,
        bus: MessageBus,
        sink: ContributionSink,
        hooks: Mapping[str, ReplyHook] | None = None,
    ) -> TownsquareClient:
        """Attach the core: the bus for commands and member events, the sink (the app's contribution
        ingest) for messages and reactions."""
        self.notifier.referrals.follow_up = bus.handle
        # The /refer answer delivers the member's new invite at once, through the same outbox.
        prompt = OutboxRelay(bus.uow_factory, bus.clock, {"discord": self.notifier})
        default_hooks: dict[str, ReplyHook] = {"refer": PersonalInvites(prompt, self.notifier.referrals)}
        self.router = InteractionRouter(
            bus,
            bus.registry,
            self.communities,
            hooks={**default_hooks, **(hooks or {})},
            ack_budget=self.ack_budget,
        )
        self.gateway_events = GatewayEvents(bus, self.communities, self.tracker, sink, self.clock)
        self.lean = LeanGateway(self, self.communities, sink, self.clock, self.gateway_events.recent)
        self.adoption = Adoption(bus, self.communities.by_guild.values(), page_size=self.member_page_size)
        return self

    # --- start-up, once ---------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        if self.router is None:
            raise RuntimeError("TownsquareClient.bind(bus) must be called before start()")
        if self.started_once:
            return
        self.started_once = True
        self.add_dynamic_items(RouteButton)
        self._watch_member_updates()
        self._resume_through_proxy()
        if self.lean is not None:
            self.lean.install(self._connection.parsers)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Write each guild's commands when they differ from the registry's."""
        assert self.router is not None, "bind() first"
        payloads = command_payloads(self.router.registry)
        assert self.application_id is not None
        for guild_id in self.communities.guild_ids:
            try:
                if await sync_guild_commands(self.http, self.application_id, guild_id, payloads):
                    self.synced_guilds.append(guild_id)
            except discord.Forbidden:
                log.error(
                    "guild %s: cannot register slash commands; invite the bot with the "
                    "applications.commands scope (docs/discord.md)",
                    guild_id,
                )

    async def on_ready(self) -> None:
        for guild_id in self.communities.guild_ids:
            guild = self.get_guild(guild_id)
            if guild is None:
                log.error("the bot is not in guild %s; invite it with the URL in docs/discord.md", guild_id)
                continue
            await self.tracker.prime(guild)
        self.invites_read.set()
        log.info("connected to Discord as %s for %d guild(s)", self.user, len(self.communities.guild_ids))
        if self.adoption is not None and self.adopt_at_start and not self.adopted.is_set():
            if not any(t.get_name() == "townsquare-adoption" for t in self._background):
                self._spawn(self._adopt_existing(), "townsquare-adoption")

    async def _adopt_existing(self) -> None:
        """Existing members become members, once per start; interactions are served meanwhile."""
        assert self.adoption is not None
        try:
            await self.adoption.adopt_all(self.http)
        except Exception:  # noqa: BLE001  (logged once here; the bot keeps serving)
            log.exception("adopting the existing members failed; `townsquare members import` retries it")
        finally:
            self.adopted.set()

    async def idle(self) -> None:
        """Wait until the background work (adoption, member updates) has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._background.discard)

    def _watch_member_updates(self) -> None:
        """See every GUILD_MEMBER_UPDATE. discord.py dispatches `on_member_update` only for members in
        its cache, and a large guild's members mostly are not (no chunking at start), so a role a
        human grants to one of them would go unseen: wrap the parser instead (the same dict the
        websocket reads its parsers from)."""
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers
        parse = parsers["GUILD_MEMBER_UPDATE"]

        def parse_and_watch(data: Any) -> None:
            held_before = self._held_membership(data)
            parse(data)
            if self.adoption is not None and held_before is not True:
                self._spawn(self._member_updated(data, bool(held_before)), "townsquare-member-update")

        parsers["GUILD_MEMBER_UPDATE"] = parse_and_watch

    def _held_membership(self, data: Any) -> bool | None:
        """Whether the cached member held a membership role before this update; None: not cached."""
        community = self.communities.for_guild(int(data.get("guild_id", 0)))
        guild = self.get_guild(int(data.get("guild_id", 0)))
        member = guild.get_member(int(data["user"]["id"])) if guild is not None else None
        if member is None or community is None or community.discord is None:
            return None
        return holds_membership(member.id, [r.id for r in member.roles], community.discord)

    async def _member_updated(self, data: Any, held_before: bool) -> None:
        assert self.adoption is not None
        try:
            await self.adoption.role_changed(data, held_before)
        except Exception:  # noqa: BLE001  (one member update; logged, the next one still counts)
            log.exception(
                "adopting member %s after a role change failed",
                pseudonym(str(data.get("user", {}).get("id"))),
            )

    async def close(self) -> None:
        for task in list(self._background):  # adoption stops with the bot; the next start resumes it
            task.cancel()
        await super().close()

    def _resume_through_proxy(self) -> None:
        """discord.py resumes at READY's resume_gateway_url; behind a gateway proxy, resume through it.
        A READY parser wrapper, not `on_socket_event_type`: that listener costs a task per frame."""
        if not self.gateway_url:
            return
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers
        parse, proxy = parsers["READY"], yarl.URL(self.gateway_url)

        def parse_ready(data: Any) -> None:
            parse(data)
            if self.ws is not None:
                self.ws.gateway = proxy

        parsers["READY"] = parse_ready

    # --- events -----------------------------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if self.router is not None:
            await self.router.on_interaction(interaction)

    async def on_member_join(self, member: discord.Member) -> None:
        if self.gateway_events is not None:
            await self.gateway_events.member_joined(member)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        if self.gateway_events is not None:
            await self.gateway_events.member_removed(payload)

    async def on_invite_create(self, invite: discord.Invite) -> None:
        if invite.guild is not None:
            self.tracker.created(invite.guild.id, invite.code, invite.max_uses or 0)
