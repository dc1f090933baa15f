"""Shared steps for the feedback-loop tests: admitted members, filing an idea, reading effects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.core.effects import PostMessage, effect_from_json
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.refs import Actor, Role
from bot.core.replies import OpenForm, Reply
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY


async def admit(app: App, platform: FakePlatform, user_id: str, name: str = "", *roles: Role) -> Actor:
    """A member admitted directly (the gates are another feature), returned as an actor."""
    actor = platform.actor(user_id, *roles, name=name or f"user{user_id}")
    async with app.uow_factory() as uow:
        member = await uow.members.upsert_seen(
            COMMUNITY, actor.ref, app.clock.now(), display_name=actor.display_name
        )
        member.status = MemberStatus.ADMITTED
        member.admitted_at = app.clock.now()
        member.admission_method = AdmissionMethod.LEAD
        await uow.members.save(member)
        await uow.commit()
    return actor


async def file(platform: FakePlatform, actor: Actor, title: str, details: str = "", area: str = "") -> int:
    """File an idea through /idea and its form (no similar ideas expected); returns its id."""
    form = await platform.slash(actor, "idea")
    assert isinstance(form, OpenForm)
    reply = await platform.submit(actor, form, {"title": title, "details": details, "area": area})
    assert isinstance(reply, Reply) and reply.text.startswith("Filed as #"), reply
    return int(reply.text.removeprefix("Filed as #").split(" ")[0])


async def queued(engine: AsyncEngine, kind: type[Any] | None = None) -> list[Any]:
    """Effects in the outbox (delivered or not), oldest first, optionally of one type."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(OutboxRow.payload).order_by(OutboxRow.id))).scalars().all()
    effects = [effect_from_json(dict(row)) for row in rows]
    return [e for e in effects if kind is None or isinstance(e, kind)]


async def count(engine: AsyncEngine, table: type[Any], *where: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def posts(effects: list[Any], channel: str) -> list[PostMessage]:
    return [e for e in effects if isinstance(e, PostMessage) and e.channel == channel]
