"""Badge awards: each (member, badge) at most once, and never deleted except by the member's own erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, lambda_stmt, select

from bot.core.badges.ports import BadgeAward
from storage.badges.tables import BadgeAwardRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore

# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
_AWARD_SQLITE = insert_ignore("sqlite", BadgeAwardRow.__table__)
_AWARD_PG = insert_ignore("postgresql", BadgeAwardRow.__table__)
_AWARD = {
    "sqlite": lambda_stmt(lambda: _AWARD_SQLITE),
    "postgresql": lambda_stmt(lambda: _AWARD_PG),
}
_KEYS_OF = select(BadgeAwardRow.badge_key).where(BadgeAwardRow.member_id == bindparam("member_id"))
_HELD = select(BadgeAwardRow.member_id, BadgeAwardRow.badge_key).where(
    BadgeAwardRow.member_id.in_(bindparam("member_ids", expanding=True))
)


class SqlBadgeRepository(SqlRepository):
    async def award(
        self, community_id: str, member_id: int, badge_key: str, reason: str, now: datetime
    ) -> bool:
        result = await self.session.execute(
            _AWARD[self.dialect],
            {
                "community_id": community_id,
                "member_id": member_id,
                "badge_key": badge_key,
                "reason": reason[:200],
                "awarded_at": now,
            },
        )
        return bool(affected_rows(result))

    async def keys_of(self, member_id: int) -> set[str]:
        rows = await self.session.execute(_KEYS_OF, {"member_id": member_id})
        return set(rows.scalars())

    async def held(self, member_ids: Sequence[int]) -> dict[int, set[str]]:
        if not member_ids:
            return {}
        rows = await self.session.execute(_HELD, {"member_ids": list(member_ids)})
        held: dict[int, set[str]] = {}
        for member_id, key in rows:
            held.setdefault(member_id, set()).add(key)
        return held

    async def awards_of(self, member_id: int) -> list[BadgeAward]:
        rows = await self.session.execute(
            select(BadgeAwardRow.badge_key, BadgeAwardRow.reason, BadgeAwardRow.awarded_at)
            .where(BadgeAwardRow.member_id == member_id)
            .order_by(BadgeAwardRow.awarded_at, BadgeAwardRow.id)
        )
        return [BadgeAward(key, reason, at) for key, reason, at in rows]
