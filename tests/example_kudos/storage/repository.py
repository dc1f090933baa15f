"""Kudos in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.core.refs import MemberRef
from storage.kudos.tables import KudosRow
from storage.repository_base import SqlRepository
from storage.tables import MemberRow


class SqlKudosRepository(SqlRepository):
    async def add(self, giver_id: int, receiver_id: int, at: datetime) -> None:
        self.session.add(KudosRow(giver_id=giver_id, receiver_id=receiver_id, given_at=at))

    async def top(self, community_id: str, limit: int) -> list[tuple[MemberRef, int]]:
        received = func.count(KudosRow.id)
        rows = await self.session.execute(
            select(MemberRow.platform, MemberRow.user_id, received)
            .join(KudosRow, KudosRow.receiver_id == MemberRow.id)
            .where(MemberRow.community_id == community_id)
            .group_by(MemberRow.id, MemberRow.platform, MemberRow.user_id)
            .order_by(received.desc(), MemberRow.id)
            .limit(limit)
        )
        return [(MemberRef(platform, user_id), n) for platform, user_id, n in rows]
