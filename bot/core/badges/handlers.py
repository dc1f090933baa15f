"""Badges: award once, announce publicly, evaluate stat rules; /badges and /leaderboard.

Other features never call in here: they emit events and badges reacts on the bus, in the same
transaction. BadgeEarned names a badge a feature awards for its own reason (AMA host, founding
member); MemberGraduated and IdeaShipped award every catalogue badge of their rule kind;
ContributionsRecorded re-evaluates the stat rules. Nothing here or elsewhere revokes an award: only a
member's own erasure deletes their badges.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.badges import feature
from bot.core.badges.commands import EvaluateBadges, ShowBadges, ShowLeaderboard
from bot.core.badges.events import BadgeAwarded, BadgeEarned
from bot.core.badges.ports import BadgeRepository
from bot.core.badges.rules import AWARDED_BY_EVENT, MemberStats, RuleKind, criteria, newly_earned
from bot.core.cohorts.events import MemberGraduated
from bot.core.context import Context
from bot.core.contributions.events import ContributionsRecorded
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import week_start
from bot.core.effects import AssignBadgeRole, PostMessage
from bot.core.errors import InvalidInput, NotFound
from bot.core.feedback.events import IdeaShipped
from bot.core.refs import MemberRef
from bot.core.registry import Option, SlashCommand
from bot.core.replies import Reply
from bot.core.text import day, mention, user_text

LEADERBOARD_SIZE = 10
PERIODS = ("week", "all")


async def award_badge(ctx: Context, member_id: int, ref: MemberRef, key: str, reason: str) -> bool:
    """Award a badge once; the first award emits BadgeAwarded (announcement, platform role)."""
    now = ctx.now()
    if not await ctx.uow.repo(BadgeRepository).award(ctx.community.id, member_id, key, reason, now):
        return False
    ctx.emit(
        BadgeAwarded(
            community_id=ctx.community.id,
            member_id=member_id,
            member=ref,
            badge_key=key,
            reason=reason,
            at=now,
        )
    )
    return True


async def award_for_rule(
    ctx: Context, member_id: int, ref: MemberRef, kind: RuleKind, reason: str
) -> list[str]:
    """Award every catalogue badge with this rule kind (AMA host, cohort graduate…); returns new keys."""
    return [
        badge.key
        for badge in ctx.community.badges.of_kind(kind)
        if await award_badge(ctx, member_id, ref, badge.key, reason)
    ]


async def evaluate_badges(ctx: Context, member_ids: tuple[int, ...] | list[int]) -> int:
    """Award the stat-based badges these members now qualify for; returns how many were awarded."""
    catalogue = ctx.community.badges.catalogue
    if not member_ids or all(RuleKind(badge.rule.kind) in AWARDED_BY_EVENT for badge in catalogue):
        return 0  # no stat rule could award anything: nothing to read
    candidates = await ctx.uow.repo(BadgeRepository).candidates(
        ctx.community.id, list(member_ids), week_start(ctx.now())
    )
    awarded = 0
    for candidate in candidates:
        for badge, why in newly_earned(catalogue, candidate.stats, candidate.held):
            awarded += await award_badge(ctx, candidate.member_id, candidate.member, badge.key, why)
    return awarded


@feature.event(ContributionsRecorded)
async def evaluate_contributors(event: ContributionsRecorded, ctx: Context) -> None:
    """New contributions may complete a badge: check the members they belong to."""
    await evaluate_badges(ctx, event.member_ids)


@feature.event(BadgeEarned)
async def award_earned(event: BadgeEarned, ctx: Context) -> None:
    """A feature says a member earned a badge for its own reason: award it once."""
    await award_badge(ctx, event.member_id, event.member, event.badge_key, event.reason)


@feature.event(MemberGraduated)
async def award_graduate(event: MemberGraduated, ctx: Context) -> None:
    """A cohort graduate gets every catalogue badge of the cohort-graduate rule."""
    await award_for_rule(
        ctx, event.member_id, event.member, RuleKind.COHORT_GRADUATE, f"completed {event.cohort_name}"
    )


@feature.event(IdeaShipped)
async def award_idea_author(event: IdeaShipped, ctx: Context) -> None:
    """The author of a shipped idea (built in: "shaped_the_product"), announced like any award."""
    if event.author_id is None or event.author is None:
        return
    await award_for_rule(
        ctx, event.author_id, event.author, RuleKind.IDEA_SHIPPED, f"idea #{event.idea_id} shipped"
    )


@feature.event(BadgeAwarded)
async def announce_badge(event: BadgeAwarded, ctx: Context) -> None:
    """Announce an award in the recognition channel and ask for the badge's platform role."""
    settings = ctx.community.badges
    badge = settings.get(event.badge_key)
    name = badge.name if badge else event.badge_key.replace("_", " ").title()
    emoji = f"{badge.emoji} " if badge and badge.emoji else ""
    text = f"{emoji}{mention(event.member)} earned the {name} badge: {user_text(event.reason, 200)}."
    key = f"{event.community_id}:{event.member_id}:{event.badge_key}"
    await ctx.send(
        PostMessage(event.community_id, settings.recognition_channel, text), dedupe_key=f"badge:{key}"
    )
    await ctx.send(
        AssignBadgeRole(event.community_id, event.member, event.badge_key), dedupe_key=f"badge-role:{key}"
    )


