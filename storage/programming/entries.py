"""What members bring to an occurrence: AMA questions (with votes) and showcase submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, lambda_stmt, select, update

from bot.core.programming.rules import Question, Submission, SubmissionStatus
from bot.core.refs import MemberRef
from storage.programming.tables import AmaQuestionRow, QuestionVoteRow, ShowcaseSubmissionRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
_VOTE_SQLITE = insert_ignore("sqlite", QuestionVoteRow.__table__)
_VOTE_PG = insert_ignore("postgresql", QuestionVoteRow.__table__)
_VOTE = {
    "sqlite": lambda_stmt(lambda: _VOTE_SQLITE),
    "postgresql": lambda_stmt(lambda: _VOTE_PG),
}


def _question(row: AmaQuestionRow | Any, asker: MemberRow) -> Question:
    return Question(
        id=row.id,
        occurrence_id=row.occurrence_id,
        asker_id=row.asker_id,
        asker=MemberRef(asker.platform, asker.user_id),
        text=row.text,
        votes=row.votes,
        created_at=row.created_at,
        answered_at=row.answered_at,
    )


def _submission(row: ShowcaseSubmissionRow, presenter: MemberRow) -> Submission:
    return Submission(
        id=row.id,
        occurrence_id=row.occurrence_id,
        presenter_id=row.presenter_id,
        presenter=MemberRef(presenter.platform, presenter.user_id),
        title=row.title,
        link=row.link,
        description=row.description,
        status=SubmissionStatus(row.status),
        created_at=row.created_at,
    )


_QUESTIONS = select(AmaQuestionRow, MemberRow).join(MemberRow, MemberRow.id == AmaQuestionRow.asker_id)
_QUESTION = _QUESTIONS.where(AmaQuestionRow.id == bindparam("question_id")).execution_options(
    populate_existing=True
)
_ADD_VOTE = (
    update(AmaQuestionRow)
    .where(AmaQuestionRow.id == bindparam("question_id"))
    .values(votes=AmaQuestionRow.votes + 1)
)
_SUBMISSIONS = select(ShowcaseSubmissionRow, MemberRow).join(
    MemberRow, MemberRow.id == ShowcaseSubmissionRow.presenter_id
)


_ADD_QUESTION = AmaQuestionRow.__table__.insert().returning(*AmaQuestionRow.__table__.c)


class SqlQuestionRepository(SqlRepository):
    async def add(self, occurrence_id: int, asker_id: int, text: str, now: datetime) -> Question:
        # A Core insert returning the row, and the asker's row from the session (read in this
        # transaction already, as a rule): no flush of an ORM object and no second query.
        values = {
            "occurrence_id": occurrence_id,
            "asker_id": asker_id,
            "text": text,
            "votes": 0,
            "created_at": now,
        }
        row = (await self.session.execute(_ADD_QUESTION, values)).one()
        asker = await self.session.get(MemberRow, asker_id)
        assert asker is not None
        return _question(row, asker)

    async def get(self, question_id: int) -> Question | None:
        row = (await self.session.execute(_QUESTION, {"question_id": question_id})).one_or_none()
        return _question(row[0], row[1]) if row else None

    async def count_by(self, occurrence_id: int, asker_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(AmaQuestionRow)
                .where(AmaQuestionRow.occurrence_id == occurrence_id, AmaQuestionRow.asker_id == asker_id)
            )
            or 0
        )

    async def vote(self, question_id: int, member_id: int, now: datetime) -> bool:
        inserted = await self.session.execute(
            _VOTE[self.dialect], {"question_id": question_id, "member_id": member_id, "voted_at": now}
        )
        if not affected_rows(inserted):
            return False
        # An increment in SQL, not read-modify-write: concurrent votes all count.
        await self.session.execute(_ADD_VOTE, {"question_id": question_id})
        return True

    async def of_occurrence(self, occurrence_id: int) -> list[Question]:
        rows = await self.session.execute(
            _QUESTIONS.where(AmaQuestionRow.occurrence_id == occurrence_id)
            .order_by(AmaQuestionRow.id)
            .execution_options(populate_existing=True)
        )
        return [_question(q, m) for q, m in rows]

    async def mark_answered(self, question_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(AmaQuestionRow)
            .where(AmaQuestionRow.id == question_id, AmaQuestionRow.answered_at.is_(None))
            .values(answered_at=now)
        )
        return bool(affected_rows(result))

    async def move_open(self, from_occurrence_id: int, to_occurrence_id: int) -> int:
        result = await self.session.execute(
            update(AmaQuestionRow)
            .where(AmaQuestionRow.occurrence_id == from_occurrence_id, AmaQuestionRow.answered_at.is_(None))
            .values(occurrence_id=to_occurrence_id)
        )
        return int(affected_rows(result))


class SqlShowcaseRepository(SqlRepository):
    async def add(
        self,
        occurrence_id: int,
        presenter_id: int,
        *,
        title: str,
        link: str,
        description: str,
        status: SubmissionStatus,
        now: datetime,
    ) -> Submission:
        row = ShowcaseSubmissionRow(
            occurrence_id=occurrence_id,
            presenter_id=presenter_id,
            title=title,
            link=link,
            description=description,
            status=status.value,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        found = await self.get(row.id)
        assert found is not None
        return found

    async def get(self, submission_id: int) -> Submission | None:
        row = (
            await self.session.execute(
                _SUBMISSIONS.where(ShowcaseSubmissionRow.id == submission_id).execution_options(
                    populate_existing=True
                )
            )
        ).one_or_none()
        return _submission(row[0], row[1]) if row else None

    async def count_by(self, occurrence_id: int, presenter_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ShowcaseSubmissionRow)
                .where(
                    ShowcaseSubmissionRow.occurrence_id == occurrence_id,
                    ShowcaseSubmissionRow.presenter_id == presenter_id,
                    ShowcaseSubmissionRow.status != SubmissionStatus.REJECTED.value,
                )
            )
            or 0
        )

    async def decide(self, submission_id: int, status: SubmissionStatus) -> bool:
        result = await self.session.execute(
            update(ShowcaseSubmissionRow)
            .where(
                ShowcaseSubmissionRow.id == submission_id,
                ShowcaseSubmissionRow.status == SubmissionStatus.PENDING.value,
            )
            .values(status=status.value)
        )
        return bool(affected_rows(result))

    async def of_occurrence(
        self, occurrence_id: int, status: SubmissionStatus | None = None
    ) -> list[Submission]:
        stmt = _SUBMISSIONS.where(ShowcaseSubmissionRow.occurrence_id == occurrence_id).order_by(
            ShowcaseSubmissionRow.created_at, ShowcaseSubmissionRow.id
        )
        if status is not None:
            stmt = stmt.where(ShowcaseSubmissionRow.status == status.value)
        rows = await self.session.execute(stmt.execution_options(populate_existing=True))
        return [_submission(s, m) for s, m in rows]

    async def move_open(self, from_occurrence_id: int, to_occurrence_id: int) -> int:
        result = await self.session.execute(
            update(ShowcaseSubmissionRow)
            .where(
                ShowcaseSubmissionRow.occurrence_id == from_occurrence_id,
                ShowcaseSubmissionRow.status != SubmissionStatus.REJECTED.value,
            )
            .values(occurrence_id=to_occurrence_id)
        )
        return int(affected_rows(result))
