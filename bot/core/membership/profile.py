"""/profile: a member's badges, the contributions that matter, cohort and interests."""

from __future__ import annotations

from bot.core.badges.ports import BadgeRepository
from bot.core.badges.rules import MemberStats
from bot.core.cohorts.buddy_rules import parse_interests
from bot.core.cohorts.ports import CohortRepository
from bot.core.context import Context
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import week_start
from bot.core.errors import NotFound
from bot.core.membership import feature
from bot.core.membership.commands import SetInterests, ShowProfile
from bot.core.membership.referrals import referral_fields
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Field, Reply
from bot.core.text import day, mention, user_text

INTERESTS_MAX_LENGTH = 300


@feature.command(ShowProfile)
async def show_profile(command: ShowProfile, ctx: Context) -> Reply:
    """Badges, helpful answers, referrals (by whom, whom, who activated), streak, cohort and interests."""
    member = await ctx.member_by_ref(command.member)
    if member is None or not member.is_admitted:
        raise NotFound(f"{mention(command.member)} isn't a member here, so there is no profile to show.")
    stats = (
        await ctx.uow.repo(ContributionRepository).stats(
            command.community_id, [member.id], week_start(ctx.now())
        )
    ).get(member.id, MemberStats())
    badges = []
    for award in await ctx.uow.repo(BadgeRepository).awards_of(member.id):
        badge = ctx.community.badges.get(award.badge_key)
        badges.append(f"{badge.emoji} {badge.name}".strip() if badge else award.badge_key)
    cohort = await ctx.uow.repo(CohortRepository).of_member(member.id)
    since = member.admitted_at or member.first_seen_at
    fields = [
        Field("Member since", day(since, ctx.community.zone)),
        Field("Badges", ", ".join(badges) or "none yet", inline=False),
        Field("Answers marked helpful", str(stats.helpful_answers)),
        *await referral_fields(ctx, member),
        Field("Active weeks in a row", str(stats.active_weeks)),
        Field("Cohort", cohort.cohort.name if cohort else "none"),
        Field("Interests", user_text(member.interests) or "not set (/profile interests:…)", inline=False),
    ]
    return Reply(
        text=mention(member.ref), title=user_text(member.display_name, 80) or "Profile", fields=tuple(fields)
    )


@feature.command(SetInterests)
async def set_interests(command: SetInterests, ctx: Context) -> Reply:
    """Store the member's declared interests, normalised (buddies are matched on them)."""
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    if member is None:
        raise NotFound("Townsquare doesn't know you yet. Say hello in the community first.")
    tags = parse_interests(command.interests)
    member.interests = ", ".join(tags)[:INTERESTS_MAX_LENGTH]
    await ctx.uow.members.save(member)
    if not tags:
        return Reply(text="Your interests are cleared.")
    return Reply(
        text=f"Your interests: {user_text(member.interests)}. Buddies and cohorts are matched on them."
    )


def _profile(inv: Invocation) -> ShowProfile | SetInterests | Reply:
    target = inv.options.get("member")
    interests = inv.options.get("interests")
    if interests is not None:
        if target is not None and target != inv.actor.ref:
            return Reply(text="You can only set your own interests. Leave out the member option.")
        return SetInterests(community_id=inv.community_id, member=inv.actor.ref, interests=str(interests))
    return ShowProfile(community_id=inv.community_id, member=target or inv.actor.ref)


feature.slash(
    SlashCommand(
        name="profile",
        description="A member's profile, or set your interests",
        build=_profile,
        options=(
            Option("member", "Whose profile (default: yours)", OptionType.MEMBER, required=False),
            Option(
                "interests",
                'Set your interests, comma-separated, e.g. "rust, ml"',
                required=False,
                max_length=INTERESTS_MAX_LENGTH,
            ),
        ),
        command=ShowProfile,
    )
)
