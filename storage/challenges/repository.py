"""Challenges and their entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.core.challenges.ports import Challenge, Entry
from storage.challenges.tables import ChallengeEntryRow, ChallengeRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore

E = ChallengeEntryRow


class SqlChallengeRepository(SqlRepository):
    async def create(
        self, community_id: str, title: str, starts_at: datetime, ends_at: datetime
    ) -> Challenge:
        row = ChallengeRow(community_id=community_id, title=title, starts_at=starts_at, ends_at=ends_at)
        self.session.add(row)
        await self.session.flush()
        return Challenge(row.id, row.title, row.starts_at, row.ends_at)

    async def get(self, community_id: str, challenge_id: int) -> Challenge | None:
        row = await self.session.get(ChallengeRow, challenge_id)
        if row is None or row.community_id != community_id:
            return None
        return Challenge(row.id, row.title, row.starts_at, row.ends_at)

    async def entry(self, challenge_id: int, member_id: int) -> Entry | None:
        row = (
            await self.session.execute(
                select(E.joined_at, E.submitted_at, E.completed_at).where(
                    E.challenge_id == challenge_id, E.member_id == member_id
                )
            )
        ).first()
        return Entry(*row) if row else None

    async def join(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, E.__table__).values(
                challenge_id=challenge_id, member_id=member_id, joined_at=now
            )
        )
        return bool(affected_rows(result))

    async def submit(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        return await self._stamp(challenge_id, member_id, "submitted_at", now)

    async def complete(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        return await self._stamp(challenge_id, member_id, "completed_at", now)

    async def _stamp(self, challenge_id: int, member_id: int, key: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(E)
            .where(E.challenge_id == challenge_id, E.member_id == member_id, getattr(E, key).is_(None))
            .values({key: now})
        )
        return bool(affected_rows(result))
