"""Contributions: recorded once per (community, source_id), rolled up per member and ISO week.

`record` is the one write path, used by the batched ingest (up to 500 facts per call) and by
handlers (one fact, inside their own transaction). It is all Core bulk statements: one insert of the
members first seen, one `INSERT … ON CONFLICT DO NOTHING … RETURNING` of the contributions, one
upsert of the rollups built from the returned (= newly inserted) rows only — so a replayed event
changes neither the rows nor the counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)

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
from storage.contributions.bulk import (
    ContributionValues,
    KnownMember,
    add_to_weeks,
    insert_new_contributions,
    known_members,
)
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


_Inserted = ContributionValues  # a row that was new: what activation and the rollups are made of
# A row from a tuple of its values, without the Python call of a NamedTuple's constructor (per row).
_values: Callable[[tuple[Any, ...]], ContributionValues] = partial(tuple.__new__, ContributionValues)
_WEEKS: dict[int, date] = {}  # a day's ordinal (UTC) -> its week's Monday: week_start() once per day


def _week_of(at: datetime) -> date:
    day = at.astimezone(UTC).toordinal()
    week = _WEEKS.get(day)
    if week is None:
        if len(_WEEKS) > 10_000:
            _WEEKS.clear()
        week = _WEEKS[day] = week_start(at)
    return week


_STAT_ADMITTED = select(MemberRow.id).where(
    MemberRow.id.in_(bindparam("member_ids", expanding=True)),
    MemberRow.community_id == bindparam("community_id"),
    MemberRow.status == ADMITTED,
)
# Two reads in one round trip: all-time totals by kind (week is NULL), then the distinct weeks with
# contributions within the streak horizon (kind and total are NULL).
_ADMITTED_IDS: BindParameter[list[int]] = bindparam("admitted", expanding=True)
_STAT_ROWS = union_all(
    select(
        MemberWeekRow.member_id,
        MemberWeekRow.kind,
        func.sum(MemberWeekRow.count).label("total"),
        cast(null(), Date).label("week"),
    )
    .where(MemberWeekRow.member_id.in_(_ADMITTED_IDS))
    .group_by(MemberWeekRow.member_id, MemberWeekRow.kind),
    select(
        MemberWeekRow.member_id,
        cast(null(), String).label("kind"),
        cast(null(), Integer).label("total"),
        MemberWeekRow.week_start.label("week"),
    )
    .where(MemberWeekRow.member_id.in_(_ADMITTED_IDS), MemberWeekRow.week_start >= bindparam("since"))
    .distinct(),
)


class SqlContributionRepository(SqlRepository):
    async def record(
        self, facts: Sequence[ContributionFact], referral: ReferralCredit | None = None
    ) -> RecordedContributions:
        if not facts:
            return RecordedContributions()
        community_id = facts[0].community_id
        if any(f.community_id != community_id for f in facts):
            raise ValueError("record() takes the facts of one community at a time")
        # What this transaction changed through the ORM (a member admitted just now) is seen by the
        # driver-level reads below, which do not autoflush.
        await self.session.flush()
        known = await self._resolve(community_id, facts)
        # Looked up by (platform, user id): a MemberRef's hash is a Python call, a tuple's is not.
        by_key = {(ref.platform, ref.user_id): member for ref, member in known.items()}
        rows: list[ContributionValues] = []
        sources: set[str] = set()
        for fact in facts:
            person = fact.member
            member = by_key[(person.platform, person.user_id)]
            source = fact.source_id[:128]  # what is stored, so what the database dedupes on
            if member.is_bot or source in sources:
                continue
            sources.add(source)
            target = fact.target
            rows.append(
                _values(
                    (
                        community_id,
                        member.id,
                        fact.kind._value_,  # not .value: Enum's property costs a Python call per row
                        fact.weight,
                        fact.channel_id,
                        by_key[(target.platform, target.user_id)].id if target is not None else None,
                        fact.by_staff,
                        source,
                        fact.at,
                    )
                )
            )
        inserted = await self._insert(rows)
        before = {k.id: k.first_contribution_at for k in known.values()}
        activated = await self._activate(before, inserted)
        if referral is not None and not referral.retention_days and activated:
            credits = await self._credit_referrers(community_id, activated, referral)
            # A credit is the referrer's contribution too (it does not credit their own referrer).
            activated.update(await self._activate(before, credits))
            inserted += credits
        totals: dict[tuple[int, date, str], tuple[int, float]] = {}
        counted: set[int] = set()
        weeks = _WEEKS
        for row in inserted:
            at = row.occurred_at
            week = weeks.get(at.toordinal()) if at.tzinfo is UTC else None
            key = (row.member_id, week or _week_of(at), row.kind)
            count, weight = totals.get(key, (0, 0.0))
            totals[key] = (count + 1, weight + row.weight)
            if row.kind not in _VOLUME_VALUES:
                counted.add(row.member_id)
        new_weeks: set[int] = set()
        if totals:
            await add_to_weeks(self.session, community_id, totals)
            # Members with a contribution in a week that had none of theirs before (streaks move).
            new_weeks = {m for m, _ in await note_contributions(self.session, community_id, totals)}
        # Members not admitted (pending, left…) have no stats a badge looks at (`stats`): nothing to
        # recheck for them. A newcomers' burst then costs no badge transactions at all.
        not_admitted = {member.id for member in known.values() if not member.admitted}
        return RecordedContributions(
            inserted=len(inserted),
            member_ids=tuple(sorted({member_id for member_id, _, _ in totals})),
            first_contributors=tuple(sorted(activated)),
            rechecks=tuple(sorted((set(activated) | new_weeks | counted) - not_admitted)),
        )

    async def _resolve(
        self, community_id: str, facts: Sequence[ContributionFact]
    ) -> dict[MemberRef, KnownMember]:
        """Member rows for every person named, created (pending) for people not seen before. People
        already known (the usual case) cost one SELECT; only the unknown ones are inserted."""
        first_seen: dict[MemberRef, tuple[datetime, str]] = {}
        for fact in facts:
            if fact.member not in first_seen:
                first_seen[fact.member] = (fact.at, fact.display_name)
            target = fact.target
            if target is not None and target not in first_seen:
                first_seen[target] = (fact.at, "")
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

    async def _known(self, community_id: str, refs: Iterable[MemberRef]) -> dict[MemberRef, KnownMember]:
        by_platform: dict[str, list[str]] = defaultdict(list)
        for ref in refs:
            by_platform[ref.platform].append(ref.user_id)
        known: dict[MemberRef, KnownMember] = {}
        for platform, user_ids in by_platform.items():
            for member in await known_members(self.session, community_id, platform, user_ids):
                known[MemberRef(platform, member.user_id)] = member
        return known

    async def _insert(self, rows: list[ContributionValues]) -> list[_Inserted]:
        if not rows:
            return []
        new = await insert_new_contributions(self.session, rows)
        return rows if len(new) == len(rows) else [row for row in rows if row.source_id in new]

    async def _activate(
        self, before: dict[int, datetime | None], inserted: list[_Inserted]
    ) -> dict[int, datetime]:
        """Set `first_contribution_at` (to the earliest time seen); returns members activated just now."""
        earliest: dict[int, datetime] = {}
        for row in inserted:
            member_id, at = row.member_id, row.occurred_at
            first = before.get(member_id, at)
            if first is not None and first < at:
                continue  # the usual case: active before, nothing to compare further
            if member_id not in earliest or at < earliest[member_id]:
                earliest[member_id] = at
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
            ContributionValues(
                community_id,
                referrer,
                ContributionKind.REFERRAL_ACTIVATED.value,
                referral.weight,
                None,
                newcomer,
                False,
                f"referral:{newcomer}",
                activated[newcomer],
            )
            for newcomer, referrer, admitted_at in rows
            if admitted_at is not None and activated[newcomer] - admitted_at <= window
        ]
        return await self._insert(credits)

    async def stats(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> dict[int, MemberStats]:
        if not member_ids:
            return {}
        admitted = set(
            (
                await self.session.execute(
                    _STAT_ADMITTED, {"member_ids": list(member_ids), "community_id": community_id}
                )
            ).scalars()
        )
        if not admitted:
            return {}
        counts: dict[int, dict[str, int]] = {m: defaultdict(int) for m in admitted}
        weeks: dict[int, set[date]] = defaultdict(set)
        rows = await self.session.execute(
            _STAT_ROWS, {"admitted": list(admitted), "since": current_week - STREAK_HORIZON}
        )
        for member_id, kind, total, week in rows:
            if week is not None:
                weeks[member_id].add(week)
                continue
            counts[member_id]["contributions"] += int(total)
            if kind in _KIND_STAT:
                counts[member_id][_KIND_STAT[kind]] += int(total)
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
