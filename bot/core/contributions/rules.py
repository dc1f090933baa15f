"""What counts as a contribution, and how much. Metadata only: who, what kind, where, when.

A contribution carries a `source_id` built from the platform's own ids (the message, the reaction's
message and reactor, the helpful-marked message…), unique per community: the same platform event
delivered twice is stored once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from bot.core.events import Event, MessagePosted, ReactionAdded
from bot.core.refs import MemberRef


class ContributionKind(StrEnum):
    MESSAGE = "message"  # a message in a community channel
    THREAD_REPLY = "thread_reply"
    REACTION = "reaction"  # a reaction given (one per member and message, whatever the emoji)
    HELPFUL_ANSWER = "helpful_answer"  # the author's message was marked helpful by someone else
    AMA_QUESTION = "ama_question"
    SHOWCASE = "showcase"  # presented at a showcase
    EVENT_ATTENDED = "event_attended"
    REFERRAL_ACTIVATED = "referral_activated"  # a newcomer the member referred made a first contribution
    IDEA_FILED = "idea_filed"  # filed an idea (/idea)
    IDEA_VOTE = "idea_vote"  # voted for someone else's idea (once per member and idea)
    # a helpful mark between two members flagged for marking each other: kept, counted for nothing
    HELPFUL_FLAGGED = "helpful_flagged"


# Kinds no badge rule counts by kind: beyond a first contribution or a first one in a week, they
# change nothing a badge looks at, so they cost no badge check (the weekly pass still sees them).
VOLUME_KINDS = frozenset(
    {
        ContributionKind.MESSAGE,
        ContributionKind.THREAD_REPLY,
        ContributionKind.REACTION,
        ContributionKind.IDEA_VOTE,
        ContributionKind.HELPFUL_FLAGGED,
    }
)

DEFAULT_WEIGHTS: Mapping[ContributionKind, float] = {
    ContributionKind.MESSAGE: 1.0,
    ContributionKind.THREAD_REPLY: 1.0,
    ContributionKind.REACTION: 0.25,
    ContributionKind.HELPFUL_ANSWER: 5.0,
    ContributionKind.AMA_QUESTION: 2.0,
    ContributionKind.SHOWCASE: 5.0,
    ContributionKind.EVENT_ATTENDED: 2.0,
    ContributionKind.REFERRAL_ACTIVATED: 5.0,
    ContributionKind.IDEA_FILED: 1.0,  # a real contribution, like a message
    ContributionKind.IDEA_VOTE: 0.2,  # a light one, lighter than a reaction
    ContributionKind.HELPFUL_FLAGGED: 0.0,
}


@dataclass(frozen=True)
class ContributionFact:
    """One contribution to record. `target` is the other member involved (the one reacted to, the one
    helped, the newcomer referred); `by_staff` marks a helpful answer given by staff."""

    community_id: str
    member: MemberRef
    kind: ContributionKind
    weight: float
    source_id: str
    at: datetime
    channel_id: str | None = None
    target: MemberRef | None = None
    by_staff: bool = False
    display_name: str = ""


@dataclass(frozen=True)
class RecordedContributions:
    """What a batch changed: how many rows were new, whose, and who contributed for the first time."""

    inserted: int = 0
    member_ids: tuple[int, ...] = ()
    first_contributors: tuple[int, ...] = ()
    # Members whose badge-visible stats moved: a first contribution, a first one this week (streaks),
    # or a kind the rules count (helpful answers, referrals, showcases…). Plain volume within a week
    # already counted changes no built-in rule, so a busy channel costs no badge checks.
    rechecks: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReferralCredit:
    """A referrer is credited when their newcomer's first contribution comes within `days` of admission;
    with `retention_days`, only once the newcomer is still a member that long after admission (the
    daily CreditReferrals job), not at the first contribution."""

    days: int
    weight: float
    retention_days: int = 0


def weight_of(kind: ContributionKind, weights: Mapping[str, float]) -> float:
    """The configured weight of a kind, else the default."""
    value: str = kind._value_  # not .value: Enum's property is a Python call, and this runs per fact
    return float(weights.get(value, DEFAULT_WEIGHTS[kind]))


def from_platform_event(
    event: Event, *, excluded_channels: Collection[str], weights: Mapping[str, float]
) -> ContributionFact | None:
    """The contribution a platform fact stands for, or None when it does not count (bots, excluded
    channels, reacting to one's own message, events that are not contributions)."""
    if isinstance(event, MessagePosted):
        if event.is_bot or event.channel_id in excluded_channels:
            return None
        kind = ContributionKind.THREAD_REPLY if event.in_thread else ContributionKind.MESSAGE
        return ContributionFact(
            community_id=event.community_id,
            member=event.member,
            kind=kind,
            weight=weight_of(kind, weights),
            source_id=f"msg:{event.channel_id}:{event.message_id}",
            at=event.at,
            channel_id=event.channel_id,
        )
    if isinstance(event, ReactionAdded):
        if event.is_bot or event.channel_id in excluded_channels or event.message_author == event.member:
            return None
        kind = ContributionKind.REACTION
        return ContributionFact(
            community_id=event.community_id,
            member=event.member,
            kind=kind,
            weight=weight_of(kind, weights),
            source_id=f"react:{event.channel_id}:{event.message_id}:{event.member.user_id}",
            at=event.at,
            channel_id=event.channel_id,
            target=event.message_author,
        )
    return None


def week_start(at: datetime) -> date:
    """The Monday (UTC) of the ISO week `at` falls in: the key of the weekly rollups."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def active_streak(weeks: Collection[date], current_week: date) -> int:
    """Consecutive active weeks ending this week, or last week while this week has no activity yet."""
    week = current_week if current_week in weeks else current_week - timedelta(weeks=1)
    streak = 0
    while week in weeks:
        streak += 1
        week -= timedelta(weeks=1)
    return streak
