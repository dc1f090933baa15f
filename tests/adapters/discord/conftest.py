"""Fixtures for driving the real discord.py client against ``FakeDiscord``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import discord
import pytest

from tests.adapters.discord.fake_discord import JSON, FakeDiscord, running_client


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
