"""Fixtures for driving the real discord.py client against ``FakeDiscord``."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.discord.client import TownsquareClient
from adapters.discord.identity import Communities
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import CommunityConfig, Settings
from bot.core.bus import MessageBus
from bot.core.registry import Registry
from tests.adapters.discord.fake_discord import JSON, FakeDiscord, running_client
from tests.adapters.discord.kit import Recorder, RecordingSink, build, community_config


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running fake with discord.py's REST base and gateway URL pointed at it (restored afterwards)."""
    async with FakeDiscord() as fake:
        restore = fake.configure_discord()
        try:
            yield fake
        finally:
            restore()


@pytest.fixture
def intents() -> discord.Intents:
    """The intents Townsquare runs with: no message content, no presences."""
    return discord.Intents(guilds=True, members=True, guild_messages=True, guild_reactions=True)


@pytest.fixture
def town(fake_discord: FakeDiscord) -> JSON:
    """A registered guild with a ``Member`` role, #general and #welcome, and two members (alice, bob)."""
    fake = fake_discord
    member_role = fake.role("Member", position=2)
    alice = fake.member("alice")
    bob = fake.member("bob", roles=[member_role])
    return fake.guild(
        "Town Square", channels=["general", "welcome"], roles=[member_role], members=[alice, bob]
    )


@pytest.fixture
def make_client(intents: discord.Intents) -> Callable[..., discord.Client]:
    """Build a ``discord.Client`` tuned for tests (short guild-ready wait)."""

    def factory(**kwargs: Any) -> discord.Client:
        kwargs.setdefault("intents", intents)
        kwargs.setdefault("guild_ready_timeout", 0.05)
        return discord.Client(**kwargs)

    return factory


@pytest.fixture
def run_client(fake_discord: FakeDiscord) -> Callable[..., AbstractAsyncContextManager[discord.Client]]:
    """``async with run_client(client): ...`` starts the client against the fake and waits for ready."""

    def runner(
        client: discord.Client, token: str = "fake-token", timeout: float = 10.0
    ) -> AbstractAsyncContextManager[discord.Client]:
        return running_client(client, token, timeout=timeout)

    return runner


# --------------------------------------------------------------------------- Townsquare on the fake


@dataclass
class Square:
    """The test guild: its payload, role and channel ids by name, and its members by name."""

    guild: JSON
    ids: dict[str, int]
    members: dict[str, JSON]

    def member_id(self, name: str) -> int:
        return int(self.members[name]["user"]["id"])


@pytest.fixture
def square(fake_discord: FakeDiscord) -> Square:
    """A guild with Member/Moderator/Lead/Helper roles, every logical channel, and members: alice
    (member), mo (moderator), lee (lead), nina (newcomer, no roles)."""
    fake = fake_discord
    roles = {
        name: fake.role(name, position=i + 2)
        for i, name in enumerate(("Member", "Moderator", "Lead", "Helper"))
    }
    members = {
        "alice": fake.member("alice", roles=[roles["Member"]]),
        "mo": fake.member("mo", roles=[roles["Member"], roles["Moderator"]]),
        "lee": fake.member("lee", roles=[roles["Member"], roles["Lead"]]),
        "nina": fake.member("nina"),
    }
    names = ("general", "welcome", "applications", "announcements", "recognition", "digest", "cohort_parent")
    guild = fake.guild(
        "Town Square", channels=list(names), roles=list(roles.values()), members=list(members.values())
    )
    ids = {f"role:{n}": int(r["id"]) for n, r in roles.items()}
    ids |= {f"channel:{c['name']}": int(c["id"]) for c in guild["channels"]}
    return Square(guild=guild, ids=ids, members=members)


@dataclass
class Harness:
    """The app on a real database, a test registry and handlers on its bus, and clients to start."""

    fake: FakeDiscord
    square: Square
    settings: Settings
    app: App
    clock: FixedClock
    recorder: Recorder
    registry: Registry
    bus: MessageBus
    sink: RecordingSink
    clients: list[TownsquareClient] = field(default_factory=list)

    def client(
        self,
        *,
        registry: Registry | None = None,
        bus: MessageBus | None = None,
        ack_budget: float = 2.0,
        **options: Any,
    ) -> TownsquareClient:
        """A new client bound to the bus (one routing `registry` when given, with the same handlers); the
        relay delivers Discord effects through it."""
        options.setdefault("guild_ready_timeout", 0.05)
        client = TownsquareClient(
            Communities.of(self.settings.communities), self.clock, ack_budget=ack_budget, **options
        )
        bus = bus or self.bus
        if registry is not None:
            bus = MessageBus(
                bus.uow_factory, bus.clock, bus.handlers, registry, bus.communities, on_commit=bus.on_commit
            )
        client.bind(bus, self.sink)
        self.app.relay.notifiers["discord"] = client.notifier
        self.clients.append(client)
        return client

    @contextlib.asynccontextmanager
    async def running(self, client: TownsquareClient) -> AsyncIterator[TownsquareClient]:
        """Started and ready, with the invite counters read (joins are attributed from then on)."""
        async with running_client(client, "fake-token"):
            await asyncio.wait_for(client.invites_read.wait(), 5)
            yield client

    @property
    def community(self) -> CommunityConfig:
        return self.settings.communities[0]


@pytest.fixture
async def harness(
    fake_discord: FakeDiscord, square: Square, db_url: str, engine: AsyncEngine, clock: FixedClock
) -> AsyncIterator[Harness]:
    settings = Settings.model_validate(
        {"database": {"url": db_url}, "communities": [community_config(square.guild, square.ids)]}
    )
    app = build_app(settings, clock, {}, engine=engine)
    await app.ensure_communities()
    recorder = Recorder()
    registry, table = build(recorder)
    bus = MessageBus(app.uow_factory, clock, table, registry, app.bus.communities, on_commit=app.relay.wake)
    yield Harness(fake_discord, square, settings, app, clock, recorder, registry, bus, RecordingSink())
    assert_no_mass_pings(fake_discord)


MESSAGE_WRITES = re.compile(
    r"/channels/\d+/messages(/\d+)?|/interactions/\d+/[^/]+/callback|/webhooks/\d+/[^/]+(/messages/[^/]+)?"
    r"|/channels/\d+/threads"
)


def assert_no_mass_pings(fake: FakeDiscord) -> None:
    """Every message the bot sent or edited carried allowed_mentions that ping no one but users named
    in its own content: never @everyone/@here, never a role."""
    for request in fake.requests:
        if request.method not in ("POST", "PATCH") or not MESSAGE_WRITES.fullmatch(request.path):
            continue
        payload = request.payload or {}
        if request.path.endswith("/threads"):
            if "message" not in payload:
                continue  # a thread without a message (a cohort's private thread)
            body = payload["message"]  # a forum post: its first message
        else:
            body = payload.get("data", payload) if "/callback" in request.path else payload
        if "/callback" in request.path and payload.get("type") not in (4, 7):
            continue
        mentions = body.get("allowed_mentions")
        assert mentions is not None, f"{request.method} {request.path} sent no allowed_mentions"
        assert mentions.get("parse") == [], f"{request.path}: parse must be empty, got {mentions}"
        assert "roles" not in mentions or mentions["roles"] == [], mentions
        pinged = {str(u) for u in mentions.get("users", [])}
        content = body.get("content") or ""
        assert pinged <= set(re.findall(r"<@!?(\d+)>", content)), (content, mentions)
        assert not re.search(r"@(everyone|here)", content), content
        assert not re.search(r"<@&\d+>", content), content
