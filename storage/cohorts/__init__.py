"""Storage of onboarding cohorts: cohorts, the pool, buddies, milestones."""

from __future__ import annotations

from bot.core.cohorts.ports import CohortRepository
from storage.cohorts.repository import SqlCohortRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    CohortRepository: lambda uow: SqlCohortRepository(uow.session),
}
