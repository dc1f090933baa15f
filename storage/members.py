"""Communities and members."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, inspect, lambda_stmt, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.core.hygiene import one_line
from bot.core.members import AdmissionMethod, Member, MemberStatus
from bot.core.refs import MemberRef
from storage.repository_base import SqlRepository, insert_ignore
from storage.tables import CommunityRow, MemberRow


def _name(display_name: str) -> str:
    """A platform display name as stored: typed by its owner, so cleaned like any typed text."""
    return one_line(display_name)[:100]


def to_member(row: MemberRow) -> Member:
    """Row -> core dataclass."""
    return Member(
        id=row.id,
        community_id=row.community_id,
        ref=MemberRef(row.platform, row.user_id),
        status=MemberStatus(row.status),
        first_seen_at=row.first_seen_at,
        display_name=row.display_name,
        is_bot=row.is_bot,
        is_staff=row.is_staff,
        admitted_at=row.admitted_at,
        left_at=row.left_at,
        first_contribution_at=row.first_contribution_at,
        referred_by_id=row.referred_by_id,
        admission_method=AdmissionMethod(row.admission_method) if row.admission_method else None,
        referral_confidence=row.referral_confidence,
        interests=row.interests,
        reminders_opt_out=row.reminders_opt_out,
    )


# Built once: a reused statement skips construction and SQLAlchemy keeps its cache key.
_BY_REF = select(MemberRow).where(
    MemberRow.community_id == bindparam("community_id"),
    MemberRow.platform == bindparam("platform"),
    MemberRow.user_id == bindparam("user_id"),
)
_COUNT_ADMITTED = (
    select(func.count())
    .select_from(MemberRow)
    .where(
        MemberRow.community_id == bindparam("community_id"), MemberRow.status == MemberStatus.ADMITTED.value
    )
)
_SALT = select(CommunityRow.privacy_salt).where(CommunityRow.id == bindparam("community_id"))


# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
# A person seen for the first time comes back in the same statement (RETURNING); someone known already
# is read by `_BY_REF` (ON CONFLICT DO NOTHING returns no row for them).
_MEMBER_COLUMNS = tuple(MemberRow.__table__.c)
_INSERT_SEEN_SQLITE = insert_ignore("sqlite", MemberRow.__table__).returning(*_MEMBER_COLUMNS)
_INSERT_SEEN_PG = insert_ignore("postgresql", MemberRow.__table__).returning(*_MEMBER_COLUMNS)
_INSERT_SEEN = {
    "sqlite": lambda_stmt(lambda: _INSERT_SEEN_SQLITE),
    "postgresql": lambda_stmt(lambda: _INSERT_SEEN_PG),
}


def _adopt_inserted(session: AsyncSession, values: Any) -> MemberRow:
    """The ORM row for a member row this transaction just inserted, from its RETURNING values: put in
    the session as if loaded (no second query), so later reads and changes go through the ORM."""
    row = MemberRow(**{column.key: values[column.key] for column in _MEMBER_COLUMNS})
    make_transient_to_detached(row)
    session.add(row)
    return row


_SEEN_KEY = "townsquare.members_seen"

RefKey = tuple[str, str, str]  # (community_id, platform, user_id)


def seen_rows(session: AsyncSession) -> dict[RefKey, MemberRow]:
    """The member rows this transaction has read or created, by platform identity.

    A strong reference keeps each row in the session's (weak) identity map, so a member is read
    once per transaction: `by_ref`, `upsert_seen` and `get` answer from it. It holds what the
    identity map holds: ORM-enabled updates (admission, first contributions) keep those rows right,
    a locking read (`populate_existing`) refreshes them, and a commit or rollback starts it afresh
    (a rolled-back insert must not be remembered)."""
    transaction = session.sync_session.get_transaction()
    found: tuple[object, dict[RefKey, MemberRow]] | None = session.info.get(_SEEN_KEY)
    if found is None or found[0] is not transaction:
        found = (transaction, {})
        session.info[_SEEN_KEY] = found
    return found[1]


def remember(session: AsyncSession, row: MemberRow) -> MemberRow:
    """Add a member row read in this transaction to `seen_rows`."""
    seen_rows(session)[(row.community_id, row.platform, row.user_id)] = row
    return row


def forget(session: AsyncSession, member_ids: set[int] | None = None) -> None:
    """Drop remembered rows (all, or these members'): after a Core statement changed or deleted them."""
    rows = seen_rows(session)
    for key, row in list(rows.items()):
        if member_ids is None or row.id in member_ids:
            del rows[key]


def usable(row: MemberRow | None) -> bool:
    """A remembered row that can be read without SQL (no attribute expired by an update)."""
    if row is None:
        return False
    state = inspect(row)
    return state.persistent and not state.expired_attributes


class SqlCommunityRepository(SqlRepository):
    async def ensure(self, community_id: str, name: str, platform: str, now: datetime) -> None:
        stmt = insert_ignore(self.dialect, CommunityRow.__table__).values(
            id=community_id, name=name, platform=platform, created_at=now, admissions_paused=False
        )
        await self.session.execute(stmt)
        await self.session.execute(
            update(CommunityRow).where(CommunityRow.id == community_id).values(name=name, platform=platform)
        )
        await self.privacy_salt(community_id)

    async def privacy_salt(self, community_id: str) -> str:
        salt = await self._salt(community_id)
        if salt is None or salt:
            return salt or ""
        # Made once; a concurrent maker's salt wins (the update matches only an empty salt).
        await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.privacy_salt == "")
            .values(privacy_salt=secrets.token_hex(16)),
            execution_options={"synchronize_session": False},
        )
        return await self._salt(community_id) or ""

    async def _salt(self, community_id: str) -> str | None:
        salt: str | None = await self.session.scalar(_SALT, {"community_id": community_id})
        return salt


