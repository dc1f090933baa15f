"""Test-local core entries for driving the Discord adapter: a registry, commands and handlers that
exercise every kind of invocation and effect, a recording contribution sink, and the guild layout."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.effects import (
    CreateReferralInvite,
    DirectMessage,
    EditMessage,
    GrantMemberAccess,
    PostMessage,
)
from bot.core.events import Event, MemberJoined, MemberLeft
from bot.core.feature import Assembly, Feature
from bot.core.gates.commands import AttachInvite
from bot.core.handlers import HandlerTable
from bot.core.refs import MemberRef
from bot.core.registry import (
    ButtonRoute,
    Option,
    OptionType,
    Registry,
    SlashCommand,
)
from bot.core.replies import Action, ActionStyle, Field, FormField, OpenForm, Reply
from bot.core.text import mention, user_text
from tests.adapters.kit_feature import Answer, SubmitSurvey, kit_feature

POST_KEY = "thing:1"
MANY = tuple(f"topic-{i:02d}" for i in range(40))


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class Announce(Command):
    text: str
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class ApproveThing(Command):
    thing_id: str
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class Rsvp(Command):
    event_id: str
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class Slow(Command):
    seconds: float
    public: bool = False
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class GiveCode(Command):
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class CloseTopic(Command):
    """Named by /topic close, which only answers but is for leads."""

    permission: ClassVar[Permission] = Permission.LEAD


@dataclass
class Recorder:
    """What the test handlers saw."""

    commands: list[Command] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    applicant: MemberRef | None = None


def build(recorder: Recorder) -> tuple[Registry, HandlerTable]:
    """A registry and handler table covering slash commands (with subcommands, typed options and many
    choices), a form, moderator and member buttons, a message action (the shared kit feature's) and slow
    work."""
    feature = Feature("discord-kit")

    @feature.command(Ping)
    async def ping(cmd: Ping, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        assert ctx.actor is not None
        return Reply(text=f"pong {mention(ctx.actor.ref)} @everyone <@&1234567890123456789>")

    @feature.command(Announce)
    async def announce(cmd: Announce, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        applicant = recorder.applicant or MemberRef("discord", "1")
        await ctx.send(
            PostMessage(
                cmd.community_id,
                "applications",
                f"{mention(applicant)} asks: {user_text(cmd.text)}",
                actions=(
                    Action("Approve", "thing:approve:1", ActionStyle.SUCCESS),
                    Action("Going", "thing:rsvp:7", ActionStyle.PRIMARY),
                ),
                message_key=POST_KEY,
            )
        )
        return Reply(text="Posted.")

    @feature.command(ApproveThing)
    async def approve(cmd: ApproveThing, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        assert ctx.actor is not None
        applicant = recorder.applicant or MemberRef("discord", "1")
        await ctx.send(
            EditMessage(
                cmd.community_id, POST_KEY, f"Approved by {mention(ctx.actor.ref)}: {mention(applicant)}"
            )
        )
        await ctx.send(GrantMemberAccess(cmd.community_id, applicant))
        await ctx.send(DirectMessage(cmd.community_id, applicant, "You're in! @here"))
        return Reply(text="Approved.")

    @feature.command(Rsvp)
    async def rsvp(cmd: Rsvp, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        return Reply(
            text="1 going", update_original=True, actions=(Action("Going", f"thing:rsvp:{cmd.event_id}"),)
        )

    @feature.command(SubmitSurvey)
    async def survey(cmd: SubmitSurvey, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        return Reply(text="Thanks for answering.")

    @feature.command(Slow)
    async def slow(cmd: Slow, ctx: Context) -> Reply:
        await asyncio.sleep(cmd.seconds)
        recorder.commands.append(cmd)
        return Reply(text="Finally done.", private=not cmd.public)

    @feature.command(GiveCode)
    async def give_code(cmd: GiveCode, ctx: Context) -> Reply:
        # like the core's /refer: a new code asks for its personal invite in the same transaction
        assert ctx.actor is not None
        await ctx.send(
            CreateReferralInvite(
                cmd.community_id, "ABCDE-FGHJK", ctx.actor.ref, 3, ctx.now() + timedelta(days=7)
            )
        )
        return Reply(
            title="Your referral code",
            text="Here is your new referral code.",
            fields=(Field("Code", "ABCDE-FGHJK"), Field("Uses left", "3"), Field("Expires", "soon")),
        )

    @feature.command(AttachInvite)
    async def attach_invite(cmd: AttachInvite, ctx: Context) -> Reply:
        recorder.commands.append(cmd)
        return Reply.nothing()

    @feature.event(MemberJoined)
    async def joined(event: MemberJoined, ctx: Context) -> None:
        recorder.events.append(event)

    @feature.event(MemberLeft)
    async def left(event: MemberLeft, ctx: Context) -> None:
        recorder.events.append(event)

    feature.slash(
        SlashCommand(
            "ping",
            "Answers privately",
            lambda inv: Ping(community_id=inv.community_id),
            command=Ping,
        )
    )
    feature.slash(
        SlashCommand(
            "announce",
            "Post something for moderators",
            lambda inv: Announce(community_id=inv.community_id, text=str(inv.options["text"])),
            options=(Option("text", "What to post", max_length=200),),
            command=Announce,
        )
    )
    feature.slash(
        SlashCommand(
            "survey",
            "Two questions",
            lambda inv: OpenForm(
                form_key="survey",
                title="A survey with a title much longer than Discord allows for modals",
                fields=(
                    FormField(
                        "first",
                        "What are you working on, and what brings you to this community?",
                        min_length=5,
                        max_length=300,
                    ),
                    FormField("second", "Anything else?", required=False, multiline=False, max_length=100),
                ),
                context="ctx-42",
            ),
            command=SubmitSurvey,
        )
    )
    feature.button(
        ButtonRoute(
            "thing",
            "approve",
            lambda inv, ident: ApproveThing(community_id=inv.community_id, thing_id=ident),
            command=ApproveThing,
        )
    )
    feature.button(
        ButtonRoute(
            "thing",
            "rsvp",
            lambda inv, ident: Rsvp(community_id=inv.community_id, event_id=ident),
            command=Rsvp,
        )
    )

    feature.slash(
        SlashCommand(
            "slow",
            "Takes its time",
            lambda inv: Slow(
                community_id=inv.community_id,
                seconds=float(inv.options.get("seconds", 0.5)),
                public=bool(inv.options.get("public", False)),
            ),
            options=(
                Option("seconds", "How long", OptionType.INTEGER, required=False, min_value=0, max_value=5),
                Option("public", "Answer for everyone", OptionType.BOOLEAN, required=False),
            ),
            command=Slow,
        )
    )
    feature.slash(
        SlashCommand(
            "topic pick",
            "Pick one of many topics",
            lambda inv: Reply(text=f"picked {inv.options['topic']} for {mention(inv.options['who'])}"),
            options=(Option("who", "For whom", OptionType.MEMBER), Option("topic", "Which", choices=MANY)),
            command=Answer,
        )
    )
    feature.slash(
        SlashCommand("topic close", "Lead only", lambda inv: Reply(text="closed"), command=CloseTopic)
    )
    feature.slash(
        SlashCommand(
            "refer",
            "Referral code",
            lambda inv: GiveCode(community_id=inv.community_id),
            command=GiveCode,
        )
    )
    app = Assembly()
    app.include(kit_feature(recorder.commands))
    app.include(feature)
    return app.registry, app.handlers


@dataclass
class RecordingSink:
    """A ContributionSink that keeps what it was given."""

    events: list[Event] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def submit(self, event: Event) -> None:
        self.offer(event)

    def offer(self, event: Event) -> bool:
        self.events.append(event)
        self.arrived.set()
        return True

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Event]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.events


def community_config(guild: Mapping[str, Any], ids: Mapping[str, int], **discord: Any) -> dict[str, Any]:
    """The [[communities]] entry binding the test guild, by the ids of its roles and channels."""
    binding: dict[str, Any] = {
        "guild_id": int(guild["id"]),
        "roles": {
            "member": ids["role:Member"],
            "moderators": [ids["role:Moderator"]],
            "leads": [ids["role:Lead"]],
            "badges": {"helper": ids["role:Helper"]},
            "tiers": {"advocate": ids["role:Helper"]},
        },
        "channels": {
            name: ids[f"channel:{name}"]
            for name in ("welcome", "applications", "announcements", "recognition", "digest", "cohort_parent")
        },
    }
    binding.update(discord)
    return {"id": "town", "name": "Town Square", "platform": "discord", "timezone": "UTC", "discord": binding}
