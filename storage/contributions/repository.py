"""Contributions: recorded once per (community, source_id), rolled up per member and ISO week.

`record` is the one write path, used by the batched ingest (up to 500 facts per call) and by
handlers (one fact, inside their own transaction). It is all Core bulk statements: one insert of the
members first seen, one `INSERT … ON CONFLICT DO NOTHING … RETURNING` of the contributions, one
upsert of the rollups built from the returned (= newly inserted) rows only — so a replayed event
changes neither the rows nor the counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select, update

from bot.core.badges.rules import MemberStats
from bot.core.contributions.ports import LeaderboardEntry
from bot.core.contributions.rules import (
    VOLUME_KINDS,
    ContributionFact,
    ContributionKind,
    RecordedContributions,
    ReferralCredit,
    active_streak,
    week_start,
)
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.contributions.bulk import add_to_weeks, insert_new_contributions
from storage.contributions.tables import MemberWeekRow
from storage.metrics.activity import note_contributions
from storage.repository_base import SqlRepository, insert_ignore
from storage.tables import MemberRow

ADMITTED = MemberStatus.ADMITTED.value
STREAK_HORIZON = timedelta(weeks=260)  # streaks are looked for within five years
_VOLUME_VALUES = frozenset(kind.value for kind in VOLUME_KINDS)  # a string test: Enum() costs per row

_KIND_STAT = {
    ContributionKind.HELPFUL_ANSWER.value: "helpful_answers",
    ContributionKind.REFERRAL_ACTIVATED.value: "activated_referrals",
    ContributionKind.SHOWCASE.value: "showcases",
    ContributionKind.AMA_QUESTION.value: "ama_questions",
    ContributionKind.EVENT_ATTENDED.value: "events_attended",
}
KIND_STAT = _KIND_STAT  # kind -> MemberStats field, for other read models (tiers)


@dataclass(frozen=True)
class _Known:
    id: int
    is_bot: bool
    first_contribution_at: datetime | None


@dataclass(frozen=True)
class _Inserted:
    member_id: int
    kind: str
    weight: float
    at: datetime


class SqlContributionRepository(SqlRepository):
    async def record(
        self, facts: Sequence[ContributionFact], referral: ReferralCredit | None = None
    ) -> RecordedContributions:
        if not facts:
            return RecordedContributions()
        community_id = facts[0].community_id
        if any(f.community_id != community_id for f in facts):
            raise ValueError("record() takes the facts of one community at a time")
        known = await self._resolve(community_id, facts)
        rows: list[dict[str, object]] = []
        sources: set[str] = set()
        for fact in facts:
            member = known[fact.member]
            if member.is_bot or fact.source_id in sources:
                continue
            sources.add(fact.source_id)
            rows.append(
                {
                    "community_id": community_id,
                    "member_id": member.id,
                    "kind": fact.kind.value,
                    "weight": fact.weight,
                    "channel_id": fact.channel_id,
                    "target_member_id": known[fact.target].id if fact.target else None,
                    "by_staff": fact.by_staff,
                    "source_id": fact.source_id[:128],
                    "occurred_at": fact.at,
                }
            )
        inserted = await self._insert(rows)
        before = {k.id: k.first_contribution_at for k in known.values()}
        activated = await self._activate(before, inserted)
        if referral is not None and not referral.retention_days and activated:
            credits = await self._credit_referrers(community_id, activated, referral)
            # A credit is the referrer's contribution too (it does not credit their own referrer).
            activated.update(await self._activate(before, credits))
            inserted += credits
        new_weeks = await self._new_weeks(inserted)
        await self._roll_up(community_id, inserted)
        counted = {i.member_id for i in inserted if i.kind not in _VOLUME_VALUES}
        return RecordedContributions(
            inserted=len(inserted),
            member_ids=tuple(sorted({i.member_id for i in inserted})),
            first_contributors=tuple(sorted(activated)),
            rechecks=tuple(sorted(set(activated) | new_weeks | counted)),
        )

    async def _resolve(self, community_id: str, facts: Sequence[ContributionFact]) -> dict[MemberRef, _Known]:
        """Member rows for every person named, created (pending) for people not seen before. People
        already known (the usual case) cost one SELECT; only the unknown ones are inserted."""
        first_seen: dict[MemberRef, tuple[datetime, str]] = {}
        for fact in facts:
            for ref, name in ((fact.member, fact.display_name), (fact.target, "")):
                if ref is not None and ref not in first_seen:
                    first_seen[ref] = (fact.at, name)
        known = await self._known(community_id, first_seen)
        missing = {ref: seen for ref, seen in first_seen.items() if ref not in known}
        if missing:
            await self.session.execute(
                insert_ignore(self.dialect, MemberRow.__table__),
                [
                    {
                        "community_id": community_id,
                        "platform": ref.platform,
                        "user_id": ref.user_id,
                        "display_name": name[:100],
                        "status": MemberStatus.PENDING.value,
                        "is_bot": False,
                        "is_staff": False,
                        "first_seen_at": at,
                        "interests": "",
                        "reminders_opt_out": False,
                    }
                    for ref, (at, name) in missing.items()
                ],
            )
            known.update(await self._known(community_id, missing))
        return known

    async def _known(self, community_id: str, refs: Iterable[MemberRef]) -> dict[MemberRef, _Known]:
        by_platform: dict[str, list[str]] = defaultdict(list)
        for ref in refs:
            by_platform[ref.platform].append(ref.user_id)
        known: dict[MemberRef, _Known] = {}
        for platform, user_ids in by_platform.items():
            result = await self.session.execute(
                select(
                    MemberRow.id, MemberRow.user_id, MemberRow.is_bot, MemberRow.first_contribution_at
                ).where(
                    MemberRow.community_id == community_id,
                    MemberRow.platform == platform,
                    MemberRow.user_id.in_(user_ids),
                )
            )
            for member_id, user_id, is_bot, first in result:
                known[MemberRef(platform, user_id)] = _Known(member_id, is_bot, first)
        return known

    async def _insert(self, rows: list[dict[str, object]]) -> list[_Inserted]:
        if not rows:
            return []
        new = await insert_new_contributions(self.session, rows)
        return [
            _Inserted(row["member_id"], row["kind"], row["weight"], row["occurred_at"])  # type: ignore[arg-type]
            for row in rows
            if row["source_id"] in new
        ]

    async def _activate(
        self, before: dict[int, datetime | None], inserted: list[_Inserted]
    ) -> dict[int, datetime]:
        """Set `first_contribution_at` (to the earliest time seen); returns members activated just now."""
        earliest: dict[int, datetime] = {}
        for row in inserted:
            if row.member_id not in earliest or row.at < earliest[row.member_id]:
                earliest[row.member_id] = row.at
        unknown = [m for m in earliest if m not in before]
        if unknown:
            rows = await self.session.execute(
                select(MemberRow.id, MemberRow.first_contribution_at).where(MemberRow.id.in_(unknown))
            )
            before.update({member_id: first for member_id, first in rows})
        due: dict[int, datetime] = {}
        for member_id, at in sorted(earliest.items()):  # one lock order for every writer
            current = before.get(member_id)
            if current is None or at < current:
                due[member_id] = at
        if not due:
            return {}
        # One ORM-enabled UPDATE for the batch: a MemberRow already loaded in this session sees the
        # new value too; RETURNING says which rows it changed (another writer may have been earlier).
        result = await self.session.execute(
            update(MemberRow)
            .where(
                MemberRow.id.in_(list(due)),
                or_(
                    MemberRow.first_contribution_at.is_(None),
                    MemberRow.first_contribution_at > case(due, value=MemberRow.id),
                ),
            )
            .values(first_contribution_at=case(due, value=MemberRow.id))
            .returning(MemberRow.id)
            .execution_options(synchronize_session="fetch")
        )
        changed = set(result.scalars())
        return {m: at for m, at in due.items() if m in changed and before.get(m) is None}

    async def _credit_referrers(
        self, community_id: str, activated: dict[int, datetime], referral: ReferralCredit
    ) -> list[_Inserted]:
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.referred_by_id, MemberRow.admitted_at).where(
                MemberRow.id.in_(list(activated)), MemberRow.referred_by_id.is_not(None)
            )
        )
        window = timedelta(days=referral.days)
        credits = [
            {
                "community_id": community_id,
                "member_id": referrer,
                "kind": ContributionKind.REFERRAL_ACTIVATED.value,
                "weight": referral.weight,
                "channel_id": None,
                "target_member_id": newcomer,
                "by_staff": False,
                "source_id": f"referral:{newcomer}",
                "occurred_at": activated[newcomer],
            }
            for newcomer, referrer, admitted_at in rows
            if admitted_at is not None and activated[newcomer] - admitted_at <= window
        ]
        return await self._insert(credits)

    async def _new_weeks(self, inserted: list[_Inserted]) -> set[int]:
        """Members with a contribution in a week that had none of theirs before (streaks move)."""
        weeks = {(i.member_id, week_start(i.at)) for i in inserted}
        if not weeks:
            return set()
        rows = await self.session.execute(
            select(MemberWeekRow.member_id, MemberWeekRow.week_start)
            .where(
                MemberWeekRow.member_id.in_({m for m, _ in weeks}),
                MemberWeekRow.week_start.in_({w for _, w in weeks}),
            )
            .distinct()
        )
        return {m for m, w in weeks - {(m, w) for m, w in rows}}

    async def _roll_up(self, community_id: str, inserted: list[_Inserted]) -> None:
        totals: dict[tuple[int, date, str], tuple[int, float]] = {}
        for row in inserted:
            key = (row.member_id, week_start(row.at), row.kind)
            count, weight = totals.get(key, (0, 0.0))
            totals[key] = (count + 1, weight + row.weight)
        if totals:
            await add_to_weeks(self.session, community_id, totals)
            await note_contributions(self.session, community_id, totals)

    async def stats(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> dict[int, MemberStats]:
        if not member_ids:
            return {}
        admitted = set(
            (
                await self.session.execute(
                    select(MemberRow.id).where(
                        MemberRow.id.in_(member_ids),
                        MemberRow.community_id == community_id,
                        MemberRow.status == ADMITTED,
                    )
                )
            ).scalars()
        )
        if not admitted:
            return {}
        counts: dict[int, dict[str, int]] = {m: defaultdict(int) for m in admitted}
        rows = await self.session.execute(
            select(MemberWeekRow.member_id, MemberWeekRow.kind, func.sum(MemberWeekRow.count))
            .where(MemberWeekRow.member_id.in_(admitted))
            .group_by(MemberWeekRow.member_id, MemberWeekRow.kind)
        )
        for member_id, kind, total in rows:
            counts[member_id]["contributions"] += int(total)
            if kind in _KIND_STAT:
                counts[member_id][_KIND_STAT[kind]] += int(total)
        weeks: dict[int, set[date]] = defaultdict(set)
        rows = await self.session.execute(
            select(MemberWeekRow.member_id, MemberWeekRow.week_start)
            .where(
                MemberWeekRow.member_id.in_(admitted),
                MemberWeekRow.week_start >= current_week - STREAK_HORIZON,
            )
            .distinct()
        )
        for member_id, week in rows:
            weeks[member_id].add(week)
        return {
            m: MemberStats(active_weeks=active_streak(weeks[m], current_week), **counts[m]) for m in admitted
        }

    async def recently_active(self, community_id: str, since_week: date) -> list[int]:
        rows = await self.session.execute(
            select(MemberWeekRow.member_id)
            .where(MemberWeekRow.community_id == community_id, MemberWeekRow.week_start >= since_week)
            .distinct()
            .order_by(MemberWeekRow.member_id)
        )
        return list(rows.scalars())

    async def leaderboard(
        self, community_id: str, since_week: date | None, limit: int
    ) -> list[LeaderboardEntry]:
        helpful = func.sum(
            case((MemberWeekRow.kind == ContributionKind.HELPFUL_ANSWER.value, MemberWeekRow.count), else_=0)
        )
        referrals = func.sum(
            case(
                (MemberWeekRow.kind == ContributionKind.REFERRAL_ACTIVATED.value, MemberWeekRow.count),
                else_=0,
            )
        )
        stmt = (
            select(
                MemberRow.id,
                MemberRow.platform,
                MemberRow.user_id,
                MemberRow.display_name,
                helpful,
                referrals,
            )
            .join(MemberWeekRow, MemberWeekRow.member_id == MemberRow.id)
            .where(
                MemberRow.community_id == community_id,
                MemberRow.status == ADMITTED,
                MemberWeekRow.kind.in_(
                    [ContributionKind.HELPFUL_ANSWER.value, ContributionKind.REFERRAL_ACTIVATED.value]
                ),
            )
            .group_by(MemberRow.id, MemberRow.platform, MemberRow.user_id, MemberRow.display_name)
            .order_by((helpful + referrals).desc(), helpful.desc(), referrals.desc(), MemberRow.id)
            .limit(limit)
        )
        if since_week is not None:
            stmt = stmt.where(MemberWeekRow.week_start >= since_week)
        return [
            LeaderboardEntry(i, MemberRef(platform, user_id), name, int(h), int(r))
            for i, platform, user_id, name, h, r in await self.session.execute(stmt)
        ]
