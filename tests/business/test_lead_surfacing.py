"""The hourly sync with no sinks configured still surfaces community-qualified leads: each consenting
member once, when their score first reaches the threshold; never a member who did not consent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.business.commands import SyncProfiles
from bot.core.business.ports import BusinessRepository
from bot.core.business.rules import cql_score
from bot.core.events import MessagePosted
from tests.business.test_crm_walk import PRICING
from tests.conftest import COMMUNITY, make_settings
from tests.core.support import add_member


async def _app(db_url: str, clock: FixedClock, engine: AsyncEngine) -> tuple[App, FakePlatform]:
    """The bot with no sinks, a threshold of 10 and a pricing channel worth 2, on the fake platform."""
    business = {
        "cql_threshold": 10,
        "signal_channels": [{"channel": PRICING, "label": "pricing", "weight": 2}],
    }
    app = build_app(make_settings(db_url, business=business), clock, {"fake": FakeNotifier()}, engine=engine)
    await app.ensure_communities()
    return app, FakePlatform(app.bus, COMMUNITY, FakeNotifier())


async def test_leads_surface_once_each_without_sinks(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    app, platform = await _app(db_url, clock, engine)
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


async def test_the_syncs_one_read_matches_the_separate_reads(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    """The hourly sync reads consents, surfaced leads and window activity in one statement: the same
    members (admitted, consenting to the current text, not withdrawn), in member order, with the
    same activity as the separate reads give."""
    app, platform = await _app(db_url, clock, engine)
    names = ("ann", "bo", "cy", "dee", "eve")
    members = {name: await add_member(app, name) for name in names}
    for name in ("eve", "ann", "cy", "dee"):
        await platform.slash(platform.actor(name), "consent give", email=f"{name}@example.com")
    await platform.slash(platform.actor("dee"), "consent withdraw")
    app.ingest.start()
    for n, name in enumerate(("ann",) * 6 + ("bo", "cy", "eve") * 2):
        await app.ingest.submit(
            MessagePosted(
                community_id=COMMUNITY,
                member=members[name].ref,
                channel_id=PRICING if name == "ann" or n % 2 else "general",
                message_id=f"m{n}",
                at=clock.now(),
            )
        )
    await app.ingest.stop()
    await app.bus.handle(SyncProfiles(community_id=COMMUNITY))  # surfaces ann alone
    await platform.slash(platform.actor("cy"), "interest", topic="enterprise")
    clock.advance(minutes=1)
    await platform.slash(platform.actor("cy"), "interest", topic="pricing")
    await platform.press(platform.actor("eve"), "business:talk:0")
    clock.advance(hours=1)
    since = clock.now() - timedelta(days=30)
    async with app.uow_factory() as uow:
        repo = uow.repo(BusinessRepository)
        consenting = await repo.consenting(COMMUNITY)
        surfaced = await repo.surfaced(COMMUNITY)
        activities = {a.member_id: a for a in await repo.activities(COMMUNITY, since, None)}
        every = await repo.sync_candidates(COMMUNITY, 1, since)
        later_text = await repo.sync_candidates(COMMUNITY, 2, since)
    expected = [(c, c.member_id in surfaced, activities[c.member_id]) for c in consenting]
    assert [(c.consent, c.surfaced, c.activity) for c in every] == expected
    assert [c.consent.member_id for c in every] == sorted(members[n].id for n in ("ann", "cy", "eve"))
    assert surfaced == {members["ann"].id}
    assert activities[members["cy"].id].interests == ("pricing", "enterprise")  # newest first
    assert activities[members["eve"].id].talk_to_team
    assert later_text == []  # nobody agreed to a newer text
    await app.close()


async def test_lead_candidates_hold_what_the_score_reads(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    """Without sinks the sync reads only the unsurfaced consenting members with activity the CQL
    score reads (in a signal channel, of a signal kind, or a signal), each with whole counts for
    those channels and kinds and every signal: the same score as their whole window activity."""
    app, platform = await _app(db_url, clock, engine)
    names = ("ann", "bo", "cy", "dee", "eve", "fay")
    members = {name: await add_member(app, name) for name in names}
    for name in ("ann", "cy", "dee", "eve", "fay"):
        await platform.slash(platform.actor(name), "consent give", email=f"{name}@example.com")
    await platform.slash(platform.actor("dee"), "consent withdraw")
    app.ingest.start()
    posts = ("ann",) * 6 + ("bo", "cy", "dee", "eve") * 3 + ("fay",) * 4
    for n, name in enumerate(posts):
        await app.ingest.submit(
            MessagePosted(
                community_id=COMMUNITY,
                member=members[name].ref,
                channel_id={"ann": PRICING, "fay": "general"}.get(name, PRICING if n % 2 else "general"),
                message_id=f"m{n}",
                at=clock.now(),
            )
        )
    await app.ingest.stop()
    await app.bus.handle(SyncProfiles(community_id=COMMUNITY))  # surfaces ann alone
    await platform.slash(platform.actor("cy"), "interest", topic="enterprise")
    await platform.press(platform.actor("eve"), "business:talk:0")
    clock.advance(hours=1)
    since = clock.now() - timedelta(days=30)
    policy = app.bus.communities[COMMUNITY].business
    async with app.uow_factory() as uow:
        repo = uow.repo(BusinessRepository)
        whole = {a.member_id: a for a in await repo.activities(COMMUNITY, since, None)}
        by_channel = await repo.lead_candidates(COMMUNITY, 1, since, channels=[PRICING], kinds=[])
        by_kind = await repo.lead_candidates(COMMUNITY, 1, since, channels=[], kinds=["message"])
        later_text = await repo.lead_candidates(COMMUNITY, 2, since, channels=[PRICING], kinds=["message"])
        # Each channel and kind is a parameter of its own; none at all leaves the signals alone.
        signals_only = await repo.lead_candidates(COMMUNITY, 1, since, channels=[], kinds=[])
        several = await repo.lead_candidates(
            COMMUNITY, 1, since, channels=["general", PRICING, PRICING], kinds=["reaction", "message"]
        )
    ids = {name: member.id for name, member in members.items()}
    # ann is surfaced, bo never consented, dee withdrew; fay posted only in #general.
    assert [a.member_id for a in by_channel] == sorted((ids["cy"], ids["eve"]))
    assert [a.member_id for a in by_kind] == sorted((ids["cy"], ids["eve"], ids["fay"]))
    for activity in by_channel + by_kind:
        member = whole[activity.member_id]
        assert activity.channels.get(PRICING) == member.channels.get(PRICING)
        assert (activity.interests, activity.talk_to_team) == (member.interests, member.talk_to_team)
    for activity in by_channel:
        assert cql_score(activity, policy) == cql_score(whole[activity.member_id], policy)
        assert cql_score(activity, policy).score > 0
    assert {a.member_id: a.kinds.get("message") for a in by_kind} == {
        a.member_id: whole[a.member_id].kinds.get("message") for a in by_kind
    }
    assert whole[ids["cy"]].interests == ("enterprise",) and whole[ids["eve"]].talk_to_team
    assert later_text == []
    assert [(a.member_id, a.channels, a.kinds) for a in signals_only] == [
        (ids["cy"], {}, {}),
        (ids["eve"], {}, {}),
    ]
    assert [a.member_id for a in several] == sorted((ids["cy"], ids["eve"], ids["fay"]))
    for activity in several:
        assert activity.channels == whole[activity.member_id].channels
        assert activity.kinds == whole[activity.member_id].kinds
    await app.close()
