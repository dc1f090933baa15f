"""Helpers for the gate tests: seeded members, code lookups, actors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.fake.platform import PLATFORM, FakePlatform
from bot.bootstrap import App
from bot.config import Settings
from bot.core.gates.ports import GateRepository
from bot.core.members import AdmissionMethod, Member
from bot.core.refs import Actor, MemberRef, Role
from bot.core.replies import OpenForm, Reply
from storage.badges.tables import BadgeAwardRow
from storage.gates.tables import ApplicationRow, ReferralCodeRow
from tests.conftest import COMMUNITY, make_settings

MOD = "mod1"
LEAD = "lead1"


def ref(user_id: str | int) -> MemberRef:
    return MemberRef(PLATFORM, str(user_id))


def settings_with(db_url: str, **gate: Any) -> Settings:
    """Test settings whose [gate] section has these keys (founding off unless asked for)."""
    gate.setdefault("founding_member_limit", 0)
    return make_settings(db_url, gate=gate)


async def seed_member(app: App, user_id: str | int) -> Member:
    """A member admitted before the test starts (by a lead, no effects)."""
    async with app.uow_factory() as uow:
        seen = await uow.members.upsert_seen(COMMUNITY, ref(user_id), app.clock.now())
        await uow.repo(GateRepository).admit(
            seen.id, method=AdmissionMethod.LEAD, referrer_id=None, confidence=None, now=app.clock.now()
        )
        member = await uow.members.get(seen.id)
        await uow.commit()
    assert member is not None
    return member


async def member(app: App, user_id: str | int) -> Member | None:
    async with app.uow_factory() as uow:
        return await uow.members.by_ref(COMMUNITY, ref(user_id))


def mod(platform: FakePlatform, user_id: str = MOD) -> Actor:
    return platform.actor(user_id, Role.MODERATOR)


def lead(platform: FakePlatform, user_id: str = LEAD) -> Actor:
    return platform.actor(user_id, Role.LEAD)


def code_of(reply: Reply | OpenForm) -> str:
    """The code shown in a /refer reply."""
    assert isinstance(reply, Reply), reply
    return next(f.value for f in reply.fields if f.name == "Code")


def text(reply: Reply | OpenForm) -> str:
    assert isinstance(reply, Reply), reply
    assert reply.private
    return reply.text


async def rows(app: App, model: type[Any]) -> list[Any]:
    async with app.engine.connect() as conn:
        return list((await conn.execute(select(model.__table__))).mappings())


async def code_row(app: App, shown: str) -> Any:
    stored = shown.replace("-", "")
    return next(r for r in await rows(app, ReferralCodeRow) if r["code"] == stored)


async def badges(app: App) -> list[Any]:
    return await rows(app, BadgeAwardRow)


async def applications(app: App) -> list[Any]:
    return await rows(app, ApplicationRow)


async def erase_my_data(platform: FakePlatform, who: str) -> None:
    """/mydata erase and its confirmation button, as the person themselves."""
    prompt = await platform.slash(platform.actor(who), "mydata erase")
    assert isinstance(prompt, Reply), prompt
    key = next(a.key for a in prompt.actions if a.key.startswith("mydata:erase:"))
    done = await platform.press(platform.actor(who), key)
    assert isinstance(done, Reply) and done.text.startswith("Erased"), done
