"""Badge awards: each (member, badge) at most once, and never deleted except by the member's own erasure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Integer,
    String,
    bindparam,
    cast,
    func,
    lambda_stmt,
    literal,
    null,
    select,
    union_all,
)

from bot.core.badges.ports import BadgeAward, BadgeCandidate
from bot.core.badges.rules import MemberStats
from bot.core.contributions.rules import active_streak
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.badges.tables import BadgeAwardRow
from storage.contributions.repository import KIND_STAT, STREAK_HORIZON
from storage.contributions.tables import MemberWeekRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

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


# What a recheck of stat badges reads, in one round trip (ContributionsRecorded runs it after every
# ingest batch and recorded contribution): the admitted members among those asked (part 0: their
# platform and user id), their all-time totals by kind (1), their distinct weeks with contributions
# within the streak horizon (2) and the badges they hold (3). `text_a` is the platform, kind or badge.
_ADMITTED = (
    select(MemberRow.id, MemberRow.platform, MemberRow.user_id)
    .where(
        MemberRow.id.in_(bindparam("member_ids", expanding=True)),
        MemberRow.community_id == bindparam("community_id"),
        MemberRow.status == MemberStatus.ADMITTED.value,
    )
    .cte("admitted")
)
_ADMITTED_IDS = select(_ADMITTED.c.id)
_CANDIDATES = union_all(
    select(
        literal(0).label("part"),
        _ADMITTED.c.id.label("member_id"),
        cast(_ADMITTED.c.platform, String).label("text_a"),
        cast(_ADMITTED.c.user_id, String).label("text_b"),
        cast(null(), Integer).label("total"),
        cast(null(), Date).label("week"),
    ),
    select(
        literal(1),
        MemberWeekRow.member_id,
        MemberWeekRow.kind,
        cast(null(), String),
        func.sum(MemberWeekRow.count),
        cast(null(), Date),
    )
    .where(MemberWeekRow.member_id.in_(_ADMITTED_IDS))
    .group_by(MemberWeekRow.member_id, MemberWeekRow.kind),
    select(
        literal(2),
        MemberWeekRow.member_id,
        cast(null(), String),
        cast(null(), String),
        cast(null(), Integer),
        MemberWeekRow.week_start,
    )
    .where(MemberWeekRow.member_id.in_(_ADMITTED_IDS), MemberWeekRow.week_start >= bindparam("since"))
    .distinct(),
    select(
        literal(3),
        BadgeAwardRow.member_id,
        BadgeAwardRow.badge_key,
        cast(null(), String),
        cast(null(), Integer),
        cast(null(), Date),
    ).where(BadgeAwardRow.member_id.in_(_ADMITTED_IDS)),
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

    async def candidates(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> list[BadgeCandidate]:
        if not member_ids:
            return []
        # A member admitted earlier in this transaction (through the ORM, not flushed yet) is a
        # candidate: a Core statement over a CTE does not autoflush, so flush first.
        await self.session.flush()
        rows = await self.session.execute(
            _CANDIDATES,
            {
                "member_ids": list(member_ids),
                "community_id": community_id,
                "since": current_week - STREAK_HORIZON,
            },
        )
        refs: dict[int, MemberRef] = {}
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        weeks: dict[int, set[date]] = defaultdict(set)
        held: dict[int, set[str]] = defaultdict(set)
        for part, member_id, text_a, text_b, total, week in rows:
            if part == 0:
                refs[member_id] = MemberRef(text_a, text_b)
            elif part == 1:
                member_counts = counts[member_id]
                member_counts["contributions"] += int(total)
                if text_a in KIND_STAT:
                    member_counts[KIND_STAT[text_a]] += int(total)
            elif part == 2:
                weeks[member_id].add(week)
            else:
                held[member_id].add(text_a)
        return [
            BadgeCandidate(
                member_id,
                ref,
                MemberStats(active_weeks=active_streak(weeks[member_id], current_week), **counts[member_id]),
                frozenset(held[member_id]),
            )
            # In the order of a set of their ids made in ascending order, as the checks always ran:
            # the awards of one pass are announced, and listed in the digest, in this order.
            for member_id, ref in ((m, refs[m]) for m in set(sorted(refs)))
        ]
