"""Storage of contributions (metadata, never text) and member weeks."""

from __future__ import annotations

from bot.core.contributions.ports import ContributionRepository, HelpfulMarks, ReferralCredits
from storage.contributions.helpful import SqlHelpfulMarks
from storage.contributions.referrals import SqlReferralCredits
from storage.contributions.repository import SqlContributionRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    ContributionRepository: lambda uow: SqlContributionRepository(uow.session),
    HelpfulMarks: lambda uow: SqlHelpfulMarks(uow.session),
    ReferralCredits: lambda uow: SqlReferralCredits(uow.session),
}
