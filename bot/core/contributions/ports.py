"""Ports of contributions: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.badges.rules import MemberStats
from bot.core.contributions.helpful_rules import PairMarks
from bot.core.contributions.rules import ContributionFact, RecordedContributions, ReferralCredit
from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True)
class LeaderboardEntry:
    """One line of the leaderboard."""

    member_id: int
    member: MemberRef
    display_name: str
    helpful_answers: int
    activated_referrals: int


class ContributionRepository(Protocol):
    async def record(
        self, facts: Sequence[ContributionFact], referral: ReferralCredit | None = None
    ) -> RecordedContributions:
        """Store contributions once per (community, source_id), keep the weekly rollups and
        `member.first_contribution_at` current, and credit referrers (`referral`) when a referred
        newcomer's first contribution comes in time. Members are created on first sight; bots are
        skipped. Only newly inserted rows change the rollups, so a replay changes nothing."""
        ...

    async def stats(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> dict[int, MemberStats]:
        """All-time stats of admitted members (others are absent)."""
        ...

    async def recently_active(self, community_id: str, since_week: date) -> list[int]:
        """Members with a contribution in or after `since_week`."""
        ...

    async def leaderboard(
        self, community_id: str, since_week: date | None, limit: int
    ) -> list[LeaderboardEntry]:
        """Admitted members ranked by helpful answers plus activated referrals (never by volume)."""
        ...


class HelpfulMarks(Protocol):
    """Helpful marks seen from the marker's side (the marker is a helpful answer's `target`)."""

    async def tally(
        self,
        community_id: str,
        marker_id: int,
        author_id: int,
        *,
        given_since: datetime,
        pair_since: datetime,
    ) -> tuple[int, PairMarks]:
        """Marks (counted or flagged) the marker made since `given_since` (the daily cap), and the marks
        each way between marker and author since `pair_since` with whether the pair is flagged: one read."""
        ...

    async def flag_pair(self, community_id: str, a_id: int, b_id: int, since: datetime) -> int:
        """Turn the pair's counted marks since `since` into flagged ones (rollups follow); returns how
        many changed."""
        ...


@dataclass(frozen=True)
class RetainedReferral:
    """A referred newcomer still a member after the retention days, who contributed in time."""

    referrer: MemberRef
    newcomer: MemberRef
    newcomer_id: int


class ReferralCredits(Protocol):
    async def retained(
        self, community_id: str, admitted_from: datetime, admitted_until: datetime, activation_days: int
    ) -> list[RetainedReferral]:
        """Newcomers admitted in [from, until), still admitted, referred by a member still admitted,
        whose first contribution came within `activation_days` of admission, and whose referrer has
        not been credited for them yet (no contribution with source id `referral:<newcomer id>`)."""
        ...


class ContributionSink(Protocol):
    """Where adapters send high-volume platform facts (messages, reactions): a bounded queue
    written in batches, not one transaction per event."""

    async def submit(self, event: Event) -> None:
        """Take a fact; waits while there is no room."""
        ...

    def offer(self, event: Event) -> bool:
        """Take a fact without waiting; False (counted, reported) when there is no room."""
        ...
