"""The digest's recognition figures: tiers held and moved, members drifting, who came back."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.members import MemberStatus
from bot.core.metrics.recognition import COME_BACK_DAYS, ChallengeReport, Drifting, Recognition, TierMove
from bot.core.weeks import Period
from storage.badges.tables import MemberTierRow
from storage.challenges.tables import ChallengeEntryRow, ChallengeRow
from storage.metrics.lists import TOTAL, Later, People
from storage.metrics.sql import count_if
from storage.reengagement.tables import MemberDriftRow
from storage.tables import MemberRow

ADMITTED = MemberStatus.ADMITTED.value


@functools.cache
def _statements() -> tuple[Any, Any, Any, Any, Any]:
    """Tiers held at :end, tier moves and heads-ups in [:start, :end), open drift episodes at :end,
    drift episodes and returns since :recent, and challenges running in [:start, :end)."""
    T, D = MemberTierRow, MemberDriftRow
    community: BindParameter[Any] = bindparam("community_id")
    start: BindParameter[Any] = bindparam("start")
    end: BindParameter[Any] = bindparam("end")
    held = (
        select(T.tier_key, func.count())
        .join(MemberRow, MemberRow.id == T.member_id)
        .where(T.community_id == community, MemberRow.status == ADMITTED, T.since < end)
        .group_by(T.tier_key)
        .order_by(func.count().desc(), T.tier_key)
    )
    moved = (
        select(T.member_id, T.tier_key, T.since, T.at_risk_since)
        .where(
            T.community_id == community,
            or_(
                (T.since >= start) & (T.since < end),
                (T.at_risk_since >= start) & (T.at_risk_since < end),
            ),
        )
        .order_by(T.member_id)
    )
    open_ = (
        (D.community_id == community) & (D.since < end) & (D.came_back_at.is_(None) | (D.came_back_at >= end))
    )
    episodes = (
        select(D.member_id, D.since, D.reach_member_id, D.reach_via, TOTAL)
        .where(open_)
        .order_by(D.since, D.id)
        .limit(bindparam("limit", type_=Integer()))
    )
    recent = (D.community_id == community) & (D.since >= bindparam("recent")) & (D.since < end)
    returns = select(func.count(), count_if(D.came_back_at.is_not(None) & (D.came_back_at < end))).where(
        recent
    )
    C, E = ChallengeRow, ChallengeEntryRow
    challenges = (
        select(
            C.id,
            C.title,
            C.ends_at,
            func.count(E.member_id),
            func.count(E.submitted_at),
            func.count(E.completed_at),
        )
        .outerjoin(E, E.challenge_id == C.id)
        .where(C.community_id == community, C.starts_at < end, C.ends_at > start)
        .group_by(C.id, C.title, C.ends_at)
        .order_by(C.ends_at, C.id)
    )
    return held, moved, episodes, returns, challenges


async def recognition(
    conn: AsyncConnection, community_id: str, period: Period, limit: int, people: People
) -> Later[Recognition]:
    """Tiers held at the period's end, tier moves and heads-ups in it, open drift episodes (capped at
    `limit`), and the came-back figures over the 90 days before the period's end."""
    held_stmt, moved_stmt, episodes_stmt, returns_stmt, challenges_stmt = _statements()
    params = {
        "community_id": community_id,
        "start": period.start,
        "end": period.end,
        "limit": limit,
        "recent": period.end - timedelta(days=COME_BACK_DAYS),
    }
    held = (await conn.execute(held_stmt, params)).all()
    moved = (await conn.execute(moved_stmt, params)).all()
    episodes = (await conn.execute(episodes_stmt, params)).all()
    drifting_total = int(episodes[0].total) if episodes else 0
    drifted, came_back = (int(n or 0) for n in (await conn.execute(returns_stmt, params)).one())
    people.want(
        {m.member_id for m in moved}
        | {e.member_id for e in episodes}
        | {e.reach_member_id for e in episodes if e.reach_member_id}
    )
    challenges = (await conn.execute(challenges_stmt, params)).all()
    found = people.found

    def built() -> Recognition:
        moves = []
        for m in moved:
            if m.member_id not in found:
                continue
            if m.since >= period.start and m.since < period.end:
                moves.append(TierMove(found[m.member_id], m.tier_key))
            if m.at_risk_since is not None and period.start <= m.at_risk_since < period.end:
                moves.append(TierMove(found[m.member_id], m.tier_key, heads_up=True))
        return Recognition(
            tiers=tuple((key, int(n)) for key, n in held),
            moves=tuple(moves),
            drifting=tuple(
                Drifting(
                    found[e.member_id],
                    e.since,
                    found.get(e.reach_member_id) if e.reach_member_id else None,
                    e.reach_via,
                )
                for e in episodes
                if e.member_id in found
            ),
            drifting_total=drifting_total,
            drifted=drifted,
            came_back=came_back,
            challenges=tuple(
                ChallengeReport(i, t, e, int(j), int(s), int(c)) for i, t, e, j, s, c in challenges
            ),
        )

    return built
