"""Challenges: a lead starts one, members join from the announcement, submit, a moderator confirms and
the Challenger badge follows once; the digest lists it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import PostMessage
from bot.core.metrics.digest_render import render_text
from bot.core.metrics.handlers import build_digest
from bot.core.refs import Role
from bot.core.replies import Reply
from bot.core.weeks import IsoWeek
from storage.badges.tables import BadgeAwardRow
from storage.metrics.reader import SqlMetricsReader
from tests.core.support import add_member, count, ref


def _text(reply: object) -> str:
    assert isinstance(reply, Reply)
    return reply.text


async def test_join_submit_complete_and_the_badge(
    app: App,
    platform: FakePlatform,
    notifier: FakeNotifier,
    engine: AsyncEngine,
    clock: FixedClock,
    settings: Settings,
) -> None:
    for name in ("ada", "bo", "lead", "mod"):
        await add_member(app, name)
    lead, mod = platform.actor("lead", Role.LEAD), platform.actor("mod", Role.MODERATOR)
    refused = await platform.slash(platform.actor("ada"), "challenge new", title="x", days=7)
    assert "leads" in _text(refused)
    assert "on until" in _text(await platform.slash(lead, "challenge new", title="Write a how-to", days=28))
    await app.relay.run_once()
    [post] = [p for p in notifier.of_kind(PostMessage) if p.title == "Challenge #1"]
    assert post.channel == "announcements" and post.actions[0].key == "challenge:join:1"

    early = await platform.slash(platform.actor("bo"), "challenge submit", id=1)
    assert "Join challenge #1 first" in _text(early)
    assert "You're in" in _text(await platform.press(platform.actor("ada"), "challenge:join:1"))
    assert "already in" in _text(await platform.press(platform.actor("ada"), "challenge:join:1"))
    await platform.press(platform.actor("bo"), "challenge:join:1")
    assert "Submitted" in _text(await platform.slash(platform.actor("ada"), "challenge submit", id=1))
    not_yet = await platform.slash(mod, "challenge complete", id=1, member=ref("bo"))
    assert "has not submitted" in _text(not_yet)
    assert "completed challenge #1" in _text(
        await platform.slash(mod, "challenge complete", id=1, member=ref("ada"))
    )
    assert "already" in _text(await platform.slash(mod, "challenge complete", id=1, member=ref("ada")))
    assert await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "challenger") == 1

    clock.advance(minutes=1)
    community = settings.communities[0]
    week = IsoWeek.of(clock.now(), community.zone)
    text = render_text(await build_digest(SqlMetricsReader(engine), community, week, clock.now()))
    assert "Challenges\n  - #1 Write a how-to (until 30 Nov): 2 joined, 1 submitted, 1 completed\n" in text
    assert "ada earned Challenger 🎯" in text

    clock.advance(days=29)
    ended = await platform.press(platform.actor("lead"), "challenge:join:1")
    assert "ended on" in _text(ended)
