"""Status history and the per-member notices it causes, sent in daily batches, exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import aliased

from bot.core.feedback.idea_rules import IdeaStatus, Notice
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.feedback.tables import IdeaNoticeRow, IdeaOptOutRow, IdeaRow, IdeaStatusChangeRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

# Built once (the daily batch reads it every day, mostly to find nothing): a reused statement skips
# construction and keeps SQLAlchemy's compiled form.
_TARGET = aliased(IdeaRow)
_PENDING = (
    select(
        IdeaNoticeRow.id,
        IdeaNoticeRow.member_id,
        MemberRow.platform,
        MemberRow.user_id,
        MemberRow.status,
        IdeaRow.id,
        IdeaRow.title,
        IdeaStatusChangeRow.from_status,
        IdeaStatusChangeRow.to_status,
        IdeaStatusChangeRow.at,
        IdeaStatusChangeRow.reason,
        IdeaRow.merged_into_id,
        _TARGET.title,
    )
    .join(IdeaStatusChangeRow, IdeaStatusChangeRow.id == IdeaNoticeRow.change_id)
    .join(IdeaRow, IdeaRow.id == IdeaStatusChangeRow.idea_id)
    .join(MemberRow, MemberRow.id == IdeaNoticeRow.member_id)
    .outerjoin(_TARGET, _TARGET.id == IdeaRow.merged_into_id)
    .where(IdeaNoticeRow.community_id == bindparam("community_id"), IdeaNoticeRow.sent_at.is_(None))
    .order_by(IdeaNoticeRow.member_id, IdeaStatusChangeRow.at, IdeaNoticeRow.id)
)


class SqlIdeaNoticeRepository(SqlRepository):
    async def add_change(
        self,
        idea_id: int,
        old: IdeaStatus,
        new: IdeaStatus,
        by_id: int | None,
        reason: str | None,
        now: datetime,
    ) -> int:
        row = IdeaStatusChangeRow(
            idea_id=idea_id,
            from_status=old.value,
            to_status=new.value,
            by_id=by_id,
            reason=reason[:500] if reason else None,
            at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def queue(self, community_id: str, change_id: int, member_ids: Iterable[int], now: datetime) -> int:
        """A pending notice per member for this change, skipping members who opted out; once each."""
        wanted = sorted(set(member_ids))
        if not wanted:
            return 0
        opted = set(
            (
                await self.session.execute(
                    select(IdeaOptOutRow.member_id).where(IdeaOptOutRow.member_id.in_(wanted))
                )
            ).scalars()
        )
        rows = [
            {"community_id": community_id, "member_id": m, "change_id": change_id, "created_at": now}
            for m in wanted
            if m not in opted
        ]
        if not rows:
            return 0
        result = await self.session.execute(insert_ignore(self.dialect, IdeaNoticeRow.__table__).values(rows))
        return int(affected_rows(result))

    async def pending(self, community_id: str) -> list[Notice]:
        rows = await self.session.execute(_PENDING, {"community_id": community_id})
        notices = []
        for (
            nid,
            mid,
            platform,
            user_id,
            status,
            idea_id,
            title,
            old,
            new,
            at,
            reason,
            into,
            into_title,
        ) in rows:
            merged = new == IdeaStatus.MERGED.value
            notices.append(
                Notice(
                    id=nid,
                    member_id=mid,
                    member=MemberRef(platform, user_id),
                    admitted=status == MemberStatus.ADMITTED.value,
                    idea_id=idea_id,
                    idea_title=title,
                    old=IdeaStatus(old),
                    new=IdeaStatus(new),
                    at=at,
                    reason=reason,
                    merged_into_id=into if merged else None,
                    merged_into_title=into_title if merged else None,
                )
            )
        return notices

    async def claim(self, notice_ids: Sequence[int], now: datetime) -> set[int]:
        """Mark notices sent; returns the ids this transaction took (a concurrent batch gets none)."""
        if not notice_ids:
            return set()
        result = await self.session.execute(
            update(IdeaNoticeRow)
            .where(IdeaNoticeRow.id.in_(list(notice_ids)), IdeaNoticeRow.sent_at.is_(None))
            .values(sent_at=now)
            .returning(IdeaNoticeRow.id)
        )
        return {int(i) for i in result.scalars()}

    async def set_opt_out(self, community_id: str, member_id: int, opt_out: bool, now: datetime) -> None:
        if opt_out:
            await self.session.execute(
                insert_ignore(self.dialect, IdeaOptOutRow.__table__).values(
                    member_id=member_id, community_id=community_id, since=now
                )
            )
        else:
            await self.session.execute(delete(IdeaOptOutRow).where(IdeaOptOutRow.member_id == member_id))

    async def opted_out(self, member_id: int) -> bool:
        found = await self.session.scalar(
            select(IdeaOptOutRow.member_id).where(IdeaOptOutRow.member_id == member_id)
        )
        return found is not None
