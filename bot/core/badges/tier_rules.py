"""Advocacy tiers (pure): which tier a member's trailing-window stats hold, and what the weekly pass does
about it (Discourse's trust level 3: kept only while its requirements hold over the trailing window)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.badges.rules import STAT_LABELS, MemberStats
from bot.core.badges.tier_settings import TierDef

WINDOW_LABELS = {**STAT_LABELS, "active_weeks": "active weeks"}
ONE = {
    "helpful_answers": "answer marked helpful",
    "activated_referrals": "referred newcomer who contributed",
    "showcases": "showcase presented",
    "active_weeks": "active week",
    "contributions": "contribution",
    "ama_questions": "AMA question asked",
    "events_attended": "event attended",
}


class Step(StrEnum):
    KEEP = "keep"
    PROMOTE = "promote"  # qualifies for a higher tier: at once
    WARN = "warn"  # short of the tier held: a private heads-up, the grace starts
    DEMOTE = "demote"  # still short when the grace is over: down to the tier the stats hold
    RECOVER = "recover"  # short before, meets it again: the grace is cleared


@dataclass(frozen=True)
class Decision:
    step: Step
    tier: str | None  # the tier after the step


def qualifies(ladder: tuple[TierDef, ...], stats: MemberStats) -> str | None:
    """The highest tier whose every minimum the stats meet (None: none)."""
    best: str | None = None
    for tier in ladder:
        if all(stats.get(stat) >= need for stat, need in tier.min.items()):
            best = tier.key
    return best


def rank(ladder: tuple[TierDef, ...], key: str | None) -> int:
    """0 for no tier, then 1, 2 … up the ladder (an unknown key ranks as no tier)."""
    return next((i + 1 for i, t in enumerate(ladder) if t.key == key), 0)


def decide(
    ladder: tuple[TierDef, ...],
    held: str | None,
    stats: MemberStats,
    *,
    at_risk_since: datetime | None,
    now: datetime,
    grace: timedelta,
) -> Decision:
    """What the weekly pass does for one member."""
    earned = qualifies(ladder, stats)
    if rank(ladder, earned) > rank(ladder, held):
        return Decision(Step.PROMOTE, earned)
    if rank(ladder, earned) == rank(ladder, held):
        return Decision(Step.RECOVER if at_risk_since else Step.KEEP, held)
    if at_risk_since is None:
        return Decision(Step.WARN, held)
    if now - at_risk_since >= grace:
        return Decision(Step.DEMOTE, earned)
    return Decision(Step.KEEP, held)


def missing(tier: TierDef, stats: MemberStats) -> list[str]:
    """What is still needed for `tier`: "2 more answers marked helpful"."""
    short = []
    for stat, need in tier.min.items():
        gap = need - stats.get(stat)
        if gap > 0:
            label = ONE[stat] if gap == 1 else WINDOW_LABELS[stat]
            short.append(f"{gap} more {label}")
    return short


def requirements(tier: TierDef) -> str:
    """ "10 answers marked helpful, 8 active weeks"."""
    return ", ".join(
        f"{need} {ONE[stat] if need == 1 else WINDOW_LABELS[stat]}" for stat, need in tier.min.items()
    )
