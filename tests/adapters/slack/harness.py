"""Townsquare's Slack app running for a test: the real bolt app over HTTP on loopback (requests signed
as Slack signs them), the real bus on a real database, and Web API calls going to the fake Slack."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.app import SlackAdapter
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.bus import JobRun, Message, MessageBus, Source
from bot.core.events import Event
from bot.core.handlers import HandlerTable
from bot.core.members import Member, MemberStatus
from bot.core.refs import Actor, MemberRef
from bot.core.registry import Built, Registry
from bot.core.replies import Reply
from bot.features import assemble
from storage.tables import OutboxRow
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import (
    BOT_USER_ID,
    RESPONSE_URL_CALL,
    TEAM_ID,
    UPLOAD_CALL,
    ApiCall,
    BoltAppServer,
    FakeSlackApi,
    SlackSender,
)
from tests.conftest import COMMUNITY

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them

MOD = "U0MOD0001"
LEAD = "U0LEAD001"
MEMBER = "U0MEMBER1"
NEWCOMER = "U0NEWBIE1"
OUTSIDER = "U0OUTSIDE"
LOBBY = "C0LOBBY01"
APPLICATIONS = "C0APPLY01"
ANNOUNCEMENTS = "C0ANNOUNC"
WELCOME = "C0WELCOME"
DIGEST = "C0DIGEST1"
MEMBER_CHANNELS = ("C0MEMBERS", "C0PROJECT")


CHAMPIONS = "S0CHAMPS"  # the user group of the champion tier


def slack_settings(
    db_url: str,
    api_base_url: str,
    slack_options: dict[str, Any] | None = None,
    community: dict[str, Any] | None = None,
    **binding: Any,
) -> Settings:
    """One Slack community bound to the fake's workspace; keyword args override its binding."""
    slack_binding: dict[str, Any] = {
        "team_id": TEAM_ID,
        "moderator_users": [MOD],
        "lead_users": [LEAD],
        "usergroups": {"champion": CHAMPIONS},
        "member_channels": list(MEMBER_CHANNELS),
        "channels": {
            "lobby": LOBBY,
            "applications": APPLICATIONS,
            "announcements": ANNOUNCEMENTS,
            "welcome": WELCOME,
            "digest": DIGEST,
        },
    }
    slack_binding.update(binding)
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "outbox": {"max_attempts": 3, "base_delay_seconds": 1.0},
            "slack": {
                "bot_token": BOT_TOKEN,
                "signing_secret": SIGNING_SECRET,
                "api_base_url": api_base_url,
                **(slack_options or {}),
            },
            "communities": [
                {
                    "id": COMMUNITY,
                    "name": "Test Community",
                    "platform": "slack",
                    "slack": slack_binding,
                    **(community or {}),
                }
            ],
        }
    )


def prepare_fake(fake: FakeSlackApi) -> None:
    """The workspace the tests act in: its channels (the bot is in them) and its people."""
    for channel_id, name, private in (
        (LOBBY, "lobby", False),
        (APPLICATIONS, "applications", True),
        (ANNOUNCEMENTS, "announcements", False),
        (WELCOME, "welcome", False),
        (DIGEST, "digest", True),
        (MEMBER_CHANNELS[0], "members", True),
        (MEMBER_CHANNELS[1], "projects", True),
    ):
        fake.add_channel(channel_id, name, is_private=private, members=[BOT_USER_ID])
    for user in (MOD, LEAD, MEMBER, NEWCOMER, OUTSIDER):
        fake.add_user(user)


