"""Ports of the business connection: what its handlers need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.business.nps_rules import SurveyResult
from bot.core.business.outcomes import CustomerFact, Outcome
from bot.core.business.rules import Activity
from bot.core.refs import MemberRef


@dataclass(frozen=True)
class Consent:
    """A member's consent record."""

    member_id: int
    member: MemberRef
    display_name: str
    version: int
    email: str | None
    given_at: datetime
    withdrawn_at: datetime | None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True)
class SyncCandidate:
    """A consenting member as the hourly sync sees them: whether already surfaced as a CQL, and
    what they did in the window."""

    consent: Consent
    surfaced: bool
    activity: Activity


class BusinessRepository(Protocol):
    async def subject_key(self, community_id: str) -> str:
        """The community's secret for pseudonymous subjects (created on first use)."""
        ...

    async def consent_of(self, member_id: int) -> Consent | None: ...

    async def give_consent(
        self, community_id: str, member_id: int, version: int, email: str | None, now: datetime
    ) -> None:
        """Record (or renew) consent; a renewal keeps the email unless a new one is given."""
        ...

    async def withdraw_consent(self, member_id: int, now: datetime) -> None:
        """Mark consent withdrawn and forget the email."""
        ...

    async def consenting(self, community_id: str) -> list[Consent]:
        """Members with active consent who are still admitted."""
        ...

    async def add_signal(
        self, community_id: str, member_id: int, kind: str, topic: str, now: datetime
    ) -> bool:
        """Record a signal; False when the same one was given in the last day (counted once)."""
        ...

    async def activities(
        self, community_id: str, since: datetime, member_ids: Sequence[int] | None
    ) -> list[Activity]:
        """Window metadata of admitted members (all, or only `member_ids`)."""
        ...

    async def sync_candidates(self, community_id: str, version: int, since: datetime) -> list[SyncCandidate]:
        """In one read, by member id: the admitted members with an active consent to text `version`
        or later, with their window activity since `since` (what a sync that sends reads)."""
        ...

    async def lead_candidates(
        self,
        community_id: str,
        version: int,
        since: datetime,
        *,
        channels: Sequence[str],
        kinds: Sequence[str],
    ) -> list[Activity]:
        """By member id: the admitted members with an active consent to text `version` or later, not
        surfaced yet, who since `since` contributed in one of `channels` or of one of `kinds`, or gave
        a signal. Their activity holds what the CQL score reads (whole counts for those channels and
        kinds, their signals), not necessarily more: a member without any of it scores 0."""
        ...

    async def synced_digests(self, community_id: str) -> dict[str, str]:
        """The digest of the profile last sent, by subject, for every subject of the community."""
        ...

    async def set_synced(
        self, community_id: str, subject: str, member_id: int, digest: str, now: datetime
    ) -> None: ...

    async def forget_synced(self, community_id: str, subject: str) -> bool:
        """Drop the sync state of a subject; True when there was one (the sinks know them)."""
        ...

    async def surfaced(self, community_id: str) -> set[int]:
        """Members already surfaced as CQLs."""
        ...

    async def surface(self, community_id: str, member_id: int, score: float, now: datetime) -> None: ...

    async def new_leads(self, community_id: str, since: datetime) -> list[tuple[MemberRef, float]]:
        """Members first surfaced at or after `since`, who still consent."""
        ...


class BusinessReader(Protocol):
    """The read side of the business report."""

    async def admitted_count(self, community_id: str) -> int: ...

    async def facts(self, community_id: str) -> list[CustomerFact]: ...

    async def add_facts(self, community_id: str, facts: Sequence[tuple[str, CustomerFact]]) -> int:
        """Store facts keyed by their external id; a known id is skipped. Returns how many were new."""
        ...

    async def referral_owner(self, community_id: str, code: str) -> int | None:
        """The member whose referral code this is."""
        ...

    async def referrer_of(self, member_id: int) -> int | None:
        """Who referred this member, when someone did."""
        ...

    async def active_members(self, community_id: str, since: datetime) -> set[int]:
        """Members with a contribution at or after `since`."""
        ...

    async def outcome(self, community_id: str, since: datetime, until: datetime) -> Outcome:
        """Peer vs staff answers in [since, until): support deflection's inputs."""
        ...


class NpsRepository(Protocol):
    async def eligible(self, community_id: str, admitted_before: datetime) -> list[tuple[int, MemberRef]]:
        """Members admitted before then, not bots, not staff, not opted out."""
        ...

    async def open_survey(self, community_id: str, opened_at: datetime, closes_at: datetime) -> int: ...

    async def invite(self, survey_id: int, member_ids: Sequence[int]) -> None: ...

    async def closes_at(self, survey_id: int, community_id: str) -> datetime | None:
        """When the survey closes; None when it is not one of this community's."""
        ...

    async def answer(self, survey_id: int, member_id: int, score: int, now: datetime) -> bool:
        """Record (or change) an answer; False when the member was not asked in this survey."""
        ...

    async def explain(self, survey_id: int, member_id: int, reason: str) -> bool:
        """Attach a reason to an answer given; False without one."""
        ...

    async def opt_out(self, member_id: int, now: datetime) -> None: ...

    async def results(self, community_id: str, limit: int) -> list[SurveyResult]:
        """The newest surveys first."""
        ...


class AutomationRepository(Protocol):
    async def fired(self, community_id: str) -> set[tuple[str, int]]:
        """(rule key, member id) of every automation that fired."""
        ...

    async def mark_fired(self, community_id: str, rule_key: str, member_id: int, now: datetime) -> bool:
        """Record a firing; False when that rule already fired for that member."""
        ...

    async def members(self, community_id: str, member_ids: Sequence[int]) -> dict[int, MemberRef]: ...
