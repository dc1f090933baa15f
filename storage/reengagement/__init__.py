"""Storage of re-engagement: drift episodes and nudges."""

from __future__ import annotations

from bot.core.reengagement.ports import DriftRepository
from storage.reengagement.repository import SqlDriftRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    DriftRepository: lambda uow: SqlDriftRepository(uow.session),
}
