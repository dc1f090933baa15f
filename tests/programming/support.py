"""Helpers for the programme's tests: admitted members, a scheduler on the test clock, outbox reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.core.effects import Effect, effect_from_json
from bot.core.members import Member, MemberStatus
from bot.core.programming.ports import OccurrenceRepository
from bot.core.programming.rules import Occurrence, Series
from bot.core.refs import Actor, MemberRef, Role
from bot.core.replies import Reply
from bot.core.text import plain_times
from programming.scheduler import ProgrammeScheduler
from storage.tables import OutboxRow


async def admit(app: App, user_id: str, *, staff: bool = False) -> Member:
    """An admitted member on the fake platform."""
    async with app.uow_factory() as uow:
        member = await uow.members.upsert_seen(
            app.settings.communities[0].id, MemberRef("fake", user_id), app.clock.now()
        )
        member.status = MemberStatus.ADMITTED
        member.admitted_at = app.clock.now()
        member.is_staff = staff
        await uow.members.save(member)
        await uow.commit()
    return member


def scheduler(app: App, **kwargs: Any) -> ProgrammeScheduler:
    """A scheduler without timers: tests call sync()/run_due() at the times they choose."""
    kwargs.setdefault("timers", False)
    kwargs.setdefault("registry", app.jobs())
    kwargs.setdefault("read_factory", app.bus.read_factory)
    return ProgrammeScheduler(app.uow_factory, app.bus, app.clock, app.settings.communities, **kwargs)


async def outbox(app: App) -> list[tuple[str | None, Effect]]:
    """Every queued effect with its dedupe key, in order."""
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(select(OutboxRow.dedupe_key, OutboxRow.payload).order_by(OutboxRow.id))
        ).all()
    return [(key, effect_from_json(payload)) for key, payload in rows]


async def effects(app: App, kind: type[Any]) -> list[Any]:
    return [effect for _, effect in await outbox(app) if isinstance(effect, kind)]


def text_of(reply: object) -> str:
    """A reply's text as a platform without time tokens shows it (times in the series' zone)."""
    assert isinstance(reply, Reply), reply
    return plain_times(reply.text)


def lead(platform: FakePlatform, user_id: str = "lead") -> Actor:
    return platform.actor(user_id, Role.LEAD)


async def upcoming(app: App) -> list[tuple[Series, Occurrence]]:
    """Happening occurrences from the clock's now on, soonest first."""
    async with app.uow_factory() as uow:
        return await uow.repo(OccurrenceRepository).upcoming(
            app.settings.communities[0].id, app.clock.now(), 50
        )


async def occurrence(app: App, occurrence_id: int) -> Occurrence:
    async with app.uow_factory() as uow:
        found = await uow.repo(OccurrenceRepository).get(occurrence_id)
    assert found is not None
    return found


async def create_series(platform: FakePlatform, **options: Any) -> str:
    """/series create as a lead; a weekly Thursday 17:00 AMA unless told otherwise."""
    options = {"kind": "ama", "title": "Ask us", "recurrence": "weekly on Thursday 17:00", **options}
    return text_of(await platform.slash(lead(platform), "series create", **options))
