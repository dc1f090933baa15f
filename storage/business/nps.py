"""Community NPS in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from bot.core.business.nps_rules import SurveyResult
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.business.tables import NpsOptOutRow, NpsResponseRow, NpsSurveyRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow


class SqlNpsRepository(SqlRepository):
    async def eligible(self, community_id: str, admitted_before: datetime) -> list[tuple[int, MemberRef]]:
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.platform, MemberRow.user_id)
            .where(
                MemberRow.community_id == community_id,
                MemberRow.status == MemberStatus.ADMITTED.value,
                MemberRow.admitted_at <= admitted_before,
                MemberRow.is_bot.is_(False),
                MemberRow.is_staff.is_(False),
                MemberRow.id.not_in(select(NpsOptOutRow.member_id)),
            )
            .order_by(MemberRow.id)
        )
        return [(i, MemberRef(p, u)) for i, p, u in rows.tuples()]

    async def open_survey(self, community_id: str, opened_at: datetime, closes_at: datetime) -> int:
        row = NpsSurveyRow(community_id=community_id, opened_at=opened_at, closes_at=closes_at)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def invite(self, survey_id: int, member_ids: Sequence[int]) -> None:
        if member_ids:
            await self.session.execute(
                NpsResponseRow.__table__.insert(),
                [{"survey_id": survey_id, "member_id": m} for m in member_ids],
            )

    async def closes_at(self, survey_id: int, community_id: str) -> datetime | None:
        closes: datetime | None = await self.session.scalar(
            select(NpsSurveyRow.closes_at).where(
                NpsSurveyRow.id == survey_id, NpsSurveyRow.community_id == community_id
            )
        )
        return closes

    async def answer(self, survey_id: int, member_id: int, score: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(NpsResponseRow)
            .where(NpsResponseRow.survey_id == survey_id, NpsResponseRow.member_id == member_id)
            .values(score=score, answered_at=now)
        )
        return affected_rows(result) > 0

    async def explain(self, survey_id: int, member_id: int, reason: str) -> bool:
        result = await self.session.execute(
            update(NpsResponseRow)
            .where(
                NpsResponseRow.survey_id == survey_id,
                NpsResponseRow.member_id == member_id,
                NpsResponseRow.score.is_not(None),
            )
            .values(reason=reason)
        )
        return affected_rows(result) > 0

    async def opt_out(self, member_id: int, now: datetime) -> None:
        await self.session.execute(
            insert_ignore(self.dialect, NpsOptOutRow.__table__).values(member_id=member_id, at=now)
        )

    async def results(self, community_id: str, limit: int) -> list[SurveyResult]:
        surveys = list(
            await self.session.scalars(
                select(NpsSurveyRow)
                .where(NpsSurveyRow.community_id == community_id)
                .order_by(NpsSurveyRow.opened_at.desc(), NpsSurveyRow.id.desc())
                .limit(limit)
            )
        )
        if not surveys:
            return []
        asked: dict[int, int] = defaultdict(int)
        scores: dict[int, list[int]] = defaultdict(list)
        rows = await self.session.execute(
            select(NpsResponseRow.survey_id, NpsResponseRow.score, func.count())
            .where(NpsResponseRow.survey_id.in_([s.id for s in surveys]))
            .group_by(NpsResponseRow.survey_id, NpsResponseRow.score)
        )
        for survey_id, score, n in rows.tuples():
            asked[survey_id] += n
            if score is not None:
                scores[survey_id].extend([score] * n)
        return [
            SurveyResult(s.id, s.opened_at, s.closes_at, asked[s.id], tuple(sorted(scores[s.id])))
            for s in surveys
        ]
