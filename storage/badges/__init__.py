"""Storage of badges: awards."""

from __future__ import annotations

from bot.core.badges.ports import BadgeRepository
from storage.badges.repository import SqlBadgeRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    BadgeRepository: lambda uow: SqlBadgeRepository(uow.session),
}
