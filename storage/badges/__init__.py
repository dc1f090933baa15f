"""Storage of badges: awards, advocacy tiers."""

from __future__ import annotations

from bot.core.badges.ports import BadgeRepository, TierRepository
from storage.badges.repository import SqlBadgeRepository
from storage.badges.tiers import SqlTierRepository
from storage.uow import Bindings

BINDINGS: Bindings = {
    BadgeRepository: lambda uow: SqlBadgeRepository(uow.session),
    TierRepository: lambda uow: SqlTierRepository(uow.session),
}
