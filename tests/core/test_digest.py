"""The digest: composition (deltas, healthy-range flags, sections), the weekly post going out once
whatever the scheduler does, and /health and /digest for leads only."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import ConfigError, load_settings
from bot.core.effects import DirectMessage, PostMessage
from bot.core.metrics.commands import PostWeeklyDigest, PreviewDigest
from bot.core.metrics.digest import Digest, Headline, HealthyRange, HealthyRanges, Status, Unit, headlines
from bot.core.metrics.digest_render import (
    digest_fields,
    flag_text,
    headline_text,
    render_markdown,
    render_text,
)
from bot.core.metrics.rules import (
    Actions,
    Activation,
    Activity,
    Applications,
    AwardedBadge,
    DigestData,
    Growth,
    NoShowRate,
    PeerAnswers,
    Person,
    Programming,
    Referrals,
    StalledNewcomer,
    WeekMetrics,
)
from bot.core.refs import MemberRef, Role
from bot.core.replies import Reply
from bot.core.text import mention
from bot.core.weeks import IsoWeek, Period
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.programming.support import outbox
from tests.storage.digest_fixture import Ids, seed_digest_community

W46 = IsoWeek(2026, 46)
MONDAY_AFTER = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _week(active: int, members: int, newcomers: int = 10, activated: int = 3) -> WeekMetrics:
    return WeekMetrics(
        period=Period.of(W46, "UTC"),
        activity=Activity(members=members, active_members=active, kind_total=active * 2),
        activation=Activation(newcomers=newcomers, activated=activated),
        referrals=Referrals(admissions=4, referral_admissions=1),
        peer_answers=PeerAnswers(helpful_answers=0, by_peers=0),
        applications=Applications(0, 0, 0, None, 0, 0),
        programming=Programming(0, 0, 0, 0, 0, 0),
        growth=Growth(admitted=5, left=2, members=members),
    )


def _digest(now: WeekMetrics, before: WeekMetrics, actions: Actions | None = None) -> Digest:
    actions = actions or Actions((), 0, (), 0, (), (), (), (), 0)
    data = DigestData(current=now, previous=before, trend=(), cohorts=(), referrers=(), actions=actions)
    return Digest("test", "Test Community", MONDAY_AFTER, data)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0.05, Status.LOW),
        (0.10, Status.OK),
        (0.15, Status.OK),
        (0.20, Status.OK),
        (0.25, Status.HIGH),
        (None, Status.NO_DATA),
    ],
)
def test_healthy_range(value: float | None, status: Status) -> None:
    assert HealthyRange(0.10, 0.20).status(value) is status


def test_headlines_carry_change_and_flags() -> None:
    heads = {h.key: h for h in headlines(_week(5, 100), _week(12, 100, activated=4), HealthyRanges())}
    active = heads["active_contributor_ratio"]
    assert active.value == pytest.approx(0.05) and active.change == pytest.approx(-0.07)
    assert active.status is Status.LOW and active.flagged
    assert headline_text(active) == "5.0 % (-7.0 pts vs last week) ⚠ below target (10–20 %)"
    rate = heads["first_contribution_rate"]
    assert rate.status is Status.OK and not rate.flagged  # 30 % is not below "at least 30 %"
    assert heads["net_growth"].value == 3 and heads["net_growth"].status is Status.UNRATED
    assert heads["peer_answer_rate"].value is None and heads["peer_answer_rate"].status is Status.NO_DATA
    assert headline_text(heads["peer_answer_rate"]) == "no data (no comparison vs last week)"


def test_flag_texts_name_the_range() -> None:
    high = Headline("x", "X", Unit.PERCENT, 0.25, 0.2, HealthyRange(0.1, 0.2))
    assert flag_text(high) == "⚠ above the healthy range (10–20 %)" and high.flagged
    above = Headline("x", "X", Unit.PERCENT, 0.364, 0.2, HealthyRange(0.1, 0.2, above_is_good=True))
    assert flag_text(above) == "✓ above target (10–20 %)" and not above.flagged  # good news, no warning
    low = Headline("x", "X", Unit.PERCENT, 0.2, None, HealthyRange(0.3, None))
    assert flag_text(low) == "⚠ below target (at least 30 %)"
    assert flag_text(replace(low, value=0.31)) == ""


def test_the_digest_flags_and_lists_in_every_rendering() -> None:
    newcomer = Person(7, MemberRef("fake", "7"), "Ivy <@everyone>")
    buddy = Person(3, MemberRef("fake", "3"), "Cy")
    actions = Actions(
        (StalledNewcomer(newcomer, datetime(2026, 11, 6, tzinfo=UTC), (buddy,)),), 3, (), 0, (), (), (), (), 0
    )
    digest = _digest(_week(5, 100), _week(12, 100), actions)
    assert [h.key for h in digest.flagged] == ["active_contributor_ratio"]
    fields = {f.name: f.value for f in digest_fields(digest)}
    assert "⚠ below" in fields["Active contributors"]
    stalled = fields["Newcomers without a first contribution"]
    assert stalled.splitlines() == [
        f"{mention(newcomer.ref)}, admitted 10 days ago — buddy {mention(buddy.ref)}",
        "… and 2 more",
    ]
    assert fields["Peer helpers to thank"] == "None."
    text = render_text(digest)
    assert "@Ivy <@everyone>, admitted 10 days ago — buddy @Cy" in text and "1 metric off target" in text
    markdown = render_markdown(digest)
    assert markdown.startswith("# Weekly digest — Test Community, 2026-W46")
    assert "| Active contributors | 5.0 % | -7.0 pts | ⚠ below target (10–20 %) |" in markdown


def test_badges_read_by_their_catalogue_name() -> None:
    ada = Person(1, MemberRef("fake", "1"), "Ada")
    awarded = datetime(2026, 11, 12, tzinfo=UTC)
    badges = (
        AwardedBadge(ada, "first_contribution", awarded),
        AwardedBadge(ada, "shaped_the_product", awarded),
    )
    actions = Actions((), 0, (), 0, (), (), (), badges, 2)
    names = {"first_contribution": "First Contribution 🌱"}
    digest = replace(_digest(_week(5, 100), _week(5, 100), actions), badge_names=names)
    lines = [line for line in render_text(digest).splitlines() if "earned" in line]
    assert lines == ["  - @Ada earned First Contribution 🌱", "  - @Ada earned Shaped the product"]
    assert [b["badge"] for b in digest.to_json()["actions"]["badges_awarded"]["items"]] == [
        "first_contribution",
        "shaped_the_product",
    ]


def test_field_values_fit_the_platform_limit() -> None:
    many = tuple(
        StalledNewcomer(Person(i, MemberRef("fake", str(i)), "x" * 50), datetime(2026, 11, 1, tzinfo=UTC), ())
        for i in range(60)
    )
    digest = _digest(_week(5, 100), _week(5, 100), Actions(many, 60, (), 0, (), (), (), (), 0))
    value = {f.name: f.value for f in digest_fields(digest)}["Newcomers without a first contribution"]
    assert len(value) <= 1024 and value.splitlines()[-1].startswith("… and ")
    assert len(digest_fields(digest)) <= 25


# --- through the bus ----------------------------------------------------------------------------


@pytest.fixture
async def seeded(engine: AsyncEngine) -> Ids:
    return await seed_digest_community(engine, COMMUNITY)


async def _outbox(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_weekly_digest_is_posted_once_even_when_the_job_runs_twice(
    app: App, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier, seeded: Ids
) -> None:
    clock.set(MONDAY_AFTER)
    first = await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46"))
    second = await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46"))
    assert isinstance(first, Reply) and "on its way" in first.text
    assert isinstance(second, Reply) and "not posted twice" in second.text
    assert await _outbox(engine) == 1
    await app.relay.run_once()
    (post,) = notifier.of_kind(PostMessage)
    assert post.channel == "digest" and post.title == "Weekly digest — Test Community, 2026-W46"
    assert post.image_png is not None and post.image_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert post.image_name == "digest-test-2026-W46.png"
    fields = {f.name: f.value for f in post.fields}
    assert fields["Active contributors"] == "60.0 % (+15.6 pts vs last week) ✓ above target (10–20 %)"
    for section in (
        "Newcomers without a first contribution",
        "Applications past the 48 h SLA",
        "Peer helpers to thank",
        "Referrers whose newcomers activated",
        "Next week",
        "Badges awarded",
    ):
        assert fields[section] != "None.", section
    assert fields["Newcomers without a first contribution"].startswith(mention(MemberRef("fake", "ivy")))
    assert fields["Feedback loop this week"] == (
        "Ideas filed: 2 · votes: 3 · status changes: 1\n"
        f"Shipped this week: #{seeded.shipped_idea} Dark mode\n"
        "Implementation rate (six months): 33% (1 of 3)"
    )


async def test_concurrent_runs_post_once(
    app: App, clock: FixedClock, engine: AsyncEngine, seeded: Ids
) -> None:
    import asyncio

    clock.set(MONDAY_AFTER)
    await asyncio.gather(
        *(app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46")) for _ in range(3))
    )
    assert await _outbox(engine) == 1


async def test_a_week_that_has_not_ended_is_not_posted(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    clock.set(datetime(2026, 11, 15, 23, 0, tzinfo=UTC))
    reply = await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46"))
    assert isinstance(reply, Reply) and "once the week has ended" in reply.text
    bad = await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="46"))
    assert isinstance(bad, Reply) and "2026-W47" in bad.text
    assert await _outbox(engine) == 0


async def test_only_the_system_posts_the_digest(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    clock.set(MONDAY_AFTER)
    lead = platform.actor("lead", Role.LEAD)
    reply = await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46"), lead)
    assert isinstance(reply, Reply) and "Townsquare itself" in reply.text
    assert await _outbox(engine) == 0


async def test_health_is_for_leads_and_private(
    platform: FakePlatform, clock: FixedClock, engine: AsyncEngine, seeded: Ids
) -> None:
    clock.set(datetime(2026, 11, 12, 12, 0, tzinfo=UTC))
    reply = await platform.slash(platform.actor("lead", Role.LEAD), "health")
    assert isinstance(reply, Reply) and reply.private
    assert reply.title == "Community health — Test Community"
    assert "2026-W46 so far" in reply.text and "Off target" not in reply.text  # above target is good
    fields = {f.name: f.value for f in reply.fields}
    assert fields["Admitted"] == "1 (-1 vs last week)"  # Jo by Thursday noon; Gus and Hal a week before
    for actor in (platform.actor("mod", Role.MODERATOR), platform.actor("member", Role.MEMBER)):
        refused = await platform.slash(actor, "health")
        assert isinstance(refused, Reply) and refused.private and "leads" in refused.text
    assert await _outbox(engine) == 0


async def test_digest_preview_is_for_leads_posts_nothing_and_sends_them_the_chart(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine, seeded: Ids
) -> None:
    clock.set(datetime(2026, 11, 19, 12, 0, tzinfo=UTC))
    lead = platform.actor("lead", Role.LEAD)
    now = await platform.slash(lead, "digest")
    assert (
        isinstance(now, Reply)
        and now.private
        and "(week so far)" in now.text
        and "nothing was posted" in now.text
    )
    past = await platform.slash(lead, "digest", week="2026-W46")
    assert isinstance(past, Reply) and past.title == "Preview: Weekly digest — Test Community, 2026-W46"
    assert {f.name for f in past.fields} >= {"Active contributors", "Next week", "Badges awarded"}
    future = await platform.slash(lead, "digest", week="2026-W49")
    assert isinstance(future, Reply) and "has not started yet" in future.text
    wrong = await platform.slash(lead, "digest", week="next")
    assert isinstance(wrong, Reply) and "like 2026-W47" in wrong.text
    refused = await app.bus.handle(PreviewDigest(community_id=COMMUNITY), platform.actor("m", Role.MEMBER))
    assert isinstance(refused, Reply) and "Only community leads" in refused.text
    assert "The chart is in your direct messages." in now.text
    # Nothing goes to a channel: each preview's chart goes to the lead alone, as the weekly post's does.
    queued = [effect for _, effect in await outbox(app)]
    assert [type(e) for e in queued] == [DirectMessage, DirectMessage]
    assert all(e.member == lead.ref and e.attachment[:8] == b"\x89PNG\r\n\x1a\n" for e in queued)
    assert [e.attachment_name for e in queued] == [
        f"digest-preview-{COMMUNITY}-2026-W47.png",
        f"digest-preview-{COMMUNITY}-2026-W46.png",
    ]


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        ({"healthy_active_ratio": [0.3, 0.2]}, "0 <= low < high <= 1"),
        ({"stalled_after_days": 14, "stalled_window_days": 14}, "longer than stalled_after_days"),
        ({"list_limit": 0}, "greater than or equal to 1"),
    ],
)
def test_digest_settings_are_checked(tmp_path: Path, digest: dict[str, object], message: str) -> None:
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in digest.items())
    path = tmp_path / "c.toml"
    path.write_text(f'[[communities]]\nid = "a"\nname = "A"\nplatform = "fake"\n[communities.digest]\n{body}')
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(path, {})


async def test_health_reads_beside_an_open_write_transaction(
    app: App, platform: FakePlatform, clock: FixedClock, seeded: Ids
) -> None:
    """With a platform event id the bus claims it first (a write); the report reads beside it."""
    from bot.core.bus import Source
    from bot.core.metrics.commands import ShowHealth

    clock.set(datetime(2026, 11, 12, 12, 0, tzinfo=UTC))
    lead = platform.actor("lead", Role.LEAD)
    reply = await app.bus.handle(ShowHealth(community_id=COMMUNITY), lead, source=Source("fake", "i-1"))
    assert isinstance(reply, Reply) and reply.fields


async def test_a_new_community_is_not_called_healthy(platform: FakePlatform, clock: FixedClock) -> None:
    """No activity yet is said as such, not as "every metric is inside its healthy range"."""
    reply = await platform.slash(platform.actor("lead", Role.LEAD), "digest")
    assert isinstance(reply, Reply) and reply.private
    assert "No activity to measure yet." in reply.text
    assert "inside" not in reply.text


def test_the_no_show_rate_of_each_series_is_in_the_programme_section() -> None:
    rates = (NoShowRate(1, "Ask us <!here>", "ama", 2, 8, 2), NoShowRate(2, "Demo day", "showcase", 1, 0, 0))
    digest = _digest(_week(5, 100), _week(5, 100), Actions((), 0, (), 0, (), (), (), (), 0, rates))
    lines = {f.name: f.value for f in digest_fields(digest)}["Programme this week"].splitlines()
    assert lines[1:] == [
        "No-shows at Ask us <!here> (2 sessions): 2 of 8 going did not check in (25 %)",
        "No-shows at Demo day (1 session): 0 of 0 going did not check in (–)",
    ]
    assert digest.to_json()["actions"]["no_show_rates"][0]["rate"] == 0.25