@feature.command(EvaluateBadges)
async def evaluate_recent_badges(command: EvaluateBadges, ctx: Context) -> Reply:
    """Weekly pass over members active in the last two weeks: streaks and ladder tiers."""
    since = week_start(ctx.now()) - timedelta(weeks=1)
    members = await ctx.uow.repo(ContributionRepository).recently_active(command.community_id, since)
    awarded = await evaluate_badges(ctx, members)
    return Reply(text=f"Checked {len(members)} active members; {awarded} badges awarded.")


@feature.command(ShowBadges)
async def show_badges(command: ShowBadges, ctx: Context) -> Reply:
    """The catalogue, with what the member holds and how far they are towards the rest."""
    member = await ctx.member_by_ref(command.member)
    if member is None:
        raise NotFound("Townsquare doesn't know you yet. Say hello in the community first.")
    stats = (
        await ctx.uow.repo(ContributionRepository).stats(
            command.community_id, [member.id], week_start(ctx.now())
        )
    ).get(member.id, MemberStats())
    awards = {a.badge_key: a for a in await ctx.uow.repo(BadgeRepository).awards_of(member.id)}
    zone = ctx.community.zone
    lines = []
    for badge in ctx.community.badges.catalogue:
        head = f"{badge.emoji} {badge.name}".strip()
        if badge.key in awards:
            lines.append(f"{head}: earned {day(awards[badge.key].awarded_at, zone)}")
            continue
        progress = criteria(badge, stats, awards)
        detail = ", ".join(str(p) for p in progress) if progress else "awarded when it happens"
        lines.append(f"{head}: {badge.description} ({detail})" if badge.description else f"{head}: {detail}")
    extra = [k for k in awards if ctx.community.badges.get(k) is None]
    if extra:
        lines.append("Also held: " + ", ".join(extra))
    return Reply(text="\n".join(lines), title=f"Badges ({len(awards)} earned)")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@feature.command(ShowLeaderboard)
async def show_leaderboard(command: ShowLeaderboard, ctx: Context) -> Reply:
    """Ranked by answers marked helpful plus referred newcomers who contributed, never by volume."""
    if command.period not in PERIODS:
        raise InvalidInput("Choose period week or all.")
    since = week_start(ctx.now()) if command.period == "week" else None
    entries = await ctx.uow.repo(ContributionRepository).leaderboard(
        command.community_id, since, LEADERBOARD_SIZE
    )
    title = "Leaderboard: this week" if since else "Leaderboard: all time"
    if not entries:
        return Reply(text="Nobody yet. Mark a helpful answer with the message menu to start it.", title=title)
    lines = [
        f"{rank}. {mention(e.member)}: {_count(e.helpful_answers, 'helpful answer')}, "
        f"{_count(e.activated_referrals, 'referred newcomer')} who contributed"
        for rank, e in enumerate(entries, start=1)
    ]
    return Reply(text="\n".join(lines), title=title)


feature.slash(
    SlashCommand(
        name="badges",
        description="The badges you can earn, and your progress",
        build=lambda inv: ShowBadges(community_id=inv.community_id, member=inv.actor.ref),
        command=ShowBadges,
    )
)
feature.slash(
    SlashCommand(
        name="leaderboard",
        description="Most helpful members, this week or all time",
        options=(Option("period", "week or all", required=False, choices=PERIODS),),
        build=lambda inv: ShowLeaderboard(
            community_id=inv.community_id, period=inv.options.get("period") or "week"
        ),
        command=ShowLeaderboard,
    )
)
