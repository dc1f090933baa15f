"""Badges: rules over stats, awarded once and announced once, founding never revoked, /badges,
/leaderboard ranked by helpful answers and referrals (not volume), /profile."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import load_settings
from bot.core.badges.commands import EvaluateBadges
from bot.core.badges.handlers import award_badge
from bot.core.badges.rules import STAT_LABELS, MemberStats, newly_earned
from bot.core.badges.settings import DEFAULT_CATALOGUE, BadgeSettings, StatName
from bot.core.bus import MessageBus
from bot.core.commands import Command
from bot.core.context import Context
from bot.core.contributions.rules import active_streak
from bot.core.effects import AssignBadgeRole, PostMessage
from bot.core.events import MemberJoined, MemberLeft, MessagePosted
from bot.core.handlers import HandlerTable
from bot.core.registry import MessageTarget
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.features import assemble
from storage.badges.tables import BadgeAwardRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, count, ref

# --- rules, as pure functions -------------------------------------------------------------------


def test_the_ladder_climbs_in_one_pass_when_every_criterion_is_met() -> None:
    stats = MemberStats(contributions=400, helpful_answers=20, activated_referrals=2, active_weeks=9)
    keys = [badge.key for badge, _ in newly_earned(DEFAULT_CATALOGUE, stats, set())]
    assert keys == ["first_contribution", "helpful", "streak", "advocate", "champion"]
    not_yet = MemberStats(contributions=400, helpful_answers=20, activated_referrals=1, active_weeks=9)
    assert "champion" not in [b.key for b, _ in newly_earned(DEFAULT_CATALOGUE, not_yet, {"advocate"})]


def test_nothing_held_is_earned_again_and_event_badges_never_come_from_stats() -> None:
    stats = MemberStats(contributions=1, showcases=1)
    earned = newly_earned(DEFAULT_CATALOGUE, stats, {"first_contribution"})
    assert [b.key for b, _ in earned] == ["showcase_presenter"]
    assert newly_earned(DEFAULT_CATALOGUE, MemberStats(), set()) == []  # no founding, host, graduate


def test_streak_counts_consecutive_weeks_up_to_now() -> None:
    monday = date(2026, 11, 2)
    weeks = {monday - timedelta(weeks=n) for n in (1, 2, 3, 5)}
    assert active_streak(weeks, monday) == 3  # this week not started yet: counted from last week
    assert active_streak(weeks | {monday}, monday) == 4
    assert active_streak({monday - timedelta(weeks=2)}, monday) == 0


def test_catalogue_is_validated() -> None:
    with pytest.raises(ValidationError, match="must come earlier"):
        BadgeSettings(catalogue=tuple(reversed(DEFAULT_CATALOGUE)))
    with pytest.raises(ValidationError, match="only apply to kind = 'ladder'"):
        BadgeSettings.model_validate(
            {
                "catalogue": [
                    {
                        "key": "x",
                        "name": "X",
                        "rule": {"kind": "helpful_answers", "min": {"contributions": 1}},
                    }
                ]
            }
        )
    with pytest.raises(ValidationError, match="buddy_badges"):
        CommunitySettings.model_validate(
            {"id": "c", "name": "C", "platform": "fake", "cohorts": {"buddy_badges": ["mentor"]}}
        )
    with pytest.raises(ValidationError, match="2 × min_size − 1"):
        CommunitySettings.model_validate(
            {"id": "c", "name": "C", "platform": "fake", "cohorts": {"max_size": 15}}
        )
    with pytest.raises(ValidationError, match="unknown contribution kind 'posts'"):
        CommunitySettings.model_validate(
            {"id": "c", "name": "C", "platform": "fake", "contributions": {"weights": {"posts": 1}}}
        )


# --- through the bus ------------------------------------------------------------------------------


async def _mark_helpful(platform: FakePlatform, author: str, times: int, start: int = 0) -> None:
    for n in range(start, start + times):
        target = MessageTarget(
            channel_id="help", message_id=f"msg-{author}-{n}", author=ref(author), thread_owner=ref("asker")
        )
        await platform.message_action(platform.actor("asker"), "mark_helpful", target)


async def test_a_badge_is_awarded_and_announced_once(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    await add_member(app, "author")
    await add_member(app, "asker")
    await _mark_helpful(platform, "author", 6)  # the fifth earns Helpful; the sixth changes nothing
    await app.bus.handle(EvaluateBadges(community_id=COMMUNITY))
    assert await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "helpful") == 1
    await app.relay.run_once()
    announced = [p for p in platform.notifier.of_kind(PostMessage) if p.channel == "recognition"]
    assert [p.text.split(" earned ")[1] for p in announced] == [
        "the First Contribution badge: made a first contribution.",
        "the Helpful badge: 5 answers marked helpful.",
    ]
    roles = platform.notifier.of_kind(AssignBadgeRole)
    assert [(r.member, r.badge_key) for r in roles] == [
        (ref("author"), "first_contribution"),
        (ref("author"), "helpful"),
    ]


@dataclass(frozen=True, kw_only=True)
class AwardFounding(Command):
    """What the gates do for the first members (a stand-in for their handler)."""

    member_id: int


async def test_founding_is_never_revoked(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    table = HandlerTable()
    table.commands = dict(assemble().handlers.commands)
    table.events = assemble().handlers.events

    @table.command(AwardFounding)
    async def award_founding(command: AwardFounding, ctx: Context) -> Reply:
        member = await ctx.uow.members.get(command.member_id)
        assert member is not None
        await award_badge(ctx, member.id, member.ref, "founding", "among the first 100 members")
        return Reply(text="ok")

    bus = MessageBus(app.uow_factory, clock, table, app.bus.registry, app.bus.communities)
    founder = await add_member(app, "founder")
    await bus.handle(AwardFounding(community_id=COMMUNITY, member_id=founder.id))
    await bus.handle(AwardFounding(community_id=COMMUNITY, member_id=founder.id))
    # Leaving, coming back, contributing, re-evaluation, a catalogue without founding: it stays.
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=founder.ref, at=clock.now()))
    await app.bus.handle(MemberJoined(community_id=COMMUNITY, member=founder.ref, at=clock.now()))
    await add_member(app, "founder")
    app.ingest.start()
    await app.ingest.submit(
        MessagePosted(
            community_id=COMMUNITY, member=founder.ref, channel_id="c", message_id="1", at=clock.now()
        )
    )
    await app.ingest.stop()
    settings = app.bus.communities[COMMUNITY]
    without = tuple(b for b in settings.badges.catalogue if b.key != "founding")
    app.bus.communities = {
        COMMUNITY: settings.model_copy(
            update={"badges": settings.badges.model_copy(update={"catalogue": without})}
        )
    }
    await app.bus.handle(EvaluateBadges(community_id=COMMUNITY))
    assert await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "founding") == 1
    reply = await platform.slash(platform.actor("founder"), "badges")
    assert isinstance(reply, Reply) and "Also held: founding" in reply.text
    await app.relay.run_once()
    founding_posts = [p for p in platform.notifier.of_kind(PostMessage) if "Founding Member" in p.text]
    assert len(founding_posts) == 1


async def test_badges_command_shows_progress(app: App, platform: FakePlatform) -> None:
    await add_member(app, "author")
    await add_member(app, "asker")
    await _mark_helpful(platform, "author", 2)
    reply = await platform.slash(platform.actor("author"), "badges")
    assert isinstance(reply, Reply) and reply.title == "Badges (1 earned)"
    assert "First Contribution: earned" in reply.text
    assert "(2/5 answers marked helpful)" in reply.text
    assert "AMA Host: Hosted an AMA (awarded when it happens)" in reply.text
    assert "Champion: " in reply.text and "0/1 advocate badge" in reply.text


async def test_leaderboard_ranks_helpfulness_not_volume(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    for user in ("chatty", "helper", "old", "asker"):
        await add_member(app, user)
    app.ingest.start()
    for n in range(200):
        await app.ingest.submit(
            MessagePosted(
                community_id=COMMUNITY,
                member=ref("chatty"),
                channel_id="c",
                message_id=f"m{n}",
                at=clock.now(),
            )
        )
    await app.ingest.stop()
    clock.advance(days=-14)
    await _mark_helpful(platform, "old", 3)
    clock.advance(days=14)
    await _mark_helpful(platform, "helper", 1)
    week = await platform.slash(platform.actor("asker"), "leaderboard")
    assert isinstance(week, Reply) and week.title == "Leaderboard: this week"
    assert week.text.startswith("1. ⟦@fake:helper⟧: 1 helpful answer,") and "chatty" not in week.text
    all_time = await platform.slash(platform.actor("asker"), "leaderboard", period="all")
    assert isinstance(all_time, Reply)
    assert [line.split(":")[1] for line in all_time.text.splitlines()] == ["old⟧", "helper⟧"]
    wrong = await platform.slash(platform.actor("asker"), "leaderboard", period="year")
    assert isinstance(wrong, Reply) and "week or all" in wrong.text


async def test_profile_and_interests(app: App, platform: FakePlatform) -> None:
    await add_member(app, "author")
    await add_member(app, "asker")
    await _mark_helpful(platform, "author", 1)
    reply = await platform.slash(platform.actor("author"), "profile", interests="Rust,  ML ; rust")
    assert isinstance(reply, Reply) and "rust, ml" in reply.text
    shown = await platform.slash(platform.actor("asker"), "profile", member=ref("author"))
    assert isinstance(shown, Reply)
    fields = {f.name: f.value for f in shown.fields}
    assert fields["Answers marked helpful"] == "1"
    assert fields["Interests"] == "rust, ml"
    assert "First Contribution" in fields["Badges"]
    refused = await platform.slash(platform.actor("asker"), "profile", member=ref("author"), interests="x")
    assert isinstance(refused, Reply) and "only set your own" in refused.text
    stranger = await platform.slash(platform.actor("asker"), "profile", member=ref("nobody"))
    assert isinstance(stranger, Reply) and "isn't a member" in stranger.text


async def test_a_streak_badge_follows_weekly_activity_through_the_ingest_path(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    await add_member(app, "regular")
    app.ingest.start()
    for week in range(4):
        for n in range(3):  # volume within a week adds nothing to check
            await app.ingest.submit(
                MessagePosted(
                    community_id=COMMUNITY,
                    member=ref("regular"),
                    channel_id="c",
                    message_id=f"w{week}-{n}",
                    at=clock.now(),
                )
            )
        await app.ingest.drain()
        held = await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "streak")
        assert held == (1 if week == 3 else 0)
        clock.advance(weeks=1)
    await app.ingest.stop()


def test_the_commented_catalogue_example_in_the_config_is_valid(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    start = text.index("# [[communities.badges.catalogue]]")
    example = []
    for line in text[start:].splitlines():
        if not line.startswith("# ") or line.startswith("#  "):
            if example and not line.startswith("#  "):
                break
            continue
        example.append(line[2:].split("  #")[0])
    minimal = (
        '[[communities]]\nid = "c"\nname = "C"\nplatform = "fake"\n[communities.cohorts]\nbuddy_badges = []\n'
    )
    path = tmp_path / "c.toml"
    path.write_text(minimal + "\n".join(example) + "\n")
    settings = load_settings(path, {})
    (badge,) = settings.communities[0].badges.catalogue
    assert (badge.key, badge.rule.kind, badge.rule.count) == ("helpful", "helpful_answers", 5)


def test_every_stat_a_ladder_may_name_exists() -> None:
    assert set(get_args(StatName)) == set(STAT_LABELS) == {f.name for f in fields(MemberStats)}
