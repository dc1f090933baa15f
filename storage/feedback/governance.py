"""The governance calendar's rounds: one election and one roadmap vote per community and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.core.feedback.governance_rules import Round, RoundKind, RoundStatus
from storage.feedback.tables import GovernanceRoundRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore


def _round(row: GovernanceRoundRow) -> Round:
    return Round(
        id=row.id,
        community_id=row.community_id,
        kind=RoundKind(row.kind),
        period=row.period,
        status=RoundStatus(row.status),
        council_id=row.council_id,
        poll_id=row.poll_id,
        nominations_close_at=row.nominations_close_at,
        created_at=row.created_at,
    )


class SqlGovernanceRepository(SqlRepository):
    async def get(self, community_id: str, kind: RoundKind, period: str) -> Round | None:
        row = await self.session.scalar(
            select(GovernanceRoundRow).where(
                GovernanceRoundRow.community_id == community_id,
                GovernanceRoundRow.kind == kind.value,
                GovernanceRoundRow.period == period,
            )
        )
        return _round(row) if row is not None else None

    async def start(
        self,
        community_id: str,
        kind: RoundKind,
        period: str,
        status: RoundStatus,
        now: datetime,
        *,
        council_id: int | None = None,
        poll_id: int | None = None,
        nominations_close_at: datetime | None = None,
    ) -> Round | None:
        inserted = await self.session.execute(
            insert_ignore(self.dialect, GovernanceRoundRow.__table__).values(
                community_id=community_id,
                kind=kind.value,
                period=period,
                status=status.value,
                council_id=council_id,
                poll_id=poll_id,
                nominations_close_at=nominations_close_at,
                created_at=now,
            )
        )
        if not affected_rows(inserted):
            return None
        return await self.get(community_id, kind, period)

    async def advance(
        self, round_id: int, status: RoundStatus, *, only_from: RoundStatus, poll_id: int | None = None
    ) -> bool:
        values: dict[str, object] = {"status": status.value}
        if poll_id is not None:
            values["poll_id"] = poll_id
        result = await self.session.execute(
            update(GovernanceRoundRow)
            .where(GovernanceRoundRow.id == round_id, GovernanceRoundRow.status == only_from.value)
            .values(**values)
        )
        return bool(affected_rows(result))

    async def by_poll(self, poll_id: int) -> Round | None:
        row = await self.session.scalar(
            select(GovernanceRoundRow).where(GovernanceRoundRow.poll_id == poll_id)
        )
        return _round(row) if row is not None else None
