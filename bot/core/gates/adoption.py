"""Day one on an existing community: the people already there are members.

Adapters page through the platform's member list (Discord: holders of the member, moderator or lead
role; Slack: members of the member channels and the staff user groups) and send AdoptMembers a page
at a time. Adopted members are admitted as of their platform join date by method `adopted`: they
are not newcomers (no cohort, no welcome) and not growth (the digest's admissions leave them out),
and they can refer, vote and be buddies at once. A lead adds one person with /admit.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.effects import GrantMemberAccess
from bot.core.errors import InvalidInput
from bot.core.gates import feature
from bot.core.gates.commands import AdmitMember, AdoptMembers, CompleteAdoption, ExistingMember
from bot.core.gates.common import award_founding
from bot.core.gates.ports import GateRepository
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Reply
from bot.core.text import day, mention


@feature.command(AdoptMembers)
async def adopt_members(command: AdoptMembers, ctx: Context) -> Reply:
    """Admit everyone in the page who is not a member yet; says how many were new (or would be)."""
    gates = ctx.uow.repo(GateRepository)
    if command.dry_run:
        would = await gates.not_admitted(ctx.community.id, command.members)
        return Reply(
            text=f"{would} of {len(command.members)} existing people would be adopted as members.",
            counts=(("adopted", would),),
        )
    adopted = await gates.adopt(ctx.community.id, command.members, ctx.now())
    return Reply(
        text=f"{len(adopted)} of {len(command.members)} existing people adopted as members.",
        counts=(("adopted", len(adopted)),),
    )


@feature.command(CompleteAdoption)
async def complete_adoption(command: CompleteAdoption, ctx: Context) -> Reply:
    """Founding badges for the earliest adopted members by join date, when the community asks for it."""
    limit = ctx.community.gate.founding_from_existing
    if limit == 0:
        return Reply(text="Adoption complete.", counts=(("founding", 0),))
    awarded = 0
    earliest = await ctx.uow.repo(GateRepository).earliest_adopted(ctx.community.id, limit)
    for rank, member in enumerate(earliest, start=1):
        joined = member.admitted_at or member.first_seen_at
        joined_on = day(joined, ctx.community.zone)
        reason = f"one of the first {limit} members (member #{rank}, joined {joined_on})"
        awarded += await award_founding(ctx, member, reason)
    return Reply(
        text=f"Adoption complete; {awarded} new founding member(s).", counts=(("founding", awarded),)
    )


@feature.command(AdmitMember)
async def admit_member(command: AdmitMember, ctx: Context) -> Reply:
    """A lead admits one person who is already in the community (no cohort, no referral)."""
    if ctx.actor is not None and command.member == ctx.actor.ref:
        raise InvalidInput("You are staff here already; /admit is for someone else.")
    person = ExistingMember(command.member, command.display_name)
    if not await ctx.uow.repo(GateRepository).adopt(ctx.community.id, [person], ctx.now()):
        existing = await ctx.uow.members.by_ref(ctx.community.id, command.member)
        if existing is not None and existing.is_bot:
            raise InvalidInput("Bots are never members.")
        return Reply(text=f"{mention(command.member)} is a member already.")
    await ctx.send(GrantMemberAccess(ctx.community.id, command.member))
    return Reply(text=f"{mention(command.member)} is now a member (admitted by a lead).")


def _admit(inv: Invocation) -> AdmitMember:
    return AdmitMember(community_id=inv.community_id, member=inv.options["member"])


feature.slash(
    SlashCommand(
        name="admit",
        description="Admit someone already in the community as a member (leads)",
        build=_admit,
        options=(Option("member", "Who to admit", OptionType.MEMBER),),
        command=AdmitMember,
    )
)