class SqlMemberRepository(SqlRepository):
    async def get(self, member_id: int) -> Member | None:
        row = await self.session.get(MemberRow, member_id)
        if row is not None and not usable(row):  # an update expired some of it: read it again
            row = await self.session.get(MemberRow, member_id, populate_existing=True)
        return to_member(remember(self.session, row)) if row else None

    async def by_ref(self, community_id: str, ref: MemberRef) -> Member | None:
        row = await self._row(community_id, ref)
        return to_member(row) if row else None

    async def _row(self, community_id: str, ref: MemberRef) -> MemberRow | None:
        known = seen_rows(self.session).get((community_id, ref.platform, ref.user_id))
        if usable(known):
            return known
        row: MemberRow | None = (
            await self.session.execute(
                _BY_REF, {"community_id": community_id, "platform": ref.platform, "user_id": ref.user_id}
            )
        ).scalar_one_or_none()
        return remember(self.session, row) if row is not None else None

    async def upsert_seen(
        self,
        community_id: str,
        ref: MemberRef,
        now: datetime,
        *,
        display_name: str = "",
        is_bot: bool = False,
    ) -> Member:
        display_name = _name(display_name)
        row = seen_rows(self.session).get((community_id, ref.platform, ref.user_id))
        if usable(row):
            assert row is not None  # read in this transaction: it exists, nothing to insert
            if display_name and row.display_name != display_name:
                row.display_name = display_name
            return to_member(row)
        inserted = await self.session.execute(
            _INSERT_SEEN[self.dialect],
            {
                "community_id": community_id,
                "platform": ref.platform,
                "user_id": ref.user_id,
                "display_name": display_name,
                "status": MemberStatus.PENDING.value,
                "is_bot": is_bot,
                "is_staff": False,
                "first_seen_at": now,
                "interests": "",
                "reminders_opt_out": False,
            },
        )
        values = inserted.mappings().one_or_none()
        if values is not None:
            row = remember(self.session, _adopt_inserted(self.session, values))
        else:
            row = await self._row(community_id, ref)
            assert row is not None
        if display_name and row.display_name != display_name:
            row.display_name = display_name
        return to_member(row)

    async def save(self, member: Member) -> None:
        row = await self.session.get(MemberRow, member.id)
        if row is None:
            raise LookupError(f"member {member.id} does not exist")
        row.status = member.status.value
        row.display_name = _name(member.display_name)
        row.is_bot = member.is_bot
        row.is_staff = member.is_staff
        row.admitted_at = member.admitted_at
        row.left_at = member.left_at
        row.first_contribution_at = member.first_contribution_at
        row.referred_by_id = member.referred_by_id
        row.admission_method = member.admission_method.value if member.admission_method else None
        row.referral_confidence = member.referral_confidence
        row.interests = member.interests
        row.reminders_opt_out = member.reminders_opt_out

    async def referred_by(self, referrer_ids: Collection[int]) -> list[Member]:
        if not referrer_ids:
            return []
        rows = await self.session.scalars(
            select(MemberRow)
            .where(MemberRow.referred_by_id.in_(list(referrer_ids)))
            .order_by(MemberRow.first_seen_at, MemberRow.id)
        )
        return [to_member(row) for row in rows]

    async def count_admitted(self, community_id: str) -> int:
        return int(await self.session.scalar(_COUNT_ADMITTED, {"community_id": community_id}) or 0)
