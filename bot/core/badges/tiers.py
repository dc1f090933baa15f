"""Advocacy tiers: the weekly pass over the trailing window (promote at once; when short, a private
heads-up, then after the grace a move down), the platform role that follows the tier, and /perks."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.badges import feature
from bot.core.badges.commands import EvaluateTiers, ShowPerks
from bot.core.badges.ports import TierRepository, TierState
from bot.core.badges.rules import MemberStats
from bot.core.badges.tier_rules import Decision, Step, decide, missing, rank, requirements
from bot.core.badges.tier_settings import TierDef, TierSettings
from bot.core.context import Context
from bot.core.contributions.rules import week_start
from bot.core.effects import ChangeTierRole, DirectMessage
from bot.core.errors import NotFound
from bot.core.recurring import Recurring, Weekly
from bot.core.refs import MemberRef
from bot.core.registry import SlashCommand
from bot.core.replies import Reply
from bot.core.text import day

TIERS_AT = Weekly(0, time(6, 30))  # Mondays, after the badges' pass


def _label(tier: TierDef | None) -> str:
    return f"{tier.emoji} {tier.name}".strip() if tier else "no tier"


@feature.command(EvaluateTiers)
async def evaluate_tiers(command: EvaluateTiers, ctx: Context) -> Reply:
    """Every member holding a tier or active in the window: promote, warn, recover or demote."""
    settings = ctx.community.tiers
    repo = ctx.uow.repo(TierRepository)
    states = await repo.states(command.community_id)
    stats = await repo.window_stats(command.community_id, week_start(ctx.now() - _window(settings)))
    moves = {step: 0 for step in Step}
    for member_id in sorted(set(stats) | set(states)):
        state = states.get(member_id)
        member_stats = stats.get(member_id, MemberStats())
        decision = decide(
            settings.ladder,
            state.tier if state else None,
            member_stats,
            at_risk_since=state.at_risk_since if state else None,
            now=ctx.now(),
            grace=timedelta(days=settings.grace_days),
        )
        if decision.step is Step.KEEP:
            continue
        ref = state.member if state else await _ref(ctx, member_id)
        if ref is None:
            continue
        await _apply(ctx, member_id, ref, state, decision, member_stats)
        moves[decision.step] += 1
    return Reply(
        text=f"Tiers checked: {moves[Step.PROMOTE]} promoted, {moves[Step.WARN]} warned, "
        f"{moves[Step.DEMOTE]} moved down, {moves[Step.RECOVER]} back on track."
    )


def _window(settings: TierSettings) -> timedelta:
    return timedelta(days=settings.window_days)


async def _ref(ctx: Context, member_id: int) -> MemberRef | None:
    member = await ctx.uow.members.get(member_id)
    return member.ref if member else None


async def _apply(
    ctx: Context,
    member_id: int,
    ref: MemberRef,
    state: TierState | None,
    decision: Decision,
    stats: MemberStats,
) -> None:
    settings = ctx.community.tiers
    repo = ctx.uow.repo(TierRepository)
    now = ctx.now()
    held = settings.get(state.tier) if state else None
    new = settings.get(decision.tier)
    key = f"tier:{ctx.community.id}:{member_id}:{now.date().isoformat()}"
    if decision.step is Step.RECOVER:
        await repo.set_at_risk(member_id, None)
        return
    if decision.step is Step.WARN:
        assert held is not None
        await repo.set_at_risk(member_id, now)
        until = day(now + timedelta(days=settings.grace_days), ctx.community.zone)
        text = (
            f"A heads-up about your {_label(held)} tier: over the last {settings.window_days} days it "
            f"asks for {requirements(held)}. Still needed: {', '.join(missing(held, stats))}. "
            f"If it is still short on {until}, you'll move to {_label(_below(settings, held))}; "
            "nothing changes before then."
        )
        await ctx.send(DirectMessage(ctx.community.id, ref, text, title="Your tier"), dedupe_key=key)
        return
    await repo.set_tier(ctx.community.id, member_id, decision.tier, now)
    await ctx.send(
        ChangeTierRole(
            ctx.community.id,
            ref,
            grant=decision.tier,
            revoke=state.tier if state and state.tier != decision.tier else None,
        ),
        dedupe_key=f"{key}:role",
    )
    if decision.step is Step.PROMOTE:
        assert new is not None
        perks = f" Your perks: {', '.join(new.perks)}." if new.perks else ""
        text = f"You're now {_label(new)}: thank you for what you do here.{perks} /perks shows the ladder."
    else:
        text = (
            f"Your tier is now {_label(new)}: {_label(held)} asks for {requirements(held) if held else ''} "
            f"over the last {settings.window_days} days. It comes back as soon as you're there again; "
            "/perks shows how far you are."
        )
    await ctx.send(DirectMessage(ctx.community.id, ref, text, title="Your tier"), dedupe_key=key)


def _below(settings: TierSettings, tier: TierDef) -> TierDef | None:
    index = rank(settings.ladder, tier.key) - 1
    return settings.ladder[index - 1] if index > 0 else None


@feature.command(ShowPerks)
async def show_perks(command: ShowPerks, ctx: Context) -> Reply:
    """Each tier: what it asks over the window and what it gives; the member's tier and the next step."""
    member = await ctx.uow.members.by_ref(command.community_id, command.member)
    if member is None:
        raise NotFound("Townsquare doesn't know you yet. Say hello in the community first.")
    settings = ctx.community.tiers
    repo = ctx.uow.repo(TierRepository)
    state = await repo.state(member.id)
    since = week_start(ctx.now() - _window(settings))
    stats = (await repo.window_stats(command.community_id, since, [member.id])).get(member.id, MemberStats())
    lines = [f"Over the last {settings.window_days} days, checked every Monday:"]
    for tier in settings.ladder:
        gives = ", ".join(tier.perks) or "recognition"
        lines.append(f"{_label(tier)}: {requirements(tier)} → {gives}")
    held = settings.get(state.tier) if state else None
    lines.append("")
    lines.append(f"You: {_label(held)}" + (f" since {day(state.since, ctx.community.zone)}" if state else ""))
    if state and state.at_risk_since and held:
        lines.append(f"To keep {held.name}: {', '.join(missing(held, stats))}.")
    above = rank(settings.ladder, held.key if held else None)
    nxt = settings.ladder[above] if above < len(settings.ladder) else None
    if nxt is not None:
        lines.append(f"To {nxt.name}: {', '.join(missing(nxt, stats)) or 'all there: it comes on Monday'}.")
    return Reply(text="\n".join(lines), title="Perks")


feature.recurring(Recurring("tiers", EvaluateTiers, lambda c: TIERS_AT, timedelta(days=2)))
feature.slash(
    SlashCommand(
        name="perks",
        description="What each tier asks and gives, and how far you are",
        build=lambda inv: ShowPerks(community_id=inv.community_id, member=inv.actor.ref),
        command=ShowPerks,
    )
)
