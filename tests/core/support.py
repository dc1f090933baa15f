"""Helpers for feature tests: admit members the way the gates do, give badges, count rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.core.badges.ports import BadgeRepository
from bot.core.gates.events import MemberAdmitted
from bot.core.members import AdmissionMethod, Member, MemberStatus
from bot.core.refs import MemberRef
from tests.conftest import COMMUNITY


def ref(user_id: int | str) -> MemberRef:
    return MemberRef("fake", str(user_id))


async def add_member(
    app: App,
    user_id: int | str,
    *,
    at: datetime | None = None,
    interests: str = "",
    referred_by_id: int | None = None,
    is_staff: bool = False,
    admitted: bool = True,
) -> Member:
    """A member row, admitted (without the MemberAdmitted event: for buddies, staff, referrers)."""
    when = at or app.clock.now()
    async with app.uow_factory() as uow:
        member = await uow.members.upsert_seen(COMMUNITY, ref(user_id), when, display_name=f"user{user_id}")
        if admitted:
            member.status = MemberStatus.ADMITTED
            member.admitted_at = when
            member.admission_method = AdmissionMethod.LEAD
        member.interests = interests
        member.referred_by_id = referred_by_id
        member.is_staff = is_staff
        await uow.members.save(member)
        await uow.commit()
    return member


async def admit(app: App, user_id: int | str, *, at: datetime | None = None, **kwargs: Any) -> Member:
    """Admit a newcomer as the gates would: status admitted, then MemberAdmitted through the bus."""
    member = await add_member(app, user_id, at=at, **kwargs)
    await app.bus.handle(
        MemberAdmitted(
            community_id=COMMUNITY,
            member_id=member.id,
            member=member.ref,
            method=AdmissionMethod.CODE.value,
            at=at or app.clock.now(),
            referrer_id=kwargs.get("referred_by_id"),
        )
    )
    return member


async def give_badge(app: App, member: Member, key: str) -> None:
    async with app.uow_factory() as uow:
        await uow.repo(BadgeRepository).award(COMMUNITY, member.id, key, "test", app.clock.now())
        await uow.commit()


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)
