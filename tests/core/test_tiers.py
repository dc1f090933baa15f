"""Advocacy tiers over a trailing window: promoted at once with the role, a private heads-up when
short, moved down after the grace (role revoked), /perks shows the table and the next step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.badges.commands import EvaluateTiers
from bot.core.badges.rules import MemberStats
from bot.core.badges.tier_rules import Step, decide, missing
from bot.core.badges.tier_settings import DEFAULT_TIERS
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.effects import ChangeTierRole
from bot.core.members import Member
from bot.core.replies import Reply
from storage.badges.tables import MemberTierRow
from tests.conftest import COMMUNITY, START, make_settings
from tests.core.support import add_member, count, ref

LADDER = [
    {"key": "advocate", "name": "Advocate", "min": {"helpful_answers": 1, "active_weeks": 1}},
    {
        "key": "champion",
        "name": "Champion",
        "min": {"helpful_answers": 3, "active_weeks": 2},
        "perks": ["#beta-program channel", "early-access role"],
    },
]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, tiers={"window_days": 28, "grace_days": 14, "ladder": LADDER})


def test_decisions() -> None:
    champion = MemberStats(helpful_answers=10, activated_referrals=1, active_weeks=8)
    now, grace = START, timedelta(days=14)
    assert decide(DEFAULT_TIERS, None, champion, at_risk_since=None, now=now, grace=grace).tier == "champion"
    short = MemberStats(helpful_answers=3, active_weeks=4)
    warn = decide(DEFAULT_TIERS, "champion", short, at_risk_since=None, now=now, grace=grace)
    assert warn.step is Step.WARN and warn.tier == "champion"
    wait = decide(
        DEFAULT_TIERS, "champion", short, at_risk_since=now - timedelta(days=7), now=now, grace=grace
    )
    assert wait.step is Step.KEEP
    down = decide(DEFAULT_TIERS, "champion", short, at_risk_since=now - grace, now=now, grace=grace)
    assert (down.step, down.tier) == (Step.DEMOTE, "advocate")
    back = decide(DEFAULT_TIERS, "champion", champion, at_risk_since=now, now=now, grace=grace)
    assert back.step is Step.RECOVER
    assert missing(DEFAULT_TIERS[1], short) == [
        "7 more answers marked helpful",
        "1 more referred newcomer who contributed",
        "4 more active weeks",
    ]


async def _helped(app: App, member: Member, n: int, tag: str) -> None:
    async with app.uow_factory() as uow:
        await uow.repo(ContributionRepository).record(
            [
                ContributionFact(
                    COMMUNITY, member.ref, ContributionKind.HELPFUL_ANSWER, 5.0, f"{tag}:{i}", app.clock.now()
                )
                for i in range(n)
            ]
        )
        await uow.commit()


async def test_a_champion_who_stops_is_warned_then_moved_down_after_the_grace(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    cam = await add_member(app, "cam")
    for week in range(2):  # two active weeks, three helpful answers
        await _helped(app, cam, 2 - week, f"w{week}")
        clock.advance(days=7)
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    await app.relay.run_once()
    assert platform.notifier.of_kind(ChangeTierRole) == [ChangeTierRole(COMMUNITY, cam.ref, grant="champion")]
    [welcome] = platform.notifier.dms_to(cam.ref)
    assert "Champion" in welcome.text and "#beta-program channel" in welcome.text

    # cam stops; a month later the window has nothing left of it
    for _ in range(4):
        clock.advance(days=7)
        await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    await app.relay.run_once()
    dms = platform.notifier.dms_to(cam.ref)
    assert len(dms) == 2 and "heads-up" in dms[1].text and "move to Advocate" in dms[1].text
    assert len(platform.notifier.of_kind(ChangeTierRole)) == 1  # nothing moved during the grace

    clock.advance(days=7)  # the grace (14 days) is over
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    await app.relay.run_once()
    roles = platform.notifier.of_kind(ChangeTierRole)
    assert roles[-1] == ChangeTierRole(COMMUNITY, cam.ref, grant=None, revoke="champion")
    assert "no tier" in platform.notifier.dms_to(cam.ref)[-1].text
    assert await count(engine, MemberTierRow) == 0


async def test_coming_back_during_the_grace_keeps_the_tier(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    cam = await add_member(app, "cam")
    await _helped(app, cam, 1, "a")
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))  # advocate
    clock.advance(days=35)
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))  # short: heads-up
    await _helped(app, cam, 1, "b")
    clock.advance(days=7)
    reply = await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and "1 back on track" in reply.text
    clock.advance(days=14)
    await _helped(app, cam, 1, "c")
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    await app.relay.run_once()
    assert [r.grant for r in platform.notifier.of_kind(ChangeTierRole)] == ["advocate"]
    assert await count(engine, MemberTierRow, MemberTierRow.tier_key == "advocate") == 1


async def test_perks_shows_the_table_and_the_next_step(app: App, platform: FakePlatform) -> None:
    ada = await add_member(app, "ada")
    await _helped(app, ada, 1, "a")
    await app.bus.handle(EvaluateTiers(community_id=COMMUNITY))
    reply = await platform.slash(platform.actor("ada"), "perks")
    assert isinstance(reply, Reply)
    assert "Champion: 3 answers marked helpful, 2 active weeks → #beta-program channel" in reply.text
    assert "You: Advocate since" in reply.text
    assert "To Champion: 2 more answers marked helpful, 1 more active week." in reply.text
    assert ref("ada") == ada.ref
