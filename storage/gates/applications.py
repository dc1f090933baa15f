"""Applications: the answers, and one decision per application however many moderators press."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from bot.core.gates.application_rules import Answer, Application, ApplicationStatus
from storage.gates.tables import ApplicationRow
from storage.members import remember
from storage.repository_base import SqlRepository, affected_rows
from storage.tables import MemberRow
from storage.types import UTCDateTime

_APPLICATIONS = ApplicationRow.__table__
_ADD = _APPLICATIONS.insert().returning(*_APPLICATIONS.c)  # one statement, no flush
# Built once. Whoever decides an application reads its applicant next: their member row comes in the
# same query and is remembered for this transaction (`members.get` of the applicant then reads no more).
_GET = (
    select(*_APPLICATIONS.c, MemberRow)
    .outerjoin(MemberRow, MemberRow.id == _APPLICATIONS.c.member_id)
    .where(_APPLICATIONS.c.id == bindparam("application_id"))
    .execution_options(populate_existing=True)
)
_LATEST_OF = (
    select(*_APPLICATIONS.c)
    .where(_APPLICATIONS.c.member_id == bindparam("member_id"))
    .order_by(_APPLICATIONS.c.submitted_at.desc(), _APPLICATIONS.c.id.desc())
    .limit(1)
)
_DECIDE = (
    update(_APPLICATIONS)
    .where(
        _APPLICATIONS.c.id == bindparam("application_id"),
        _APPLICATIONS.c.status == ApplicationStatus.PENDING.value,
    )
    .values(
        status=bindparam("new_status"),
        decided_by_id=bindparam("new_decided_by_id"),
        decided_at=bindparam("new_decided_at"),
        reason=bindparam("new_reason"),
    )
)


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


# Built once, bound at each execution (the daily overdue check reads them every day).
_PENDING_WHERE = (
    ApplicationRow.community_id == bindparam("community_id"),
    ApplicationRow.status == ApplicationStatus.PENDING.value,
)
_PENDING = (
    select(ApplicationRow)
    .where(*_PENDING_WHERE)
    .order_by(ApplicationRow.submitted_at, ApplicationRow.id)
    .execution_options(populate_existing=True)
)
_PENDING_BEFORE = (
    select(ApplicationRow)
    .where(*_PENDING_WHERE, ApplicationRow.submitted_at < bindparam("submitted_before", type_=UTCDateTime()))
    .order_by(ApplicationRow.submitted_at, ApplicationRow.id)
    .execution_options(populate_existing=True)
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
        row = (await self.session.execute(_GET, {"application_id": application_id})).one_or_none()
        if row is None:
            return None
        applicant: MemberRow | None = row[-1]
        if applicant is not None:
            remember(self.session, applicant)
        return _application(row)

    async def latest_of(self, member_id: int) -> Application | None:
        row = (await self.session.execute(_LATEST_OF, {"member_id": member_id})).one_or_none()
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
            _DECIDE,
            {
                "application_id": application_id,
                "new_status": status.value,
                "new_decided_by_id": decided_by_id,
                "new_decided_at": now,
                "new_reason": reason,
            },
        )
        return bool(affected_rows(result))

    async def pending(self, community_id: str, submitted_before: datetime | None = None) -> list[Application]:
        if submitted_before is None:
            rows = await self.session.execute(_PENDING, {"community_id": community_id})
        else:
            rows = await self.session.execute(
                _PENDING_BEFORE, {"community_id": community_id, "submitted_before": submitted_before}
            )
        return [_application(row) for row in rows.scalars()]
