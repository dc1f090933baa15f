"""Foundation handlers: members seen arriving and leaving, and /help."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import MemberJoined, MemberLeft
from bot.core.members import MemberStatus
from bot.core.membership import feature
from bot.core.membership.commands import ShowHelp
from bot.core.policy import allowed
from bot.core.registry import SlashCommand
from bot.core.replies import Reply


@feature.event(MemberJoined)
async def record_member_joined(event: MemberJoined, ctx: Context) -> None:
    """Remember whoever arrives; admission is the gates' decision, not the platform's."""
    member = await ctx.uow.members.upsert_seen(
        event.community_id, event.member, event.at, display_name=event.display_name, is_bot=event.is_bot
    )
    if member.status in (MemberStatus.LEFT, MemberStatus.REMOVED):
        member.status = MemberStatus.PENDING  # a returning person goes through the gate again
        member.left_at = None
        await ctx.uow.members.save(member)


@feature.event(MemberLeft)
async def record_member_left(event: MemberLeft, ctx: Context) -> None:
    """A member who leaves is marked left (their referral codes die with their membership)."""
    member = await ctx.uow.members.by_ref(event.community_id, event.member)
    if member is None or member.status is MemberStatus.LEFT:
        return
    member.status = MemberStatus.LEFT
    member.left_at = event.at
    await ctx.uow.members.save(member)


@feature.command(ShowHelp)
async def show_help(command: ShowHelp, ctx: Context) -> Reply:
    """List the slash commands the actor may use, with what each does (all of them for Townsquare itself)."""
    admitted = ctx.member is not None and ctx.member.is_admitted
    lines = [
        f"/{cmd.name} — {cmd.description}"
        for cmd in sorted(ctx.registry.commands.values(), key=lambda c: c.name)
        if ctx.actor is None or allowed(cmd.permission, ctx.actor, admitted=admitted)
    ]
    return Reply(
        text="\n".join(lines) or "No commands are available to you here.", title="Townsquare commands"
    )


feature.slash(
    SlashCommand(
        name="help",
        description="What Townsquare can do for you here",
        build=lambda inv: ShowHelp(community_id=inv.community_id),
        command=ShowHelp,
    )
)
