"""Test-local registry entries and handlers that exercise every path of the Slack adapter.

They stand in for features built elsewhere (gates, badges): a moderator-only post, a two-question
form whose submission posts decision buttons, a moderator button that edits the post and grants
access, and commands that wait for the test to let them finish; the form's submission and the
"Mark helpful" message action come from the kit feature shared with the Discord kit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.effects import EditMessage, GrantMemberAccess, PostMessage
from bot.core.errors import Conflict, NotFound
from bot.core.events import MemberJoined
from bot.core.feature import Assembly, Feature
from bot.core.handlers import HandlerTable
from bot.core.members import MemberStatus
from bot.core.membership.commands import ShowHelp
from bot.core.membership.handlers import record_member_joined, show_help
from bot.core.refs import MemberRef
from bot.core.registry import (
    ButtonRoute,
    Form,
    MessageAction,
    Option,
    OptionType,
    Registry,
    SlashCommand,
)
from bot.core.replies import Action, ActionStyle, Field, FormField, OpenForm, Reply
from bot.core.text import mention, user_text
from tests.adapters.kit_feature import Answer, SubmitSurvey, kit_feature

QUESTIONS = ("What are you working on?", "What would you like to learn here?")
KEYS = ("working_on", "learn")  # the survey form's fields, in QUESTIONS' order


@dataclass(frozen=True, kw_only=True)
class PostNotice(Command):
    text: str
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class ApproveSurvey(Command):
    member_id: int
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class Slow(Command):
    """Waits until the test releases it: proves the request was acknowledged before the work."""

    via: str
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass
class Kit:
    registry: Registry = field(default_factory=Registry)
    handlers: HandlerTable = field(default_factory=HandlerTable)
    seen: list[Any] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold_joins: bool = False


def build_kit() -> Kit:
    """A fresh registry and handler table (tests never touch the global REGISTRY/HANDLERS)."""
    kit = Kit()
    feature = Feature("slack-kit")

    # --- commands -----------------------------------------------------------------------------
    feature.slash(
        SlashCommand(
            name="help",
            description="What Townsquare can do for you here",
            build=lambda inv: ShowHelp(community_id=inv.community_id),
            command=ShowHelp,
        )
    )
    feature.command(ShowHelp)(show_help)

    feature.slash(
        SlashCommand(
            name="notice",
            description="Post a notice (moderators)",
            options=(Option("text", "What to say"),),
            build=lambda inv: PostNotice(community_id=inv.community_id, text=inv.options["text"]),
            command=PostNotice,
        )
    )

    @feature.command(PostNotice)
    async def post_notice(cmd: PostNotice, ctx: Context) -> Reply:
        assert ctx.actor is not None
        await ctx.send(
            PostMessage(
                cmd.community_id,
                "announcements",
                f"{mention(ctx.actor.ref)} says: {user_text(cmd.text)}",
                message_key="notice:1",
            )
        )
        return Reply(text="Posted.")

    def echo(inv: Any) -> Reply:
        who: MemberRef = inv.options["who"]
        times = inv.options.get("times", 1)
        note = user_text(inv.options.get("note", ""))
        return Reply(text=f"{mention(who)} ×{times}: {note}", private=False)

    feature.slash(
        SlashCommand(
            name="echo",
            description="Repeat after me",
            options=(
                Option("who", "Someone", OptionType.MEMBER),
                Option("times", "How often", OptionType.INTEGER, required=False, min_value=1, max_value=5),
                Option("note", "Anything", required=False),
            ),
            build=echo,
            command=Answer,
        )
    )
    feature.slash(
        SlashCommand(
            name="join",
            description="Join with a referral code",
            options=(Option("code", "The code a member gave you"),),
            build=lambda inv: Reply(
                text=f"Code {user_text(inv.options['code'])} noted. Next time: /join CODE."
            ),
            command=Answer,
        )
    )
    feature.slash(
        SlashCommand(
            name="mydata export",
            description="Export your data",
            build=lambda inv: Reply(text="Your export is on its way."),
            command=Answer,
        )
    )
    feature.slash(
        SlashCommand(
            name="mydata erase",
            description="Erase your data",
            options=(Option("confirm", "yes to confirm", OptionType.BOOLEAN),),
            build=lambda inv: Reply(text=f"erase confirmed={inv.options['confirm']}"),
            command=Answer,
        )
    )

    # --- the form, its decision buttons ----------------------------------------------------------
    feature.slash(
        SlashCommand(
            name="survey",
            description="Answer two questions",
            build=lambda inv: OpenForm(
                form_key="survey",
                title="Tell us about you",
                fields=(
                    FormField(KEYS[0], QUESTIONS[0], min_length=10, max_length=500),
                    FormField(KEYS[1], QUESTIONS[1], min_length=10, max_length=500),
                ),
                context="round-1",
            ),
            command=SubmitSurvey,
        )
    )

    @feature.command(SubmitSurvey)
    async def submit_survey(cmd: SubmitSurvey, ctx: Context) -> Reply:
        assert ctx.actor is not None
        kit.seen.append(cmd)
        member = await ctx.uow.members.upsert_seen(cmd.community_id, ctx.actor.ref, ctx.now())
        answers = dict(cmd.answers)
        await ctx.send(
            PostMessage(
                cmd.community_id,
                "applications",
                f"Application from {mention(member.ref)}",
                title="New application",
                fields=tuple(
                    Field(q, user_text(answers.get(key, ""))) for key, q in zip(KEYS, QUESTIONS, strict=True)
                ),
                actions=(
                    Action("Approve", f"survey:approve:{member.id}", ActionStyle.SUCCESS),
                    Action("Reject", f"survey:reject:{member.id}", ActionStyle.DANGER),
                ),
                message_key=f"survey:{member.id}",
            )
        )
        return Reply(text="Thanks! A moderator will look at your answers.")

    feature.button(
        ButtonRoute(
            area="survey",
            verb="approve",
            build=lambda inv, ident: ApproveSurvey(community_id=inv.community_id, member_id=int(ident)),
            command=ApproveSurvey,
        )
    )

    @feature.command(ApproveSurvey)
    async def approve_survey(cmd: ApproveSurvey, ctx: Context) -> Reply:
        assert ctx.actor is not None
        member = await ctx.uow.members.get(cmd.member_id)
        if member is None:
            raise NotFound("No such application.")
        if member.is_admitted:
            raise Conflict("Someone already decided this one.")
        member.status = MemberStatus.ADMITTED
        member.admitted_at = ctx.now()
        await ctx.uow.members.save(member)
        await ctx.send(
            EditMessage(
                cmd.community_id,
                f"survey:{member.id}",
                f"Approved by {mention(ctx.actor.ref)}: welcome {mention(member.ref)}!",
                title="Application approved",
            )
        )
        await ctx.send(GrantMemberAccess(cmd.community_id, member.ref))
        return Reply.nothing()

    feature.button(
        ButtonRoute(
            area="survey",
            verb="seen",
            build=lambda inv, ident: Reply(text=f"Seen by {mention(inv.actor.ref)}", update_original=True),
            command=Answer,
        )
    )

    # --- commands that wait for the test ----------------------------------------------------------
    feature.slash(
        SlashCommand(
            name="slow",
            description="Takes its time",
            build=lambda inv: Slow(community_id=inv.community_id, via="command"),
            command=Slow,
        )
    )
    feature.button(
        ButtonRoute(
            area="slow",
            verb="press",
            build=lambda inv, ident: Slow(community_id=inv.community_id, via="button"),
            command=Slow,
        )
    )
    feature.form(
        Form(
            key="slow",
            build=lambda inv, answers, ctx: Slow(community_id=inv.community_id, via="form"),
            command=Slow,
        )
    )
    feature.message_action(
        MessageAction(
            name="Slow",
            key="slow",
            build=lambda inv, target: Slow(community_id=inv.community_id, via="shortcut"),
            command=Slow,
        )
    )

    @feature.command(Slow)
    async def slow(cmd: Slow, ctx: Context) -> Reply:
        kit.seen.append(("slow started", cmd.via))
        await kit.release.wait()
        kit.seen.append(("slow finished", cmd.via))
        return Reply(text=f"done ({cmd.via})")

    # --- events --------------------------------------------------------------------------------
    feature.event(MemberJoined)(record_member_joined)

    @feature.event(MemberJoined)
    async def welcome(event: MemberJoined, ctx: Context) -> None:
        if kit.hold_joins:
            kit.seen.append(("join held", event.member.user_id))
            await kit.release.wait()
        # No dedupe key on purpose: a second run of this event would queue a second post.
        await ctx.send(PostMessage(event.community_id, "welcome", f"Welcome {mention(event.member)}!"))

    app = Assembly()
    app.include(kit_feature(kit.seen))  # first: its "Mark helpful" leads the manifest's shortcuts
    app.include(feature)
    kit.registry, kit.handlers = app.registry, app.handlers
    return kit
