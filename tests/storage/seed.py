"""Seeding rows directly (SQLAlchemy Core inserts) for read-side tests: the metrics are checked
against hand-computed values, independent of the features that write these tables."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.badges.tables import BadgeAwardRow
from storage.cohorts.tables import BuddyPairRow, CohortMemberRow, CohortRow
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.feedback.tables import IdeaRow, IdeaStatusChangeRow, IdeaVoteRow
from storage.gates.tables import ApplicationRow
from storage.metrics.activity import recount
from storage.programming.tables import (
    AmaQuestionRow,
    OccurrenceRow,
    RsvpRow,
    SeriesRow,
    ShowcaseSubmissionRow,
)
from storage.tables import CommunityRow, MemberRow

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A 2026 instant in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Seed:
    """Insert rows for one community; every method returns the new row's id."""

    def __init__(self, engine: AsyncEngine, community_id: str = "test") -> None:
        self.engine = engine
        self.community_id = community_id
        self._ids = itertools.count(1)
        self._cohorts = 0

    async def _insert(self, table: Any, **values: Any) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(table.__table__).values(**values))
            key = result.inserted_primary_key
            return int(key[0]) if key and key[0] is not None else 0

    async def community(self, name: str = "Test Community", platform: str = "fake") -> None:
        async with self.engine.begin() as conn:
            exists = await conn.scalar(
                CommunityRow.__table__.select().where(CommunityRow.id == self.community_id)
            )
            if exists is None:
                await conn.execute(
                    insert(CommunityRow.__table__).values(
                        id=self.community_id,
                        name=name,
                        platform=platform,
                        created_at=EPOCH,
                        admissions_paused=False,
                    )
                )

    async def member(
        self,
        name: str,
        *,
        admitted_at: datetime | None = None,
        status: str | None = None,
        left_at: datetime | None = None,
        is_staff: bool = False,
        is_bot: bool = False,
        referred_by: int | None = None,
        method: str | None = None,
        first_contribution_at: datetime | None = None,
    ) -> int:
        if status is None:
            status = "admitted" if admitted_at else "pending"
        return await self._insert(
            MemberRow,
            community_id=self.community_id,
            platform="fake",
            user_id=name.lower(),
            display_name=name,
            status=status,
            is_bot=is_bot,
            is_staff=is_staff,
            first_seen_at=admitted_at or EPOCH,
            admitted_at=admitted_at,
            left_at=left_at,
            first_contribution_at=first_contribution_at,
            referred_by_id=referred_by,
            admission_method=method or ("application" if admitted_at else None),
            interests="",
            reminders_opt_out=False,
        )

    async def week(self, member_id: int, monday: date, kind: str = "message", count: int = 1) -> None:
        assert monday.weekday() == 0, "rollup weeks start on Monday"
        await self._insert(
            MemberWeekRow,
            member_id=member_id,
            week_start=monday,
            kind=kind,
            community_id=self.community_id,
            count=count,
            weight=float(count),
        )
        async with AsyncSession(self.engine) as session:  # the masks the write path keeps beside it
            await recount(session, self.community_id, [(member_id, monday)])
            await session.commit()

    async def contribution(self, member_id: int, kind: str, when: datetime, *, by_staff: bool = False) -> int:
        return await self._insert(
            ContributionRow,
            community_id=self.community_id,
            member_id=member_id,
            kind=kind,
            weight=1.0,
            by_staff=by_staff,
            source_id=f"src-{next(self._ids)}",
            occurred_at=when,
        )

    async def application(
        self,
        member_id: int,
        submitted_at: datetime,
        status: str = "pending",
        decided_at: datetime | None = None,
    ) -> int:
        return await self._insert(
            ApplicationRow,
            community_id=self.community_id,
            member_id=member_id,
            answers={"q1": "…", "q2": "…"},
            status=status,
            submitted_at=submitted_at,
            decided_at=decided_at,
        )

    async def cohort(self, name: str, launched_at: datetime, members: list[int]) -> int:
        self._cohorts += 1
        cohort_id = await self._insert(
            CohortRow,
            community_id=self.community_id,
            number=self._cohorts,
            name=name,
            launched_at=launched_at,
            status="active",
        )
        for member_id in members:
            await self._insert(CohortMemberRow, cohort_id=cohort_id, member_id=member_id)
        return cohort_id

    async def buddy(self, cohort_id: int, newcomer_id: int, buddy_id: int) -> None:
        await self._insert(
            BuddyPairRow, cohort_id=cohort_id, newcomer_id=newcomer_id, buddy_id=buddy_id, created_at=EPOCH
        )

    async def series(self, kind: str, title: str) -> int:
        return await self._insert(
            SeriesRow,
            community_id=self.community_id,
            kind=kind,
            title=title,
            recurrence="weekly",
            timezone="UTC",
            duration_minutes=60,
            channel="announcements",
            status="active",
            created_at=EPOCH,
        )

    async def occurrence(self, series_id: int, starts_at: datetime, status: str = "scheduled") -> int:
        return await self._insert(
            OccurrenceRow,
            series_id=series_id,
            local_date=starts_at.date(),
            starts_at=starts_at,
            ends_at=starts_at.replace(hour=starts_at.hour + 1),
            status=status,
        )

    async def rsvp(self, occurrence_id: int, member_id: int, answer: str, attended: bool = False) -> None:
        await self._insert(
            RsvpRow,
            occurrence_id=occurrence_id,
            member_id=member_id,
            answer=answer,
            attended=attended,
            updated_at=EPOCH,
        )

    async def question(self, occurrence_id: int, member_id: int, when: datetime) -> int:
        return await self._insert(
            AmaQuestionRow,
            occurrence_id=occurrence_id,
            asker_id=member_id,
            text="?",
            votes=0,
            created_at=when,
        )

    async def showcase(self, occurrence_id: int, member_id: int, when: datetime) -> int:
        return await self._insert(
            ShowcaseSubmissionRow,
            occurrence_id=occurrence_id,
            presenter_id=member_id,
            title="A thing",
            link="https://example.org",
            description="",
            status="pending",
            created_at=when,
        )

    async def badge(self, member_id: int, key: str, when: datetime) -> None:
        await self._insert(
            BadgeAwardRow,
            community_id=self.community_id,
            member_id=member_id,
            badge_key=key,
            reason="",
            awarded_at=when,
        )

    async def idea(
        self,
        author_id: int | None,
        title: str,
        created_at: datetime,
        status: str = "new",
        shipped_at: datetime | None = None,
    ) -> int:
        return await self._insert(
            IdeaRow,
            community_id=self.community_id,
            author_id=author_id,
            title=title,
            details="",
            status=status,
            votes=0,
            created_at=created_at,
            status_changed_at=shipped_at or created_at,
            shipped_at=shipped_at,
        )

    async def vote(self, idea_id: int, member_id: int, when: datetime) -> None:
        await self._insert(IdeaVoteRow, idea_id=idea_id, member_id=member_id, voted_at=when)

    async def status_change(self, idea_id: int, old: str, new: str, when: datetime) -> int:
        return await self._insert(
            IdeaStatusChangeRow, idea_id=idea_id, from_status=old, to_status=new, at=when
        )
