"""Automation firings in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from bot.core.refs import MemberRef
from storage.business.tables import AutomationFiredRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow


class SqlAutomationRepository(SqlRepository):
    async def fired(self, community_id: str) -> set[tuple[str, int]]:
        rows = await self.session.execute(
            select(AutomationFiredRow.rule_key, AutomationFiredRow.member_id).where(
                AutomationFiredRow.community_id == community_id
            )
        )
        return set(rows.tuples())

    async def mark_fired(self, community_id: str, rule_key: str, member_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, AutomationFiredRow.__table__).values(
                community_id=community_id, rule_key=rule_key, member_id=member_id, fired_at=now
            )
        )
        return affected_rows(result) > 0

    async def members(self, community_id: str, member_ids: Sequence[int]) -> dict[int, MemberRef]:
        found: dict[int, MemberRef] = {}
        ids = list(member_ids)
        for start in range(0, len(ids), 500):  # bounded IN lists
            rows = await self.session.execute(
                select(MemberRow.id, MemberRow.platform, MemberRow.user_id).where(
                    MemberRow.community_id == community_id, MemberRow.id.in_(ids[start : start + 500])
                )
            )
            found.update({i: MemberRef(p, u) for i, p, u in rows.tuples()})
        return found
