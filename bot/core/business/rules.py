"""Engagement levels and community-qualified-lead (CQL) scores, from metadata only.

A member's level and score come from what Townsquare already records (contribution kinds and the
channel they happened in, event attendance, idea votes) plus signals the member gives on purpose
(`/interest`, "Talk to the team"). Never from message text. Each score carries the reasons that made
it, so a lead can see why someone is surfaced, and so can the member in their export.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.business.settings import BusinessSettings
from bot.core.refs import MemberRef


class Level(StrEnum):
    """Orbit-style engagement levels, lowest first."""

    EXPLORER = "explorer"  # a member, nothing contributed in the window
    PARTICIPANT = "participant"  # takes part: messages, reactions, votes
    CONTRIBUTOR = "contributor"  # contributes regularly, beyond volume
    ADVOCATE = "advocate"  # helps others, brings people in, presents


class SignalKind(StrEnum):
    """Signals a member gives on purpose."""

    INTEREST = "interest"  # /interest <topic>
    TALK_TO_TEAM = "talk_to_team"  # the "Talk to the team" button


# Contribution kinds that are more than volume: they make a participant a contributor.
SUBSTANTIVE_KINDS = frozenset(
    {"helpful_answer", "ama_question", "showcase", "event_attended", "idea_filed", "referral_activated"}
)


@dataclass(frozen=True)
class Activity:
    """What the metadata says about one member over the trailing window."""

    member_id: int
    kinds: Mapping[str, int] = field(default_factory=dict)  # contributions by kind
    channels: Mapping[str, int] = field(default_factory=dict)  # contributions by platform channel id
    interests: tuple[str, ...] = ()  # topics from /interest, newest first, distinct
    talk_to_team: bool = False
    referrals: int = 0  # newcomers they referred who were admitted
    last_active: datetime | None = None  # their latest contribution in the window

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


@dataclass(frozen=True)
class CqlScore:
    """A CQL score and, in order of weight, the reasons that made it."""

    score: float
    reasons: tuple[str, ...]

    def qualifies(self, threshold: float) -> bool:
        return self.score >= threshold


def level_of(activity: Activity, policy: BusinessSettings) -> Level:
    """The member's engagement level over the window."""
    kinds = activity.kinds
    if (
        kinds.get("helpful_answer", 0) >= policy.advocate_helpful_answers
        or activity.referrals >= policy.advocate_referrals
        or kinds.get("showcase", 0) > 0
    ):
        return Level.ADVOCATE
    substantive = sum(n for kind, n in kinds.items() if kind in SUBSTANTIVE_KINDS)
    if activity.total >= policy.contributor_contributions and substantive > 0:
        return Level.CONTRIBUTOR
    if activity.total > 0:
        return Level.PARTICIPANT
    return Level.EXPLORER


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cql_score(activity: Activity, policy: BusinessSettings) -> CqlScore:
    """Buying intent from metadata: activity in signal channels, signal kinds, explicit signals.

    Each channel rule counts at most `signal_cap` contributions, so a flood of messages in #pricing
    does not outweigh a member who asked to talk to the team.
    """
    weighted: list[tuple[float, str]] = []
    for rule in policy.signal_channels:
        n = min(activity.channels.get(rule.channel, 0), policy.signal_cap)
        if n:
            weighted.append((n * rule.weight, f"{_plural(n, 'contribution')} in #{rule.label}"))
    for kind, weight in policy.signal_kinds.items():
        n = min(activity.kinds.get(kind, 0), policy.signal_cap)
        if n:
            weighted.append((n * weight, f"{_plural(n, kind.replace('_', ' '))}"))
    for topic in activity.interests:
        weighted.append((policy.interest_weight, f"asked about {topic}"))
    if activity.talk_to_team:
        weighted.append((policy.talk_to_team_weight, "asked to talk to the team"))
    weighted.sort(key=lambda pair: (-pair[0], pair[1]))
    return CqlScore(round(sum(w for w, _ in weighted), 2), tuple(reason for _, reason in weighted))


def subject_of(key: str, member: MemberRef) -> str:
    """The member's stable pseudonym in the sinks: a keyed hash, never the platform id."""
    return hmac.new(key.encode(), f"{member.platform}:{member.user_id}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def profile_properties(
    activity: Activity, score: CqlScore, policy: BusinessSettings
) -> tuple[tuple[str, str], ...]:
    """What a sink learns about a consenting member: level, CQL score and reasons, referrals, last active."""
    last_active = activity.last_active.date().isoformat() if activity.last_active else ""
    return (
        ("community_level", level_of(activity, policy).value),
        ("community_cql_score", f"{score.score:g}"),
        ("community_cql_reasons", "; ".join(score.reasons)),
        ("community_referrals", str(activity.referrals)),
        ("community_last_active", last_active),
    )


def profile_digest(properties: tuple[tuple[str, str], ...], email: str | None) -> str:
    """A fingerprint of what would be sent: unchanged profiles are not sent again."""
    return hashlib.sha256(repr((properties, email)).encode()).hexdigest()


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


def normalise_email(text: str) -> str | None:
    """A plausible email address, lower-cased; None when it is not one."""
    value = text.strip().lower()
    return value if EMAIL.match(value) else None
