"""Storage of kudos."""

from __future__ import annotations

from bot.core.kudos.ports import KudosRepository
from storage.kudos.repository import SqlKudosRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    KudosRepository: lambda uow: SqlKudosRepository(uow.session),
}
