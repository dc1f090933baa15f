"""The hourly sync with no sinks configured still surfaces community-qualified leads: each consenting
member once, when their score first reaches the threshold; never a member who did not consent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import build_app
from bot.clock import FixedClock
from bot.core.business.commands import SyncProfiles
from bot.core.business.ports import BusinessRepository
from bot.core.events import MessagePosted
from tests.business.test_crm_walk import PRICING
from tests.conftest import COMMUNITY, make_settings
from tests.core.support import add_member


async def test_leads_surface_once_each_without_sinks(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    business = {
        "cql_threshold": 10,
        "signal_channels": [{"channel": PRICING, "label": "pricing", "weight": 2}],
    }
    app = build_app(make_settings(db_url, business=business), clock, {"fake": FakeNotifier()}, engine=engine)
    await app.ensure_communities()
    platform = FakePlatform(app.bus, COMMUNITY, FakeNotifier())
    members = {name: await add_member(app, name) for name in ("ann", "bo", "cy")}
    for name in ("ann", "cy"):
        await platform.slash(platform.actor(name), "consent give", email=f"{name}@example.com")

    sent = {name: 0 for name in members}

    async def messages(name: str, n: int) -> None:
        app.ingest.start()
        for _ in range(n):
            sent[name] += 1
            await app.ingest.submit(
                MessagePosted(
                    community_id=COMMUNITY,
                    member=members[name].ref,
                    channel_id=PRICING,
                    message_id=f"{name}-{sent[name]}",
                    at=clock.now(),
                )
            )
        await app.ingest.stop()

    async def sync() -> dict[int, float]:
        await app.bus.handle(SyncProfiles(community_id=COMMUNITY))
        async with app.uow_factory() as uow:
            leads = await uow.repo(BusinessRepository).new_leads(COMMUNITY, clock.now() - timedelta(days=365))
        by_ref = {m.ref: m.id for m in members.values()}
        return {by_ref[member]: score for member, score in leads}

    await messages("ann", 5)  # 10: a lead
    await messages("bo", 9)  # 18, but bo never consented
    await messages("cy", 4)  # 8: not yet
    assert await sync() == {members["ann"].id: 10}
    clock.advance(hours=1)
    await messages("ann", 3)  # ann's score rises: still surfaced once, at 10
    await messages("cy", 1)  # 10: cy qualifies now
    assert await sync() == {members["ann"].id: 10, members["cy"].id: 10}
    clock.advance(hours=1)
    assert await sync() == {members["ann"].id: 10, members["cy"].id: 10}
    await app.close()
