"""Ideas, votes, drafts, and the contributions filing and voting count as."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, select, update

from bot.core.feedback.idea_rules import OPEN, Draft, Idea, IdeaStatus, Voter
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.badges.tables import BadgeAwardRow
from storage.feedback.tables import IdeaDraftRow, IdeaRow, IdeaVoteRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

_OPEN = [s.value for s in OPEN]


def to_idea(row: IdeaRow) -> Idea:
    """Row -> core dataclass."""
    return Idea(
        id=row.id,
        community_id=row.community_id,
        author_id=row.author_id,
        title=row.title,
        details=row.details,
        area=row.area,
        status=IdeaStatus(row.status),
        votes=row.votes,
        created_at=row.created_at,
        status_reason=row.status_reason,
        merged_into_id=row.merged_into_id,
        shipped_at=row.shipped_at,
    )


class SqlIdeaRepository(SqlRepository):
    async def add(
        self, community_id: str, author_id: int, title: str, details: str, area: str | None, now: datetime
    ) -> Idea:
        """File an idea; the author's own vote comes with it (their interest counts, also in merges)."""
        row = IdeaRow(
            community_id=community_id,
            author_id=author_id,
            title=title[:200],
            details=details[:2000],
            area=area,
            status=IdeaStatus.NEW.value,
            votes=1,
            created_at=now,
            status_changed_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        await self.session.execute(
            insert_ignore(self.dialect, IdeaVoteRow.__table__).values(
                idea_id=row.id, member_id=author_id, voted_at=now
            )
        )
        return to_idea(row)

    async def get(self, community_id: str, idea_id: int) -> Idea | None:
        row = await self._row(community_id, idea_id, lock=False)
        return to_idea(row) if row else None

    async def lock(self, community_id: str, idea_id: int) -> Idea | None:
        """The idea, its row locked until commit (PostgreSQL; SQLite writers are serialised anyway),
        so concurrent votes and status changes on one idea queue instead of racing."""
        row = await self._row(community_id, idea_id, lock=True)
        return to_idea(row) if row else None

    async def _row(self, community_id: str, idea_id: int, *, lock: bool) -> IdeaRow | None:
        stmt = select(IdeaRow).where(IdeaRow.id == idea_id, IdeaRow.community_id == community_id)
        if lock:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def many(self, community_id: str, idea_ids: Sequence[int]) -> dict[int, Idea]:
        if not idea_ids:
            return {}
        rows = await self.session.execute(
            select(IdeaRow).where(IdeaRow.community_id == community_id, IdeaRow.id.in_(list(idea_ids)))
        )
        return {row.id: to_idea(row) for row in rows.scalars()}

    async def open_titles(self, community_id: str) -> dict[int, str]:
        rows = await self.session.execute(
            select(IdeaRow.id, IdeaRow.title).where(
                IdeaRow.community_id == community_id, IdeaRow.status.in_(_OPEN)
            )
        )
        return {int(i): t for i, t in rows.all()}

    async def vote_of(self, idea_id: int, member_id: int) -> datetime | None:
        found = await self.session.scalar(
            select(IdeaVoteRow.voted_at).where(
                IdeaVoteRow.idea_id == idea_id, IdeaVoteRow.member_id == member_id
            )
        )
        return found

    async def add_vote(self, idea_id: int, member_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, IdeaVoteRow.__table__).values(
                idea_id=idea_id, member_id=member_id, voted_at=now
            )
        )
        return bool(affected_rows(result))

    async def remove_vote(self, idea_id: int, member_id: int) -> bool:
        result = await self.session.execute(
            delete(IdeaVoteRow).where(IdeaVoteRow.idea_id == idea_id, IdeaVoteRow.member_id == member_id)
        )
        return bool(affected_rows(result))

    async def recount(self, idea_id: int) -> int:
        """Set the cached count from the votes themselves (never +1/-1, so it cannot drift)."""
        count = (
            select(func.count())
            .select_from(IdeaVoteRow)
            .where(IdeaVoteRow.idea_id == idea_id)
            .scalar_subquery()
        )
        await self.session.execute(update(IdeaRow).where(IdeaRow.id == idea_id).values(votes=count))
        return int(await self.session.scalar(select(IdeaRow.votes).where(IdeaRow.id == idea_id)) or 0)

    async def voters(self, idea_id: int) -> list[Voter]:
        rows = await self.session.execute(
            select(
                IdeaVoteRow.member_id,
                MemberRow.platform,
                MemberRow.user_id,
                MemberRow.display_name,
                IdeaVoteRow.voted_at,
                MemberRow.status,
            )
            .join(MemberRow, MemberRow.id == IdeaVoteRow.member_id)
            .where(IdeaVoteRow.idea_id == idea_id)
            .order_by(IdeaVoteRow.voted_at, IdeaVoteRow.member_id)
        )
        return [
            Voter(
                member_id=mid,
                ref=MemberRef(platform, user_id),
                display_name=name,
                voted_at=at,
                admitted=status == MemberStatus.ADMITTED.value,
            )
            for mid, platform, user_id, name, at, status in rows.all()
        ]

    async def set_status(
        self,
        idea_id: int,
        old: IdeaStatus,
        new: IdeaStatus,
        now: datetime,
        *,
        reason: str | None = None,
        merged_into_id: int | None = None,
    ) -> bool:
        """Move the idea from `old` to `new`; False when someone else changed it first."""
        values: dict[str, object] = {
            "status": new.value,
            "status_reason": reason,
            "status_changed_at": now,
            "merged_into_id": merged_into_id,
        }
        if new is IdeaStatus.SHIPPED:
            values["shipped_at"] = now
        result = await self.session.execute(
            update(IdeaRow).where(IdeaRow.id == idea_id, IdeaRow.status == old.value).values(**values)
        )
        return bool(affected_rows(result))

    async def merge_votes(self, source_id: int, target_id: int) -> None:
        """Copy the source's votes onto the target; a member who voted for both keeps one vote."""
        copied = select(
            literal(target_id, IdeaVoteRow.idea_id.type), IdeaVoteRow.member_id, IdeaVoteRow.voted_at
        ).where(IdeaVoteRow.idea_id == source_id)
        stmt = insert_ignore(self.dialect, IdeaVoteRow.__table__).from_select(
            ["idea_id", "member_id", "voted_at"], copied
        )
        await self.session.execute(stmt)

    async def with_status(
        self, community_id: str, statuses: Sequence[IdeaStatus], *, shipped_since: datetime | None = None
    ) -> list[Idea]:
        """Ideas in these statuses; shipped ones only when shipped at or after `shipped_since`."""
        stmt = select(IdeaRow).where(
            IdeaRow.community_id == community_id, IdeaRow.status.in_([s.value for s in statuses])
        )
        rows = [to_idea(row) for row in (await self.session.execute(stmt)).scalars()]
        return [
            i
            for i in rows
            if i.status is not IdeaStatus.SHIPPED
            or shipped_since is None
            or (i.shipped_at is not None and i.shipped_at >= shipped_since)
        ]

    async def voter_badges(self, idea_ids: Sequence[int]) -> dict[int, list[set[str]]]:
        """Per idea, each voter's badge keys (for tier-weighted roadmap order)."""
        if not idea_ids:
            return {}
        rows = await self.session.execute(
            select(IdeaVoteRow.idea_id, IdeaVoteRow.member_id, BadgeAwardRow.badge_key)
            .outerjoin(BadgeAwardRow, BadgeAwardRow.member_id == IdeaVoteRow.member_id)
            .where(IdeaVoteRow.idea_id.in_(list(idea_ids)))
        )
        voters: dict[int, dict[int, set[str]]] = {}
        for idea_id, member_id, badge in rows.all():
            keys = voters.setdefault(idea_id, {}).setdefault(member_id, set())
            if badge:
                keys.add(badge)
        return {idea_id: list(members.values()) for idea_id, members in voters.items()}

    # --- drafts: an idea held while its author looks at similar ones ---------------------------

    async def save_draft(
        self, community_id: str, member_id: int, title: str, details: str, area: str | None, now: datetime
    ) -> int:
        # A day is plenty to decide; older drafts go whenever a new one is saved.
        await self.session.execute(
            delete(IdeaDraftRow).where(IdeaDraftRow.created_at < now - timedelta(days=1))
        )
        row = IdeaDraftRow(
            community_id=community_id,
            member_id=member_id,
            title=title[:200],
            details=details[:2000],
            area=area,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def take_draft(self, community_id: str, draft_id: int, member_id: int) -> Draft | None:
        """Remove and return the member's draft; None when it is gone or not theirs."""
        row = (
            await self.session.execute(
                select(IdeaDraftRow).where(
                    IdeaDraftRow.id == draft_id,
                    IdeaDraftRow.community_id == community_id,
                    IdeaDraftRow.member_id == member_id,
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        draft = Draft(id=row.id, member_id=row.member_id, title=row.title, details=row.details, area=row.area)
        result = await self.session.execute(delete(IdeaDraftRow).where(IdeaDraftRow.id == draft_id))
        return draft if affected_rows(result) else None  # a concurrent press took it first
