"""Storage of the feedback loop: ideas, notices, polls, councils and the insights report."""

from __future__ import annotations

from bot.core.feedback.ports import (
    CouncilRepository,
    GovernanceRepository,
    IdeaNoticeRepository,
    IdeaReportReader,
    IdeaRepository,
    PollRepository,
)
from storage.feedback.governance import SqlGovernanceRepository
from storage.feedback.ideas import SqlIdeaRepository
from storage.feedback.notices import SqlIdeaNoticeRepository
from storage.feedback.polls import SqlCouncilRepository, SqlPollRepository
from storage.feedback.report import SqlIdeaReportReader
from storage.uow import Bindings

BINDINGS: Bindings = {
    IdeaRepository: lambda uow: SqlIdeaRepository(uow.session),
    IdeaNoticeRepository: lambda uow: SqlIdeaNoticeRepository(uow.session),
    PollRepository: lambda uow: SqlPollRepository(uow.session),
    CouncilRepository: lambda uow: SqlCouncilRepository(uow.session),
    IdeaReportReader: lambda uow: SqlIdeaReportReader(uow.session),
    GovernanceRepository: lambda uow: SqlGovernanceRepository(uow.session),
}
