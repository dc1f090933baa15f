"""Re-engagement: a drifting member is listed in the digest with who should reach out; the nudge goes
out once (at most once a quarter, never after opting out); who came back is counted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.members import Member
from bot.core.metrics.digest_render import render_text
from bot.core.metrics.handlers import build_digest
from bot.core.reengagement.commands import CheckDrifting
from bot.core.reengagement.rules import windows
from bot.core.replies import Reply
from bot.core.weeks import IsoWeek
from storage.metrics.reader import SqlMetricsReader
from tests.conftest import COMMUNITY, START
from tests.core.support import add_member


def test_the_windows_end_with_last_week() -> None:
    monday = START.date()
    assert windows(monday, 8, 3) == (monday - timedelta(weeks=11), monday - timedelta(weeks=3))


async def _posts(app: App, member: Member, weeks_ago: list[int]) -> None:
    async with app.uow_factory() as uow:
        await uow.repo(ContributionRepository).record(
            [
                ContributionFact(
                    COMMUNITY,
                    member.ref,
                    ContributionKind.MESSAGE,
                    1.0,
                    f"m:{member.id}:{n}:{app.clock.now().isoformat()}",
                    app.clock.now() - timedelta(weeks=n),
                )
                for n in weeks_ago
            ]
        )
        await uow.commit()


async def _digest_text(app: App, settings: Settings, engine: AsyncEngine) -> str:
    community = settings.communities[0]
    week = IsoWeek.of(app.clock.now(), community.zone)
    digest = await build_digest(SqlMetricsReader(engine), community, week, app.clock.now())
    return render_text(digest)


async def test_a_drifting_member_is_in_the_digest_and_nudged_once(
    app: App,
    platform: FakePlatform,
    notifier: FakeNotifier,
    engine: AsyncEngine,
    clock: FixedClock,
    settings: Settings,
) -> None:
    referrer = await add_member(app, "rae")
    dana = await add_member(app, "dana", at=START - timedelta(weeks=20), referred_by_id=referrer.id)
    steady = await add_member(app, "sam", at=START - timedelta(weeks=20))
    await _posts(app, dana, [4, 5, 6, 8, 10])  # active before, silent for the last 3 weeks
    await _posts(app, steady, [1, 2, 4, 5, 6, 8])  # still around: not drifting
    reply = await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and reply.text == "1 drifting, 1 nudged, 0 came back."
    await app.relay.run_once()
    [nudge] = notifier.dms_to(dana.ref)
    assert "haven't seen you" in nudge.text and nudge.actions[0].key == "reengage:stop:0"
    assert notifier.dms_to(steady.ref) == []
    clock.advance(minutes=1)
    text = await _digest_text(app, settings, engine)
    assert "Drifting away\n  - @userdana, quiet since 02 Nov — referrer @userrae could reach out\n" in text

    clock.advance(days=7)  # still quiet: listed, not nudged again
    reply = await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and reply.text == "0 drifting, 0 nudged, 0 came back."

    await _posts(app, dana, [0])  # back
    clock.advance(days=7)
    reply = await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and "1 came back" in reply.text
    clock.advance(minutes=1)
    text = await _digest_text(app, settings, engine)
    assert "Came back: 1 of 1 member who drifted in the last 90 days (100 %)" in text

    clock.advance(weeks=4)  # quiet again within the quarter: a new episode, no second nudge
    await _posts(app, dana, [5, 6, 7, 8])
    reply = await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and reply.text.startswith("2 drifting, 1 nudged")  # sam went quiet too
    await app.relay.run_once()
    assert len(notifier.dms_to(dana.ref)) == 1 and len(notifier.dms_to(steady.ref)) == 1


async def test_a_member_who_opts_out_gets_no_more_nudges(
    app: App, platform: FakePlatform, notifier: FakeNotifier, clock: FixedClock
) -> None:
    dana = await add_member(app, "dana", at=START - timedelta(weeks=20))
    await _posts(app, dana, [4, 5, 6, 8])
    await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    reply = await platform.press(platform.actor("dana"), "reengage:stop:0")
    assert isinstance(reply, Reply) and "no more" in reply.text
    await _posts(app, dana, [0])
    clock.advance(weeks=20)
    await _posts(app, dana, [5, 6, 7, 8])
    reply = await app.bus.handle(CheckDrifting(community_id=COMMUNITY))
    assert isinstance(reply, Reply) and reply.text.startswith("1 drifting, 0 nudged")
