"""Every metric against the hand-computed community in tests/storage/digest_fixture.py, on SQLite
and PostgreSQL. The comments work each expected value out from the seeded rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.metrics.rules import DigestData, MetricsPolicy
from bot.core.weeks import IsoWeek, Period
from storage.metrics.reader import SqlMetricsReader
from storage.metrics.sql import IS_HELPFUL, C
from storage.reengagement.tables import MemberDriftRow
from tests.storage.digest_fixture import Ids, seed_digest_community
from tests.storage.seed import Seed, at

W46 = IsoWeek(2026, 46)
POLICY = MetricsPolicy(sla_hours=48, stalled_after_days=7, stalled_window_days=28, list_limit=10)


@pytest.fixture
async def seeded(engine: AsyncEngine) -> Ids:
    return await seed_digest_community(engine)


@pytest.fixture
async def data(engine: AsyncEngine, seeded: Ids) -> DigestData:
    return await SqlMetricsReader(engine).digest("test", Period.of(W46, "UTC"), POLICY)


def test_active_contributor_ratio_and_engagement_depth(data: DigestData) -> None:
    # Members on 16 Nov: Ada Bo Cy Di Gus Hal Ivy Jo Kit Lu (Ed left, Fay removed, the bot and the
    # applicants never count). Active in rollup weeks W43..W46: Ada {message, helpful}, Bo
    # {message, helpful}, Gus {thread_reply, message, reaction, helpful}, Hal, Jo, Lu {message};
    # Cy's only row has count 0, Di's is in W41, Ed and the bot are not members.
    now = data.current.activity
    assert (now.members, now.active_members, now.kind_total) == (10, 6, 11)
    assert now.active_contributor_ratio == pytest.approx(0.6)
    assert now.engagement_depth == pytest.approx(11 / 6)
    # On 9 Nov: Ada Bo Cy Di Ed Gus Hal Ivy Lu; active in W42..W45: Bo {reaction, message,
    # helpful}, Ed, Gus, Lu.
    before = data.previous.activity
    assert (before.members, before.active_members, before.kind_total) == (9, 4, 6)
    assert before.engagement_depth == pytest.approx(1.5)


def test_first_contribution_rate(data: DigestData) -> None:
    # W46 reports newcomers admitted 2–9 Nov: Gus (first contribution after 2 days), Hal (after
    # 10 days: too late), Ivy (none).
    assert (data.current.activation.newcomers, data.current.activation.activated) == (3, 1)
    assert data.current.activation.first_contribution_rate == pytest.approx(1 / 3)
    # W45 reports 26 Oct – 2 Nov: Lu, after 3 days.
    assert (data.previous.activation.newcomers, data.previous.activation.activated) == (1, 1)


def test_first_contribution_rate_per_cohort_and_per_referrer(data: DigestData, seeded: Ids) -> None:
    cohorts = {c.name: c for c in data.cohorts}
    assert list(cohorts) == ["Cohort 1", "Cohort 2"]  # Cohort 0 launched before the 12 weeks
    # Cohort 1 is Lu (activated) and Cy (never contributed); Cohort 2 is Gus, Hal and Ivy.
    assert (cohorts["Cohort 1"].newcomers, cohorts["Cohort 1"].activated) == (2, 1)
    assert (cohorts["Cohort 2"].newcomers, cohorts["Cohort 2"].activated) == (3, 1)
    # Referred newcomers admitted 12 Oct – 9 Nov: Bo referred Gus (yes) and Ivy (no), Cy referred
    # Lu (yes), Di referred Hal (too late).
    assert [(r.referrer.id, r.newcomers, r.activated) for r in data.referrers] == [
        (seeded.bo, 2, 1),
        (seeded.cy, 1, 1),
        (seeded.di, 1, 0),
    ]
    assert data.referrers[0].referrer.name == "Bo"


def test_referral_velocity_and_share(data: DigestData) -> None:
    # Admitted 19 Oct – 16 Nov: Lu (code, Cy), Gus (code, Bo), Hal (application with Di as
    # referrer), Ivy (invite, Bo), Jo (application), Kit (code whose referrer was erased).
    assert (data.current.referrals.admissions, data.current.referrals.referral_admissions) == (6, 5)
    assert data.current.referrals.referral_share == pytest.approx(5 / 6)
    assert data.current.referral_velocity == pytest.approx(5 / 6)  # per active member (6)
    # 12 Oct – 9 Nov: Lu, Gus, Hal, Ivy, all referred; 4 active members.
    assert data.previous.referrals.referral_share == pytest.approx(1.0)
    assert data.previous.referral_velocity == pytest.approx(1.0)


def test_cohort_retention_and_drop_off(data: DigestData) -> None:
    one, two = data.cohorts
    # Cohort 1 launched in W45: Lu contributed in W45, nobody in W46; Cy never did.
    assert one.size == 2
    assert one.active_by_week == (1, 0, None, None, None, None, None, None)
    assert one.retention[:2] == (0.5, 0.0)
    assert one.dropped_14d == 1 and one.drop_off_14d == pytest.approx(0.5)
    # Cohort 2 launched in W46: Gus and Hal contributed in W46; week 2 not reached yet.
    assert two.size == 3
    assert two.active_by_week == (2, None, None, None, None, None, None, None)
    assert two.dropped_14d is None and two.drop_off_14d is None


def test_peer_answer_rate(data: DigestData, seeded: Ids) -> None:
    # W46: Ada (staff) once, Gus twice, Bo once. W45: Bo once.
    assert (data.current.peer_answers.helpful_answers, data.current.peer_answers.by_peers) == (4, 3)
    assert data.current.peer_answers.peer_answer_rate == pytest.approx(0.75)
    assert data.previous.peer_answers.peer_answer_rate == pytest.approx(1.0)
    assert [(h.person.id, h.answers) for h in data.actions.helpers] == [(seeded.gus, 2), (seeded.bo, 1)]


def test_application_funnel(data: DigestData, seeded: Ids) -> None:
    # W46: submitted Kit, Quinn, Pat, Quinn again; decided Jo (48 h) and Kit (36 h) approved, Quinn
    # (6 h) and Rae (96 h) rejected: median (36 + 48) / 2. Pending on 16 Nov: Pat (96 h), Quinn (24 h).
    apps = data.current.applications
    assert (apps.submitted, apps.approved, apps.rejected) == (4, 2, 2)
    assert apps.median_hours_to_decision == pytest.approx(42.0)
    assert (apps.pending, apps.pending_past_sla) == (2, 1)
    # W45: submitted Hal, Rae, Jo; Hal approved after 24 h. On 9 Nov Jo and Rae were still waiting,
    # Rae for more than 48 h.
    before = data.previous.applications
    assert (before.submitted, before.approved, before.rejected) == (3, 1, 0)
    assert before.median_hours_to_decision == pytest.approx(24.0)
    assert (before.pending, before.pending_past_sla) == (2, 1)
    assert data.actions.overdue_total == 1
    assert [(o.application_id, o.person.id) for o in data.actions.overdue] == [
        (seeded.overdue_application, seeded.pat)
    ]


def test_programming(data: DigestData, seeded: Ids) -> None:
    # W46: the AMA on 12 Nov (the showcase on 13 Nov was skipped): Gus and Hal going, Bo maybe;
    # Gus and Bo attended. Questions asked 10, 12 and 15 Nov; one showcase submission on 14 Nov.
    p = data.current.programming
    assert (p.occurrences, p.rsvps_going, p.rsvps_maybe, p.attended) == (1, 2, 1, 1 + 1)
    assert (p.ama_questions, p.showcase_submissions) == (3, 1)
    before = data.previous.programming
    assert (before.occurrences, before.rsvps_going, before.attended, before.ama_questions) == (1, 1, 1, 1)
    upcoming = [(u.occurrence_id, u.going, u.maybe) for u in data.actions.upcoming]
    assert upcoming == [(seeded.ama_next, 2, 1), (seeded.showcase_next, 0, 0)]
    assert data.actions.upcoming[0].title == "Ask the maintainers"


def test_growth(data: DigestData) -> None:
    g = data.current.growth
    assert (g.admitted, g.left, g.net, g.members) == (2, 1, 1, 10)  # Jo, Kit in; Ed out
    g = data.previous.growth
    assert (g.admitted, g.left, g.net, g.members) == (3, 1, 2, 9)  # Gus, Hal, Ivy in; Fay removed


def test_trend_of_twelve_weeks(data: DigestData) -> None:
    assert [str(p.week) for p in data.trend] == [f"2026-W{n}" for n in range(35, 47)]
    ratios = [p.active_contributor_ratio for p in data.trend]
    # Nobody was a member before 1 Oct; Di (W41), Bo (W42, W43) and Lu (W44) come into the windows.
    assert ratios[:5] == [None] * 5
    assert ratios[5:] == pytest.approx([0.0, 1 / 6, 2 / 6, 2 / 6, 3 / 7, 4 / 9, 0.6])
    rates = [p.first_contribution_rate for p in data.trend]
    # The six admitted on 1 Oct are W41's newcomers; only Di contributed within 7 days.
    assert rates[:6] == [None] * 6
    assert rates[6] == pytest.approx(1 / 6)
    assert rates[7:10] == [None] * 3
    assert rates[10:] == pytest.approx([1.0, 1 / 3])


def test_action_lists(data: DigestData, seeded: Ids) -> None:
    a = data.actions
    # Admitted 19 Oct – 9 Nov without a contribution by 16 Nov: Ivy (Hal contributed on 14 Nov).
    assert a.stalled_total == 1
    assert [(s.person.id, [b.id for b in s.buddies]) for s in a.stalled] == [(seeded.ivy, [seeded.cy])]
    # Hal, referred by Di, made a first contribution in W46.
    assert [(r.person.id, r.newcomers) for r in a.referrers] == [(seeded.di, 1)]
    assert a.badges_total == 2
    assert [(b.person.id, b.badge_key) for b in a.badges] == [(seeded.bo, "helper"), (seeded.gus, "helper")]


def test_feedback_loop(data: DigestData, seeded: Ids) -> None:
    # W46: Gus's "Dark mode" (10 Nov, shipped 13 Nov) and Jo's "CSV export" (11 Nov) filed; votes
    # by Bo on both and by Gus on Jo's count, the authors' own do not; one status change (the
    # ship). The window (183 days to 16 Nov) holds those two and Ada's idea of 1 Oct: 1 of 3
    # shipped. The other community's shipped idea never counts.
    f = data.feedback
    assert (f.ideas_filed, f.votes, f.status_changes) == (2, 3, 1)
    assert f.shipped == ((seeded.shipped_idea, "Dark mode"),)
    assert (f.submitted_in_window, f.shipped_in_window) == (3, 1)
    assert f.implementation_rate == pytest.approx(1 / 3)


async def test_feedback_loop_of_a_week_so_far(engine: AsyncEngine, seeded: Ids) -> None:
    # W46 cut on Thursday 12 Nov 12:00: the ship on 13 Nov has not happened yet; Bo's vote on
    # "CSV export" at 12:00 sharp is outside [start, end).
    data = await SqlMetricsReader(engine).digest("test", Period.of(W46, "UTC", at(11, 12)), POLICY)
    f = data.feedback
    assert (f.ideas_filed, f.votes, f.status_changes, f.shipped) == (2, 1, 0, ())
    assert (f.submitted_in_window, f.shipped_in_window) == (3, 0)


async def test_list_limit_caps_lists_not_totals(engine: AsyncEngine, seeded: Ids) -> None:
    policy = MetricsPolicy(list_limit=1)
    data = await SqlMetricsReader(engine).digest("test", Period.of(W46, "UTC"), policy)
    assert len(data.actions.badges) == 1 and data.actions.badges_total == 2
    assert len(data.actions.helpers) == 1 and len(data.referrers) == 1


async def test_drift_figures_count_every_episode_past_the_list_limit(
    engine: AsyncEngine, seeded: Ids
) -> None:
    rows = [  # (member, since, came back): open at the end of W46 unless back before 16 Nov
        (seeded.bo, at(10, 20), None),
        (seeded.cy, at(11, 1), None),
        (seeded.di, at(11, 2), at(11, 20)),  # back after W46: still open then
        (seeded.gus, at(11, 4), at(11, 10)),  # back in W46
        (seeded.hal, at(7, 1), None),  # open, but drifted more than 90 days before 16 Nov
    ]
    async with engine.begin() as conn:
        await conn.execute(
            insert(MemberDriftRow),
            [{"community_id": "test", "member_id": m, "since": s, "came_back_at": b} for m, s, b in rows],
        )
    for limit in (1, 10):
        data = await SqlMetricsReader(engine).digest(
            "test", Period.of(W46, "UTC"), MetricsPolicy(list_limit=limit)
        )
        r = data.recognition
        assert [d.person.id for d in r.drifting] == [seeded.hal, seeded.bo, seeded.cy, seeded.di][:limit]
        assert (r.drifting_total, r.drifted, r.came_back) == (4, 4, 1)


async def test_week_in_progress_compares_with_the_same_point_of_last_week(
    engine: AsyncEngine, seeded: Ids
) -> None:
    # Thursday 12 Nov 12:00: Jo (10 Nov) is in; Kit's admission and Ed's leave (12 Nov 12:00) are
    # not yet. A week earlier, by Thursday noon, Gus and Hal were in (Ivy, 6 Nov, not yet), Fay out.
    period = Period.of(W46, "UTC", at(11, 12, 12))
    assert not period.complete
    reader = SqlMetricsReader(engine)
    now = await reader.week("test", period, POLICY)
    before = await reader.week("test", period.previous(), POLICY)
    assert (now.growth.admitted, now.growth.left) == (1, 0)
    assert (before.growth.admitted, before.growth.left) == (2, 1)


async def test_week_boundaries_follow_the_community_time_zone(engine: AsyncEngine) -> None:
    s = Seed(engine, "berlin")
    await s.community()
    # Sunday 8 Nov 23:30 UTC is Monday 00:30 in Berlin: W46 there, W45 in UTC.
    await s.member("Early", admitted_at=datetime(2026, 11, 8, 23, 30, tzinfo=UTC))
    reader = SqlMetricsReader(engine)
    berlin = await reader.week("berlin", Period.of(W46, "Europe/Berlin"), POLICY)
    utc = await reader.week("berlin", Period.of(W46, "UTC"), POLICY)
    assert berlin.growth.admitted == 1 and utc.growth.admitted == 0


async def test_empty_community_reports_no_data_not_zero(engine: AsyncEngine) -> None:
    await Seed(engine, "empty").community()
    data = await SqlMetricsReader(engine).digest("empty", Period.of(W46, "UTC"), POLICY)
    assert data.current.activity.active_contributor_ratio is None
    assert data.current.activation.first_contribution_rate is None
    assert data.current.applications.median_hours_to_decision is None
    assert data.cohorts == () and data.actions.stalled == ()


async def test_helpful_answers_have_a_partial_index(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = await conn.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_contribution_helpful'")
            )
        else:
            sql = await conn.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_contribution_helpful'")
            )
    assert sql is not None and "helpful_answer" in sql and "WHERE" in sql.upper()


async def test_peer_answer_queries_use_the_partial_index(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan is checked on SQLite")
    stmt = select(func.count()).where(
        C.community_id == "test", IS_HELPFUL, C.occurred_at >= at(11, 9), C.occurred_at < at(11, 16)
    )
    compiled = stmt.compile(dialect=engine.dialect)
    async with engine.connect() as conn:
        plan = await conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", ("x",) * len(compiled.positiontup)
        )
        rows = [str(row) for row in plan]
    assert any("ix_contribution_helpful" in row for row in rows), rows


async def test_drop_off_counts_the_silent_and_those_who_left_in_week_two(engine: AsyncEngine) -> None:
    s = Seed(engine, "drop")
    await s.community()
    a = await s.member("A", admitted_at=at(10, 28))
    b = await s.member("B", admitted_at=at(10, 28))
    c = await s.member("C", admitted_at=at(10, 28), status="left", left_at=at(11, 12))  # in week 2
    d = await s.member("D", admitted_at=at(10, 28))
    await s.cohort("Drop", at(11, 2, 16), [a, b, c, d])
    await s.week(a, W46.shift(-1).monday)
    await s.week(b, W46.monday)
    await s.week(c, W46.shift(-1).monday)
    (cohort,) = (await SqlMetricsReader(engine).digest("drop", Period.of(W46, "UTC"), POLICY)).cohorts
    assert cohort.active_by_week[:3] == (2, 1, None)  # A and C in week 1, B in week 2
    assert cohort.dropped_14d == 2  # C left during week 2, D never contributed


def test_no_show_rate_per_series(data: DigestData) -> None:
    # W46's AMA (12 Nov) ended in the week: Gus and Hal said going, only Gus checked in (Bo, who said
    # maybe and came, is not a no-show). The showcase of 13 Nov was skipped: it has no rate.
    [ama] = data.actions.no_shows
    assert (ama.title, ama.kind, ama.sessions, ama.going, ama.no_shows) == (
        "Ask the maintainers",
        "ama",
        1,
        2,
        1,
    )
    assert ama.rate == pytest.approx(0.5)


async def test_digest_statements_keep_their_sql_text_from_week_to_week(
    engine: AsyncEngine, seeded: Ids
) -> None:
    # W45 reports one cohort launch week, W46 two and W47 (so far) two, a week later: the cohort and
    # trend statements must not change their SQL text with them (a new text is a new compile).
    texts: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        texts.append(statement)

    reader = SqlMetricsReader(engine)
    sync_engine = engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        launch_weeks = []
        for week in (W46.shift(-1), W46, W46.shift(1)):
            data = await reader.digest("test", Period.of(week, "UTC", at(11, 18)), POLICY)
            launch_weeks.append(len({c.launched_at.date() for c in data.cohorts}))
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)
    assert launch_weeks == [1, 2, 2]
    cohort_texts = {t for t in texts if " AS launch" in t}
    assert len(cohort_texts) == 2  # the weekly activity and the week-two retention statements
    activation_texts = {
        t for t in texts if t.startswith("SELECT coalesce(sum(CASE WHEN (member.admitted_at >=")
    }
    assert len(activation_texts) == 1  # a digest's activations, in one statement of 13 slots
