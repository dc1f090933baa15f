"""Referral codes: minted within quotas, redeemed with one use taken in one statement."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, update

from bot.core.gates.rules import ReferralCode
from bot.core.members import MemberStatus
from storage.gates.tables import ReferralCodeRow
from storage.members import remember
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import MemberRow

_CODES = ReferralCodeRow.__table__
# Built once. A code is judged with its owner's membership: the owner's member row comes in the same
# query and is remembered for this transaction (`members.get` of the owner then reads no more).
_WITH_OWNER = (
    select(*_CODES.c, MemberRow)
    .outerjoin(MemberRow, MemberRow.id == _CODES.c.owner_id)
    .execution_options(populate_existing=True)
)
_BY_CODE = _WITH_OWNER.where(
    _CODES.c.community_id == bindparam("community_id"), _CODES.c.code == bindparam("code")
)
_BY_INVITE = (
    _WITH_OWNER.where(
        _CODES.c.community_id == bindparam("community_id"),
        _CODES.c.invite_code == bindparam("invite_code"),
    )
    .order_by(_CODES.c.id.desc())
    .limit(1)
)
_LIVE_OF = (
    select(*_CODES.c)
    .where(
        _CODES.c.owner_id == bindparam("owner_id"),
        _CODES.c.revoked_at.is_(None),
        _CODES.c.expires_at > bindparam("now"),
        _CODES.c.uses < _CODES.c.max_uses,
    )
    .order_by(_CODES.c.id.desc())
)
_LIVE = and_(
    _CODES.c.revoked_at.is_(None), _CODES.c.expires_at > bindparam("now"), _CODES.c.uses < _CODES.c.max_uses
)
_RECENT = _CODES.c.created_at >= bindparam("since")
# /refer's one read: the owner's live codes and those made since the month began, each marked.
_QUOTA = (
    select(*_CODES.c, _LIVE.label("live"), _RECENT.label("recent"))
    .where(_CODES.c.owner_id == bindparam("owner_id"), or_(_LIVE, _RECENT))
    .order_by(_CODES.c.id.desc())
)
_CREATED_SINCE = (
    select(func.count())
    .select_from(_CODES)
    .where(_CODES.c.owner_id == bindparam("owner_id"), _CODES.c.created_at >= bindparam("since"))
)
_MEMBERS = MemberRow.__table__
_CONSUME = (
    update(_CODES)
    .where(
        _CODES.c.id == bindparam("code_id"),
        _CODES.c.uses < _CODES.c.max_uses,
        _CODES.c.revoked_at.is_(None),
        _CODES.c.expires_at > bindparam("now"),
        exists().where(_MEMBERS.c.id == _CODES.c.owner_id, _MEMBERS.c.status == MemberStatus.ADMITTED.value),
    )
    .values(uses=_CODES.c.uses + 1)
)


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

    async def _with_owner(self, stmt: Any, params: dict[str, str]) -> ReferralCode | None:
        row = (await self.session.execute(stmt, params)).one_or_none()
        if row is None:
            return None
        owner: MemberRow | None = row[-1]
        if owner is not None:
            remember(self.session, owner)
        return _code(row)

    async def by_code(self, community_id: str, code: str) -> ReferralCode | None:
        return await self._with_owner(_BY_CODE, {"community_id": community_id, "code": code})

    async def by_invite(self, community_id: str, invite_code: str) -> ReferralCode | None:
        return await self._with_owner(_BY_INVITE, {"community_id": community_id, "invite_code": invite_code})

    async def live_of(self, owner_id: int, now: datetime) -> list[ReferralCode]:
        rows = await self.session.execute(_LIVE_OF, {"owner_id": owner_id, "now": now})
        return [_code(row) for row in rows]

    async def quota(self, owner_id: int, now: datetime, since: datetime) -> tuple[list[ReferralCode], int]:
        rows = (await self.session.execute(_QUOTA, {"owner_id": owner_id, "now": now, "since": since})).all()
        return [_code(row) for row in rows if row.live], sum(1 for row in rows if row.recent)

    async def created_since(self, owner_id: int, since: datetime) -> int:
        return int(await self.session.scalar(_CREATED_SINCE, {"owner_id": owner_id, "since": since}) or 0)

    async def consume(self, code_id: int, now: datetime) -> bool:
        await self.session.flush()  # a Core statement: the owner's status as this transaction left it
        result = await self.session.execute(_CONSUME, {"code_id": code_id, "now": now})
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