class RecordingSink:
    """The contribution sink port, recording what the adapter submits."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def submit(self, event: Event) -> None:
        self.offer(event)

    def offer(self, event: Event) -> bool:
        self.events.append(event)
        return True


class CountingBus:
    """The real bus, counting what reaches it (a rejected request must not)."""

    def __init__(self, inner: MessageBus) -> None:
        self.inner = inner
        self.calls: list[Any] = []

    @property
    def registry(self) -> Registry:
        return self.inner.registry

    @property
    def handlers(self) -> HandlerTable:
        return self.inner.handlers

    async def handle(
        self,
        message: Message,
        actor: Actor | None = None,
        *,
        source: Source | None = None,
        job: JobRun | None = None,
    ) -> Reply | Built:
        self.calls.append(message)
        return await self.inner.handle(message, actor, source=source, job=job)


@dataclass
class Running:
    app: App
    adapter: SlackAdapter
    fake: FakeSlackApi
    slack: SlackSender
    server: BoltAppServer
    sink: RecordingSink
    bus: CountingBus
    engine: AsyncEngine
    allowed_mentions: set[str] = field(default_factory=set)

    async def settle(self) -> None:
        """Wait for the listeners bolt left running after acknowledging."""
        await self.server.settle(within=10)

    async def deliver(self) -> int:
        """Run the outbox relay once (the notifier talks to the fake)."""
        return await self.app.relay.run_once()

    def responses(self) -> list[dict[str, Any]]:
        """What was posted to response_urls (ephemeral and in-channel replies, replacements)."""
        return [call.params for call in self.fake.calls_to(RESPONSE_URL_CALL)]

    async def outbox_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)

    async def member(self, user_id: str) -> Member | None:
        async with self.app.uow_factory() as uow:
            return await uow.members.by_ref(COMMUNITY, MemberRef("slack", user_id))

    async def admit(self, user_id: str) -> Member:
        """Make someone an admitted member directly in the database."""
        async with self.app.uow_factory() as uow:
            member = await uow.members.upsert_seen(
                COMMUNITY, MemberRef("slack", user_id), self.app.clock.now()
            )
            member.status = MemberStatus.ADMITTED
            member.admitted_at = self.app.clock.now()
            await uow.members.save(member)
            await uow.commit()
            return member


def all_text(payload: Any) -> Iterable[str]:
    """Every string in a request's parameters (blocks included)."""
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, Mapping):
        for value in payload.values():
            yield from all_text(value)
    elif isinstance(payload, list | tuple):
        for value in payload:
            yield from all_text(value)


# A date token (`<!date^UNIX^format|fallback>`) shows a time and pings no one.
_SPECIAL = re.compile(r"<#|<!(?!date\^\d+\^[^|<>]*\|[^<>]*>)|<@(?![UW][A-Z0-9]+>)")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def special_mentions(calls: Iterable[ApiCall], allowed_users: set[str]) -> list[str]:
    """Every `<!…>`, `<#…>` or malformed `<@…` in what was sent, and user mentions outside `allowed_users`."""
    found: list[str] = []
    for call in calls:
        for text in all_text(call.params):
            found += [m.group(0) for m in _SPECIAL.finditer(text)]
            found += [m.group(0) for m in _USER_MENTION.finditer(text) if m.group(1) not in allowed_users]
    return found


@asynccontextmanager
async def running(
    engine: AsyncEngine,
    db_url: str,
    clock: FixedClock,
    fake: FakeSlackApi,
    *,
    registry: Registry = REGISTRY,
    handlers: HandlerTable | None = None,
    slack_options: dict[str, Any] | None = None,
    community: dict[str, Any] | None = None,
    **binding: Any,
) -> AsyncIterator[Running]:
    """Start the Slack app for one test; on exit, check nothing sent carried a special mention."""
    prepare_fake(fake)
    settings = slack_settings(db_url, fake.base_url, slack_options, community, **binding)
    adapter = SlackAdapter(settings, registry=registry)
    app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)
    await app.ensure_communities()
    inner = app.bus
    if handlers is not None or registry is not app.bus.registry:
        inner = MessageBus(
            app.uow_factory,
            clock,
            handlers or app.bus.handlers,
            registry,
            app.bus.communities,
            on_commit=app.relay.wake,
        )
    bus = CountingBus(inner)
    sink = RecordingSink()
    bolt = adapter.attach(bus, app.uow_factory, clock, sink)
    async with BoltAppServer(bolt) as server:
        sender = SlackSender(server.url, SIGNING_SECRET, response_url=fake.response_url())
        run = Running(app, adapter, fake, sender, server, sink, bus, engine)
        run.allowed_mentions = {MOD, LEAD, MEMBER, NEWCOMER, OUTSIDER}
        yield run
        await run.settle()
    leaked = special_mentions(fake.calls, run.allowed_mentions)
    assert leaked == [], f"special mentions went out: {leaked}"
    web_api = [c for c in fake.calls if c.method not in (RESPONSE_URL_CALL, UPLOAD_CALL)]
    assert all(c.token == BOT_TOKEN for c in web_api), "a Web API call went out without the bot token"
