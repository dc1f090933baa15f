"""The SQL unit of work: one AsyncSession, one transaction, every repository bound to it."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.ideas_report import SqlIdeaReportReader
from storage.metrics import SqlMetricsReader
from storage.repositories.badges import SqlBadgeRepository
from storage.repositories.cohorts import SqlCohortRepository
from storage.repositories.contributions import SqlContributionRepository
from storage.repositories.delivery import (
    SqlOutboxRepository,
    SqlPlatformRefRepository,
    SqlProcessedEventRepository,
)
from storage.repositories.gates import (
    SqlApplicationRepository,
    SqlGateRepository,
    SqlReferralCodeRepository,
)
from storage.repositories.idea_notices import SqlIdeaNoticeRepository
from storage.repositories.ideas import SqlIdeaRepository
from storage.repositories.members import SqlCommunityRepository, SqlMemberRepository
from storage.repositories.polls import SqlCouncilRepository, SqlPollRepository
from storage.repositories.privacy import SqlPrivacyRepository
from storage.repositories.programming import SqlOccurrenceRepository, SqlRsvpRepository, SqlSeriesRepository
from storage.repositories.programming_entries import SqlQuestionRepository, SqlShowcaseRepository
from storage.repositories.scheduling import SqlJobRunRepository, SqlLeaseRepository


class SqlUnitOfWork:
    """`async with factory() as uow: ...; await uow.commit()`; leaving without commit rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], metrics: SqlMetricsReader) -> None:
        self._sessions = sessions
        self.metrics = metrics  # reads on its own read-only connection, outside this transaction

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.communities = SqlCommunityRepository(self.session)
        self.members = SqlMemberRepository(self.session)
        self.outbox = SqlOutboxRepository(self.session)
        self.processed = SqlProcessedEventRepository(self.session)
        self.refs = SqlPlatformRefRepository(self.session)
        self.badges = SqlBadgeRepository(self.session)
        self.gates = SqlGateRepository(self.session)
        self.referrals = SqlReferralCodeRepository(self.session)
        self.applications = SqlApplicationRepository(self.session)
        self.ideas = SqlIdeaRepository(self.session)
        self.idea_notices = SqlIdeaNoticeRepository(self.session)
        self.polls = SqlPollRepository(self.session)
        self.councils = SqlCouncilRepository(self.session)
        self.idea_report = SqlIdeaReportReader(self.session)
        self.cohorts = SqlCohortRepository(self.session)
        self.contributions = SqlContributionRepository(self.session)
        self.privacy = SqlPrivacyRepository(self.session)
        self.series = SqlSeriesRepository(self.session)
        self.occurrences = SqlOccurrenceRepository(self.session)
        self.rsvps = SqlRsvpRepository(self.session)
        self.questions = SqlQuestionRepository(self.session)
        self.showcases = SqlShowcaseRepository(self.session)
        self.job_runs = SqlJobRunRepository(self.session)
        self.leases = SqlLeaseRepository(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per command; never share one between tasks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.metrics = SqlMetricsReader(engine)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.metrics)
