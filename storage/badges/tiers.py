"""Advocacy tiers: trailing-window stats from the weekly rollups, and each member's current tier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, delete, func, select, update

from bot.core.badges.ports import TierState
from bot.core.badges.rules import MemberStats
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.badges.tables import MemberTierRow
from storage.contributions.repository import KIND_STAT
from storage.contributions.tables import MemberWeekRow
from storage.repository_base import SqlRepository, upsert
from storage.tables import MemberRow


class SqlTierRepository(SqlRepository):
    async def window_stats(
        self, community_id: str, since_week: date, member_ids: Sequence[int] | None = None
    ) -> dict[int, MemberStats]:
        week = MemberWeekRow
        stmt = (
            select(week.member_id, week.kind, func.sum(week.count))
            .join(MemberRow, MemberRow.id == week.member_id)
            .where(
                week.community_id == community_id,
                week.week_start >= since_week,
                MemberRow.status == MemberStatus.ADMITTED.value,
            )
            .group_by(week.member_id, week.kind)
        )
        if member_ids is not None:
            stmt = stmt.where(week.member_id.in_(list(member_ids)))
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for member_id, kind, total in await self.session.execute(stmt):
            counts[member_id]["contributions"] += int(total)
            if kind in KIND_STAT:
                counts[member_id][KIND_STAT[kind]] += int(total)
        weeks = select(week.member_id, func.count(func.distinct(week.week_start))).where(
            week.community_id == community_id, week.week_start >= since_week, week.count > 0
        )
        if member_ids is not None:
            weeks = weeks.where(week.member_id.in_(list(member_ids)))
        active = dict((await self.session.execute(weeks.group_by(week.member_id))).tuples().all())
        return {m: MemberStats(active_weeks=int(active.get(m, 0)), **c) for m, c in counts.items()}

    async def states(self, community_id: str) -> dict[int, TierState]:
        rows = await self.session.execute(self._select().where(MemberTierRow.community_id == community_id))
        return {s.member_id: s for s in (_state(*r) for r in rows)}

    async def state(self, member_id: int) -> TierState | None:
        row = (await self.session.execute(self._select().where(MemberTierRow.member_id == member_id))).first()
        return _state(*row) if row else None

    async def set_tier(self, community_id: str, member_id: int, tier: str | None, now: datetime) -> None:
        if tier is None:
            await self.session.execute(delete(MemberTierRow).where(MemberTierRow.member_id == member_id))
            return
        stmt = upsert(self.dialect, MemberTierRow.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id"],
            set_={
                "tier_key": stmt.excluded["tier_key"],
                "since": stmt.excluded["since"],
                "at_risk_since": None,
            },
        )
        await self.session.execute(
            stmt,
            [{"member_id": member_id, "community_id": community_id, "tier_key": tier, "since": now}],
        )

    async def set_at_risk(self, member_id: int, since: datetime | None) -> None:
        await self.session.execute(
            update(MemberTierRow).where(MemberTierRow.member_id == member_id).values(at_risk_since=since)
        )

    @staticmethod
    def _select() -> Select[tuple[int, str, str, str, datetime, datetime | None]]:
        return select(
            MemberTierRow.member_id,
            MemberRow.platform,
            MemberRow.user_id,
            MemberTierRow.tier_key,
            MemberTierRow.since,
            MemberTierRow.at_risk_since,
        ).join(MemberRow, MemberRow.id == MemberTierRow.member_id)


def _state(
    member_id: int, platform: str, user_id: str, tier: str, since: datetime, at_risk: datetime | None
) -> TierState:
    return TierState(member_id, MemberRef(platform, user_id), tier, since, at_risk)
