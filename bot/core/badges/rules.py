"""Badge rules: pure functions over a member's stats. The catalogue itself lives in the settings.

Some rules follow from stats (first contribution, N helpful answers, N activated referrals,
showcases presented, N active weeks in a row, the advocacy ladder); others are awarded by the
feature that sees the moment (founding by the gates, AMA host by the programme, cohort graduate
by the milestones). An award happens once and is never taken back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.badges.settings import BadgeDef


class RuleKind(StrEnum):
    FOUNDING = "founding"  # awarded by the gates to the first members; immutable
    FIRST_CONTRIBUTION = "first_contribution"
    HELPFUL_ANSWERS = "helpful_answers"  # count = N answers marked helpful
    ACTIVATED_REFERRALS = "activated_referrals"  # count = N referred newcomers who contributed in time
    AMA_HOST = "ama_host"  # awarded by the programme when an AMA is held
    SHOWCASE_PRESENTER = "showcase_presenter"  # count = N showcases presented
    COHORT_GRADUATE = "cohort_graduate"  # awarded at day 14
    IDEA_SHIPPED = "idea_shipped"  # awarded by the feedback loop when an idea the member filed ships
    ACTIVE_WEEKS = "active_weeks"  # count = N weeks in a row with a contribution
    LADDER = "ladder"  # advocacy tiers: every minimum in `min` and every badge in `requires`
    CHALLENGE = "challenge"  # awarded by the challenges feature when a moderator confirms a completion


# Rules another feature awards at the moment it happens; stats never award them.
AWARDED_BY_EVENT = frozenset(
    {
        RuleKind.FOUNDING,
        RuleKind.AMA_HOST,
        RuleKind.COHORT_GRADUATE,
        RuleKind.IDEA_SHIPPED,
        RuleKind.CHALLENGE,
    }
)

STAT_LABELS: Mapping[str, str] = {
    "contributions": "contributions",
    "helpful_answers": "answers marked helpful",
    "activated_referrals": "referred newcomers who contributed",
    "showcases": "showcases presented",
    "ama_questions": "AMA questions asked",
    "events_attended": "events attended",
    "active_weeks": "active weeks in a row",
}

_COUNTED: Mapping[RuleKind, str] = {
    RuleKind.FIRST_CONTRIBUTION: "contributions",
    RuleKind.HELPFUL_ANSWERS: "helpful_answers",
    RuleKind.ACTIVATED_REFERRALS: "activated_referrals",
    RuleKind.SHOWCASE_PRESENTER: "showcases",
    RuleKind.ACTIVE_WEEKS: "active_weeks",
}


@dataclass(frozen=True)
class MemberStats:
    """All-time counts from the weekly rollups, plus the current streak."""

    contributions: int = 0
    helpful_answers: int = 0
    activated_referrals: int = 0
    showcases: int = 0
    ama_questions: int = 0
    events_attended: int = 0
    active_weeks: int = 0

    def get(self, stat: str) -> int:
        """A stat by name (the names `STAT_LABELS` lists)."""
        return int(getattr(self, stat))


@dataclass(frozen=True)
class Progress:
    """One criterion towards a badge: "3/5 answers marked helpful"."""

    label: str
    have: int
    need: int

    @property
    def met(self) -> bool:
        """True once `have` reaches `need`."""
        return self.have >= self.need

    def __str__(self) -> str:
        return f"{min(self.have, self.need)}/{self.need} {self.label}"


def criteria(badge: BadgeDef, stats: MemberStats, held: Collection[str]) -> list[Progress]:
    """What a badge asks for and how far the member is; empty for badges awarded by an event."""
    rule = badge.rule
    kind = RuleKind(rule.kind)
    if kind in AWARDED_BY_EVENT:
        return []
    if kind is RuleKind.LADDER:
        items = [Progress(f"{key} badge", int(key in held), 1) for key in rule.requires]
        items += [Progress(STAT_LABELS[stat], stats.get(stat), need) for stat, need in rule.min.items()]
        return items
    stat = _COUNTED[kind]
    need = 1 if kind is RuleKind.FIRST_CONTRIBUTION else rule.count
    return [Progress(STAT_LABELS[stat], stats.get(stat), need)]


def reason(badge: BadgeDef, stats: MemberStats, held: Collection[str]) -> str | None:
    """Why the member has earned the badge now, or None (not earned, or awarded only by an event)."""
    items = criteria(badge, stats, held)
    if not items or not all(p.met for p in items):
        return None
    if RuleKind(badge.rule.kind) is RuleKind.FIRST_CONTRIBUTION:
        return "made a first contribution"
    return ", ".join(f"{p.need} {p.label}" for p in items if not p.label.endswith(" badge")) or badge.name


def newly_earned(
    catalogue: Sequence[BadgeDef], stats: MemberStats, held: Collection[str]
) -> list[tuple[BadgeDef, str]]:
    """Badges the member qualifies for and does not hold yet, in catalogue order; a ladder tier
    earned here counts towards the next tier in the same pass."""
    have = set(held)
    earned: list[tuple[BadgeDef, str]] = []
    for badge in catalogue:
        if badge.key in have:
            continue
        why = reason(badge, stats, have)
        if why is not None:
            earned.append((badge, why))
            have.add(badge.key)
    return earned
