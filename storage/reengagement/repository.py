"""Drift episodes and nudges: who went quiet, who is best placed to reach out, who came back."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, select, update

from bot.core.contributions.rules import ContributionKind, week_start
from bot.core.members import MemberStatus
from bot.core.reengagement.ports import Drifter, Missed
from bot.core.refs import MemberRef
from storage.badges.tables import MemberTierRow
from storage.cohorts.tables import BuddyPairRow
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.reengagement.tables import MemberDriftRow, MemberNudgeRow
from storage.repository_base import SqlRepository, upsert
from storage.tables import MemberRow

ADMITTED = MemberStatus.ADMITTED.value
W = MemberWeekRow


class SqlDriftRepository(SqlRepository):
    async def drifting(
        self,
        community_id: str,
        lookback_from: date,
        silent_from: date,
        active_weeks: int,
        champions: list[str],
    ) -> list[Drifter]:
        active = (
            select(W.member_id)
            .where(W.community_id == community_id, W.week_start >= lookback_from, W.week_start < silent_from)
            .group_by(W.member_id)
            .having(func.count(func.distinct(W.week_start)) >= active_weeks)
        )
        recent = select(W.member_id).where(W.community_id == community_id, W.week_start >= silent_from)
        open_ = select(MemberDriftRow.member_id).where(
            MemberDriftRow.community_id == community_id, MemberDriftRow.came_back_at.is_(None)
        )
        rows = (
            await self.session.execute(
                select(MemberRow.id, MemberRow.platform, MemberRow.user_id, MemberRow.referred_by_id)
                .where(
                    MemberRow.community_id == community_id,
                    MemberRow.status == ADMITTED,
                    MemberRow.is_bot.is_(False),
                    MemberRow.id.in_(active),
                    MemberRow.id.not_in(recent),
                    MemberRow.id.not_in(open_),
                )
                .order_by(MemberRow.id)
            )
        ).all()
        if not rows:
            return []
        admitted = await self._admitted(community_id)
        buddies = await self._buddies([r.id for r in rows])
        champs = await self._champions(community_id, champions)
        busy = Counter(
            (
                await self.session.scalars(
                    select(MemberDriftRow.reach_member_id).where(
                        MemberDriftRow.community_id == community_id, MemberDriftRow.came_back_at.is_(None)
                    )
                )
            ).all()
        )
        drifters = []
        for member_id, platform, user_id, referrer in rows:
            reach: tuple[int | None, str] = (None, "")
            buddy = next((b for b in buddies.get(member_id, []) if b in admitted), None)
            if buddy is not None:
                reach = (buddy, "buddy")
            elif referrer is not None and referrer in admitted:
                reach = (referrer, "referrer")
            else:
                options = [c for c in champs if c != member_id]
                if options:
                    chosen = min(options, key=lambda c: (busy[c], options.index(c)))
                    reach = (chosen, "champion")
            if reach[0] is not None:
                busy[reach[0]] += 1
            drifters.append(Drifter(member_id, MemberRef(platform, user_id), *reach))
        return drifters

    async def _admitted(self, community_id: str) -> set[int]:
        ids = await self.session.scalars(
            select(MemberRow.id).where(MemberRow.community_id == community_id, MemberRow.status == ADMITTED)
        )
        return set(ids)

    async def _buddies(self, member_ids: list[int]) -> dict[int, list[int]]:
        rows = await self.session.execute(
            select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id)
            .where(BuddyPairRow.newcomer_id.in_(member_ids))
            .order_by(BuddyPairRow.id.desc())
        )
        found: dict[int, list[int]] = {}
        for newcomer, buddy in rows:
            found.setdefault(newcomer, []).append(buddy)
        return found

    async def _champions(self, community_id: str, tiers: list[str]) -> list[int]:
        if not tiers:
            return []
        rows = await self.session.scalars(
            select(MemberTierRow.member_id)
            .join(MemberRow, MemberRow.id == MemberTierRow.member_id)
            .where(
                MemberTierRow.community_id == community_id,
                MemberTierRow.tier_key.in_(tiers),
                MemberRow.status == ADMITTED,
            )
            .order_by(MemberTierRow.member_id)
        )
        return list(rows)

    async def open_episode(self, community_id: str, drifter: Drifter, now: datetime) -> None:
        self.session.add(
            MemberDriftRow(
                community_id=community_id,
                member_id=drifter.member_id,
                since=now,
                came_back_at=None,
                reach_member_id=drifter.reach_id,
                reach_via=drifter.via,
            )
        )
        await self.session.flush()

    async def came_back(self, community_id: str, now: datetime) -> int:
        episodes = (
            await self.session.execute(
                select(MemberDriftRow.id, MemberDriftRow.member_id, MemberDriftRow.since).where(
                    MemberDriftRow.community_id == community_id, MemberDriftRow.came_back_at.is_(None)
                )
            )
        ).all()
        if not episodes:
            return 0
        latest = dict(
            (
                await self.session.execute(
                    select(W.member_id, func.max(W.week_start))
                    .where(W.member_id.in_([e.member_id for e in episodes]))
                    .group_by(W.member_id)
                )
            )
            .tuples()
            .all()
        )
        back = [e.id for e in episodes if (w := latest.get(e.member_id)) and w >= week_start(e.since)]
        if back:
            await self.session.execute(
                update(MemberDriftRow).where(MemberDriftRow.id.in_(back)).values(came_back_at=now)
            )
        return len(back)

    async def may_nudge(self, member_id: int, before: datetime) -> bool:
        member = await self.session.get(MemberRow, member_id)
        if member is None or member.reminders_opt_out:
            return False
        row = await self.session.get(MemberNudgeRow, member_id)
        return row is None or (
            not row.opted_out and (row.last_nudged_at is None or row.last_nudged_at <= before)
        )

    async def nudged(self, community_id: str, member_id: int, now: datetime) -> None:
        await self._upsert(community_id, member_id, {"last_nudged_at": now})

    async def opt_out(self, community_id: str, member_id: int) -> None:
        await self._upsert(community_id, member_id, {"opted_out": True})

    async def _upsert(self, community_id: str, member_id: int, values: dict[str, object]) -> None:
        stmt = upsert(self.dialect, MemberNudgeRow.__table__)
        row = {
            "member_id": member_id,
            "community_id": community_id,
            "last_nudged_at": None,
            "opted_out": False,
        }
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["member_id"], set_=values), [{**row, **values}]
        )

    async def missed(self, community_id: str, since: datetime, until: datetime) -> Missed:
        joined = await self.session.scalar(
            select(func.count()).where(
                MemberRow.community_id == community_id,
                MemberRow.admitted_at >= since,
                MemberRow.admitted_at < until,
            )
        )
        helpful = await self.session.scalar(
            select(func.count()).where(
                ContributionRow.community_id == community_id,
                ContributionRow.kind == ContributionKind.HELPFUL_ANSWER.value,
                ContributionRow.occurred_at >= since,
                ContributionRow.occurred_at < until,
            )
        )
        return Missed(joined=int(joined or 0), helpful_answers=int(helpful or 0))
