"""Referrals made visible: /profile says who referred a member and whom they referred (and whether
each newcomer activated, i.e. made a first contribution); leads see the whole tree with /referrals."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.errors import NotFound
from bot.core.members import Member, MemberStatus
from bot.core.membership import feature
from bot.core.membership.commands import ShowReferralTree
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Field, Reply
from bot.core.text import mention

PROFILE_LISTED = 10  # newcomers named on a profile; the rest are counted
TREE_DEPTH = 5  # levels below the member a lead's tree goes
TREE_LIMIT = 100  # members a tree names at most (a reply has to stay readable)


def activation(member: Member) -> str:
    """Whether a referred newcomer activated (made a first contribution), or why they could not."""
    if member.first_contribution_at is not None:
        return "contributed"
    if member.status is MemberStatus.ADMITTED:
        return "no contribution yet"
    return "not admitted" if member.status is MemberStatus.PENDING else "left"


async def referral_fields(ctx: Context, member: Member) -> list[Field]:
    """The profile's referral fields: the referrer, and the newcomers with their activation."""
    referrer = await ctx.uow.members.get(member.referred_by_id) if member.referred_by_id else None
    referred = await ctx.uow.members.referred_by([member.id])
    activated = sum(1 for newcomer in referred if newcomer.first_contribution_at is not None)
    lines = [f"{mention(newcomer.ref)}: {activation(newcomer)}" for newcomer in referred[:PROFILE_LISTED]]
    if len(referred) > PROFILE_LISTED:
        lines.append(f"and {len(referred) - PROFILE_LISTED} more")
    title = f"Referred ({len(referred)}, {activated} contributed)" if referred else "Referred"
    return [
        Field("Referred by", mention(referrer.ref) if referrer else "nobody (joined without a referral)"),
        Field(title, "\n".join(lines) or "nobody yet (/refer)", inline=False),
    ]


@feature.command(ShowReferralTree)
async def show_referral_tree(command: ShowReferralTree, ctx: Context) -> Reply:
    """Everyone referred from a member, level by level, with each newcomer's activation."""
    root = await ctx.uow.members.by_ref(command.community_id, command.member)
    if root is None:
        raise NotFound(f"Townsquare doesn't know {mention(command.member)} in this community.")
    children: dict[int, list[Member]] = {}
    seen = {root.id}
    frontier = [root.id]
    truncated = False
    for _ in range(TREE_DEPTH):
        level = [m for m in await ctx.uow.members.referred_by(frontier) if m.id not in seen]
        if len(seen) - 1 + len(level) > TREE_LIMIT:
            level = level[: TREE_LIMIT - (len(seen) - 1)]
            truncated = True
        for newcomer in level:
            seen.add(newcomer.id)
            children.setdefault(newcomer.referred_by_id or 0, []).append(newcomer)
        frontier = [m.id for m in level]
        if not frontier or truncated:
            break
    else:
        truncated = bool(await ctx.uow.members.referred_by(frontier))
    lines: list[str] = []

    def walk(member_id: int, depth: int) -> None:
        for newcomer in children.get(member_id, ()):
            lines.append(f"{'    ' * depth}• {mention(newcomer.ref)}: {activation(newcomer)}")
            walk(newcomer.id, depth + 1)

    walk(root.id, 0)
    referrer = await ctx.uow.members.get(root.referred_by_id) if root.referred_by_id else None
    head = f"Referrals from {mention(root.ref)}"
    head += f" (referred by {mention(referrer.ref)})" if referrer else " (joined without a referral)"
    everyone = [m for level in children.values() for m in level]
    activated = sum(1 for m in everyone if m.first_contribution_at is not None)
    if not everyone:
        return Reply(text=f"{head}: nobody yet.")
    summary = f"{len(everyone)} referred in all, {activated} contributed."
    if truncated:
        summary += f" Showing the first {len(everyone)} (up to {TREE_DEPTH} levels)."
    return Reply(text="\n".join([f"{head}:", *lines, summary]))


def _tree(inv: Invocation) -> ShowReferralTree:
    return ShowReferralTree(community_id=inv.community_id, member=inv.options["member"])


feature.slash(
    SlashCommand(
        name="referrals",
        description="Leads: whom a member referred, and whom those newcomers referred in turn",
        build=_tree,
        options=(Option("member", "Whose referrals", OptionType.MEMBER, required=True),),
        command=ShowReferralTree,
    )
)
