"""Storage of contributions (metadata, never text) and member weeks."""

from __future__ import annotations

from bot.core.contributions.ports import ContributionRepository
from storage.contributions.repository import SqlContributionRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    ContributionRepository: lambda uow: SqlContributionRepository(uow.session),
}
