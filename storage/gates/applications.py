"""Applications: the answers, and one decision per application however many moderators press."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.core.gates.application_rules import Answer, Application, ApplicationStatus
from storage.gates.tables import ApplicationRow
from storage.repository_base import SqlRepository, affected_rows

_ADD = ApplicationRow.__table__.insert().returning(*ApplicationRow.__table__.c)  # one statement, no flush


def _application(row: ApplicationRow | Any) -> Application:
    """An application from its ORM row or a Core row with the same columns."""
    answers = tuple(Answer(item["question"], item["answer"]) for item in row.answers.get("answers", []))
    return Application(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        answers=answers,
        status=ApplicationStatus(row.status),
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        decided_by_id=row.decided_by_id,
        reason=row.reason,
    )


class SqlApplicationRepository(SqlRepository):
    """Applications and their decisions."""

    async def add(
        self, community_id: str, member_id: int, answers: tuple[Answer, ...], now: datetime
    ) -> Application:
        row = (
            await self.session.execute(
                _ADD,
                {
                    "community_id": community_id,
                    "member_id": member_id,
                    "answers": {"answers": [{"question": a.question, "answer": a.answer} for a in answers]},
                    "status": ApplicationStatus.PENDING.value,
                    "submitted_at": now,
                },
            )
        ).one()
        return _application(row)

    async def get(self, application_id: int) -> Application | None:
        row = await self.session.get(ApplicationRow, application_id, populate_existing=True)
        return _application(row) if row else None

    async def latest_of(self, member_id: int) -> Application | None:
        rows = await self.session.execute(
            select(ApplicationRow)
            .where(ApplicationRow.member_id == member_id)
            .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = rows.scalar_one_or_none()
        return _application(row) if row else None

    async def decide(
        self,
        application_id: int,
        status: ApplicationStatus,
        *,
        decided_by_id: int,
        now: datetime,
        reason: str | None = None,
    ) -> bool:
        result = await self.session.execute(
            update(ApplicationRow)
            .where(
                ApplicationRow.id == application_id, ApplicationRow.status == ApplicationStatus.PENDING.value
            )
            .values(status=status.value, decided_by_id=decided_by_id, decided_at=now, reason=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(affected_rows(result))

    async def pending(self, community_id: str, submitted_before: datetime | None = None) -> list[Application]:
        stmt = select(ApplicationRow).where(
            ApplicationRow.community_id == community_id,
            ApplicationRow.status == ApplicationStatus.PENDING.value,
        )
        if submitted_before is not None:
            stmt = stmt.where(ApplicationRow.submitted_at < submitted_before)
        rows = await self.session.execute(
            stmt.order_by(ApplicationRow.submitted_at, ApplicationRow.id).execution_options(
                populate_existing=True
            )
        )
        return [_application(row) for row in rows.scalars()]
