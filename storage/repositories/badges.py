"""Badge awards: each (member, badge) at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.repositories.base import SqlRepository, insert_ignore
from storage.tables import BadgeAwardRow


class SqlBadgeRepository(SqlRepository):
    async def award(
        self, community_id: str, member_id: int, badge_key: str, reason: str, now: datetime
    ) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, BadgeAwardRow.__table__).values(
                community_id=community_id,
                member_id=member_id,
                badge_key=badge_key,
                reason=reason[:200],
                awarded_at=now,
            )
        )
        return bool(result.rowcount)

    async def keys_of(self, member_id: int) -> set[str]:
        rows = await self.session.execute(
            select(BadgeAwardRow.badge_key).where(BadgeAwardRow.member_id == member_id)
        )
        return set(rows.scalars())
