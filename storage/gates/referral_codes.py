"""Referral codes: minted within quotas, redeemed with one use taken in one statement."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import exists, func, select, update

from bot.core.gates.rules import ReferralCode
from bot.core.members import MemberStatus
from storage.gates.tables import ReferralCodeRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow


def _code(row: ReferralCodeRow | Any) -> ReferralCode:
    """A code from its ORM row or a Core row with the same columns."""
    return ReferralCode(
        id=row.id,
        community_id=row.community_id,
        owner_id=row.owner_id,
        code=row.code,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
        revoked_at=row.revoked_at,
        invite_code=row.invite_code,
    )


@cache
def _create(dialect: str) -> Any:
    """Insert a code unless it exists, returning the stored row (none on a collision)."""
    table = ReferralCodeRow.__table__
    return insert_ignore(dialect, table).returning(*table.c)


class SqlReferralCodeRepository(SqlRepository):
    """Members' referral codes."""

    async def create(
        self,
        community_id: str,
        owner_id: int,
        code: str,
        *,
        now: datetime,
        expires_at: datetime,
        max_uses: int,
    ) -> ReferralCode | None:
        row = (
            await self.session.execute(
                _create(self.dialect),
                {
                    "community_id": community_id,
                    "owner_id": owner_id,
                    "code": code,
                    "created_at": now,
                    "expires_at": expires_at,
                    "max_uses": max_uses,
                    "uses": 0,
                },
            )
        ).first()
        if row is None:
            return None  # the code exists already (a collision): the caller draws another
        return _code(row)

    async def _one(self, *where: Any) -> ReferralCode | None:
        row = (
            await self.session.execute(
                select(ReferralCodeRow).where(*where).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return _code(row) if row else None

    async def by_code(self, community_id: str, code: str) -> ReferralCode | None:
        return await self._one(ReferralCodeRow.community_id == community_id, ReferralCodeRow.code == code)

    async def by_invite(self, community_id: str, invite_code: str) -> ReferralCode | None:
        rows = await self.session.execute(
            select(ReferralCodeRow)
            .where(ReferralCodeRow.community_id == community_id, ReferralCodeRow.invite_code == invite_code)
            .order_by(ReferralCodeRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = rows.scalar_one_or_none()
        return _code(row) if row else None

    async def live_of(self, owner_id: int, now: datetime) -> list[ReferralCode]:
        rows = await self.session.execute(
            select(ReferralCodeRow)
            .where(
                ReferralCodeRow.owner_id == owner_id,
                ReferralCodeRow.revoked_at.is_(None),
                ReferralCodeRow.expires_at > now,
                ReferralCodeRow.uses < ReferralCodeRow.max_uses,
            )
            .order_by(ReferralCodeRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [_code(row) for row in rows.scalars()]

    async def created_since(self, owner_id: int, since: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ReferralCodeRow)
                .where(ReferralCodeRow.owner_id == owner_id, ReferralCodeRow.created_at >= since)
            )
            or 0
        )

    async def consume(self, code_id: int, now: datetime) -> bool:
        owner_is_member = exists().where(
            MemberRow.id == ReferralCodeRow.owner_id, MemberRow.status == MemberStatus.ADMITTED.value
        )
        result = await self.session.execute(
            update(ReferralCodeRow)
            .where(
                ReferralCodeRow.id == code_id,
                ReferralCodeRow.uses < ReferralCodeRow.max_uses,
                ReferralCodeRow.revoked_at.is_(None),
                ReferralCodeRow.expires_at > now,
                owner_is_member,
            )
            .values(uses=ReferralCodeRow.uses + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(affected_rows(result))

    async def revoke(self, owner_id: int, now: datetime, code: str | None = None) -> int:
        stmt = update(ReferralCodeRow).where(
            ReferralCodeRow.owner_id == owner_id,
            ReferralCodeRow.revoked_at.is_(None),
            ReferralCodeRow.expires_at > now,
        )
        if code is not None:
            stmt = stmt.where(ReferralCodeRow.code == code)
        result = await self.session.execute(
            stmt.values(revoked_at=now).execution_options(synchronize_session=False)
        )
        return int(affected_rows(result))

    async def attach_invite(self, community_id: str, code: str, invite_code: str) -> bool:
        result = await self.session.execute(
            update(ReferralCodeRow)
            .where(ReferralCodeRow.community_id == community_id, ReferralCodeRow.code == code)
            .values(invite_code=invite_code)
            .execution_options(synchronize_session=False)
        )
        return bool(affected_rows(result))
