"""Buddy matching's reads and writes: candidates (badge holders, or the stand-ins while too few exist),
newcomers with their interests and role/industry picks, past pairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select

from bot.core.cohorts.buddy_rules import BuddyCandidate, Newcomer, match_fields, parse_interests, words
from bot.core.cohorts.rules import CohortStatus
from bot.core.members import AdmissionMethod, MemberStatus
from storage.badges.tables import BadgeAwardRow
from storage.cohorts.tables import BuddyPairRow, CohortRow, MemberMatchRow
from storage.gates.tables import ApplicationRow
from storage.repository_base import SqlRepository, upsert
from storage.tables import MemberRow

ADMITTED = MemberStatus.ADMITTED.value
FOUNDING = "founding"


class SqlBuddies(SqlRepository):
    async def buddy_candidates(self, community_id: str, badge_keys: Sequence[str]) -> list[BuddyCandidate]:
        holders = (
            select(BadgeAwardRow.member_id)
            .where(BadgeAwardRow.community_id == community_id, BadgeAwardRow.badge_key.in_(badge_keys))
            .distinct()
        )
        return await self._candidates(community_id, MemberRow.id.in_(holders))

    async def stand_ins(self, community_id: str) -> list[BuddyCandidate]:
        founders = select(BadgeAwardRow.member_id).where(
            BadgeAwardRow.community_id == community_id, BadgeAwardRow.badge_key == FOUNDING
        )
        return await self._candidates(
            community_id,
            or_(
                MemberRow.is_staff.is_(True),
                MemberRow.admission_method == AdmissionMethod.ADOPTED.value,
                MemberRow.id.in_(founders),
            ),
        )

    async def _candidates(self, community_id: str, who: Any) -> list[BuddyCandidate]:
        load = (
            select(BuddyPairRow.buddy_id, func.count().label("load"))
            .join(CohortRow, CohortRow.id == BuddyPairRow.cohort_id)
            .where(CohortRow.status == CohortStatus.ACTIVE.value)
            .group_by(BuddyPairRow.buddy_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(MemberRow.id, MemberRow.interests, func.coalesce(load.c.load, 0))
                .outerjoin(load, load.c.buddy_id == MemberRow.id)
                .where(
                    MemberRow.community_id == community_id,
                    MemberRow.status == ADMITTED,
                    MemberRow.is_bot.is_(False),
                    who,
                )
                .order_by(MemberRow.id)
            )
        ).all()
        picks = await self._picks([r[0] for r in rows])
        return [
            BuddyCandidate(
                member_id=i,
                tags=frozenset(parse_interests(interests)),
                load=int(n),
                fields=frozenset(f"{k}={v}" for k, v in picks.get(i, {}).items()),
            )
            for i, interests, n in rows
        ]

    async def set_match(self, member_id: int, field: str, value: str) -> None:
        stmt = upsert(self.dialect, MemberMatchRow.__table__)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["member_id", "field"], set_={"value": stmt.excluded["value"]}
            ),
            [{"member_id": member_id, "field": field, "value": value[:64]}],
        )

    async def _picks(self, member_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        if not member_ids:
            return {}
        picks: dict[int, dict[str, str]] = {}
        query: Select[tuple[int, str, str]] = select(
            MemberMatchRow.member_id, MemberMatchRow.field, MemberMatchRow.value
        ).where(MemberMatchRow.member_id.in_(member_ids))
        for member_id, field, value in await self.session.execute(query):
            picks.setdefault(member_id, {})[field] = value
        return picks

    async def past_pairs(self, member_ids: Sequence[int]) -> set[frozenset[int]]:
        if not member_ids:
            return set()
        rows = await self.session.execute(
            select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id).where(
                or_(BuddyPairRow.newcomer_id.in_(member_ids), BuddyPairRow.buddy_id.in_(member_ids))
            )
        )
        return {frozenset((a, b)) for a, b in rows}

    async def newcomers(
        self, member_ids: Sequence[int], choices: Mapping[str, Sequence[str]] | None = None
    ) -> list[Newcomer]:
        if not member_ids:
            return []
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.interests).where(MemberRow.id.in_(member_ids))
        )
        interests = {member_id: text for member_id, text in rows}
        answers: dict[int, list[str]] = {}
        picked: dict[int, dict[str, str]] = {}
        rows = await self.session.execute(
            select(ApplicationRow.member_id, ApplicationRow.answers).where(
                ApplicationRow.member_id.in_(member_ids)
            )
        )
        for member_id, data in rows:
            values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
            answers.setdefault(member_id, []).extend(str(v) for v in values)
            if isinstance(data, dict):  # an application question keyed "role" or "industry"
                picked.setdefault(member_id, {}).update(
                    {k: str(v) for k, v in data.items() if k in (choices or {})}
                )
        for member_id, own in (await self._picks(member_ids)).items():
            picked.setdefault(member_id, {}).update(own)  # a pick made with /cohort wins
        return [
            Newcomer(
                member_id=m,
                tags=frozenset(parse_interests(interests.get(m, ""))),
                words=words(" ".join(answers.get(m, [])) + " " + interests.get(m, "")),
                fields=match_fields(picked.get(m, {}), choices or {}),
            )
            for m in member_ids
        ]
