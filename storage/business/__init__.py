"""Storage of the business connection."""

from __future__ import annotations

from bot.core.business.ports import AutomationRepository, BusinessReader, BusinessRepository, NpsRepository
from storage.business.automations import SqlAutomationRepository
from storage.business.nps import SqlNpsRepository
from storage.business.reader import SqlBusinessReader
from storage.business.repository import SqlBusinessRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    BusinessRepository: lambda uow: SqlBusinessRepository(uow.session),
    BusinessReader: lambda uow: SqlBusinessReader(uow.session),
    NpsRepository: lambda uow: SqlNpsRepository(uow.session),
    AutomationRepository: lambda uow: SqlAutomationRepository(uow.session),
}
