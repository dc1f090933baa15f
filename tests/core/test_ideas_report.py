"""The insights report and the digest's feedback figures against a hand-computed, seeded fixture.

The timeline below is played through the bus with the clock moved to each date. Figures for
2025-11 (UTC; a past month, so the CLI's real clock sees it complete), computed by hand:

- ideas in the report: #1-#5 (#6 was merged into #5, so it is left out);
- votes by 1 Dec: #1 1, #2 4, #3 1, #4 2 (Cy's December vote excluded), #5 4 (Cy, Dan, Eve and
  Fred's vote carried over from #6; Dan voted for both and counts once);
- top by votes (open ideas): #5 (4), #4 (2);
- velocity: #5 had 4 November votes over 27.625 open days → 4/27.625·7 = 1.01/week;
  #4 had 1 over 30 days → 0.23/week;
- new this month: #5;
- shipped this month: #2 after 132 days (1 Jul 09:00 → 10 Nov 09:00), credited Ada (author),
  then Cy, Dan, Eve in vote order;
- declined this month: #3 "Use the API instead";
- implementation rate: of #1-#5 submitted since 1 Jun, #1 and #2 shipped → 2/5 = 40 %;
- median days to ship: #1 took 52 days, #2 132 → 92.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.cli import main
from bot.clock import FixedClock
from bot.core.feedback.commands import PostIdeasReport
from bot.core.feedback.idea_reports import feedback_week
from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.feedback.report_rules import (
    NO_FEEDBACK,
    FeedbackWeek,
    ReportIdea,
    compose,
    feedback_lines,
    period,
    render_markdown,
)
from bot.core.refs import MemberRef, Role
from bot.core.text import mention, mentions_in
from tests.conftest import COMMUNITY
from tests.core.ideas_kit import admit, file, posts, queued


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


async def seed(app: App, platform: FakePlatform, clock: FixedClock) -> None:
    """The timeline of the module docstring, in order."""
    clock.set(at(6, 1))
    ada, bob, cy, dan, eve, fred = [
        await admit(app, platform, str(i), name)
        for i, name in enumerate(("Ada", "Bob", "Cy", "Dan", "Eve", "Fred"), 1)
    ]
    lead = platform.actor("L", Role.LEAD)

    async def vote(who, idea_id: int, when: datetime) -> None:  # noqa: ANN001
        clock.set(when)
        await platform.press(who, f"idea:vote:{idea_id}")

    async def status(idea_id: int, value: str, when: datetime, reason: str | None = None) -> None:
        clock.set(when)
        options = {"id": idea_id, "status": value} | ({"reason": reason} if reason else {})
        await platform.slash(lead, "ideas status", **options)

    clock.set(at(6, 10))
    assert await file(platform, ada, "Offline sync") == 1
    clock.set(at(7, 1))
    assert await file(platform, ada, "Dark mode") == 2
    await status(1, "shipped", at(8, 1))
    clock.set(at(9, 15))
    assert await file(platform, bob, "CSV export") == 3
    clock.set(at(10, 20))
    assert await file(platform, bob, "Plugin API") == 4
    await vote(cy, 2, at(10, 25, 9))
    await vote(dan, 2, at(10, 25, 10))
    clock.set(at(11, 3))
    assert await file(platform, cy, "Emoji reactions") == 5
    await vote(dan, 5, at(11, 4, 9))
    await vote(eve, 5, at(11, 4, 10))
    await vote(ada, 4, at(11, 5, 12))
    await vote(eve, 2, at(11, 6))
    await status(2, "shipped", at(11, 10))
    await status(3, "declined", at(11, 12), reason="Use the API instead")
    clock.set(at(11, 20))
    assert await file(platform, dan, "Dark theme") == 6
    await vote(fred, 6, at(11, 20, 10))
    clock.set(at(11, 21))
    await platform.slash(lead, "ideas merge", id=6, into=5)
    await vote(cy, 4, at(12, 2))


EXPECTED = {
    "community": COMMUNITY,
    "month": "2025-11",
    "period": {"start": "2025-11-01T00:00:00+00:00", "end": "2025-12-01T00:00:00+00:00"},
    "top_by_votes": [
        {
            "id": 5,
            "title": "Emoji reactions",
            "area": None,
            "status": "new",
            "votes": 4,
            "votes_this_month": 4,
            "created_at": "2025-11-03T09:00:00+00:00",
        },
        {
            "id": 4,
            "title": "Plugin API",
            "area": None,
            "status": "new",
            "votes": 2,
            "votes_this_month": 1,
            "created_at": "2025-10-20T09:00:00+00:00",
        },
    ],
    "top_by_velocity": [
        {
            "id": 5,
            "title": "Emoji reactions",
            "area": None,
            "status": "new",
            "votes": 4,
            "votes_this_month": 4,
            "created_at": "2025-11-03T09:00:00+00:00",
            "votes_per_week": 1.01,
        },
        {
            "id": 4,
            "title": "Plugin API",
            "area": None,
            "status": "new",
            "votes": 2,
            "votes_this_month": 1,
            "created_at": "2025-10-20T09:00:00+00:00",
            "votes_per_week": 0.23,
        },
    ],
    "new": [
        {
            "id": 5,
            "title": "Emoji reactions",
            "area": None,
            "status": "new",
            "votes": 4,
            "votes_this_month": 4,
            "created_at": "2025-11-03T09:00:00+00:00",
        },
    ],
    "shipped": [
        {
            "id": 2,
            "title": "Dark mode",
            "area": None,
            "status": "shipped",
            "votes": 4,
            "votes_this_month": 1,
            "created_at": "2025-07-01T09:00:00+00:00",
            "shipped_at": "2025-11-10T09:00:00+00:00",
            "days_to_ship": 132.0,
            "credited": ["Ada", "Cy", "Dan", "Eve"],
        },
    ],
    "declined": [
        {
            "id": 3,
            "title": "CSV export",
            "area": None,
            "status": "declined",
            "votes": 1,
            "votes_this_month": 0,
            "created_at": "2025-09-15T09:00:00+00:00",
            "reason": "Use the API instead",
        },
    ],
    "implementation": {
        "window_start": "2025-06-01T00:00:00+00:00",
        "submitted": 5,
        "shipped": 2,
        "rate": 0.4,
    },
    "median_days_to_ship": 92.0,
}


async def test_the_report_matches_the_hand_computed_fixture(
    app: App,
    platform: FakePlatform,
    clock: FixedClock,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await seed(app, platform, clock)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[[communities]]\nid = "{COMMUNITY}"\nname = "T"\nplatform = "fake"\n'
    )
    capsys.readouterr()

    def cli(*argv: str) -> int:
        return main(["ideas", *argv, "--config", str(config)])

    # the CLI runs its own event loop, as it does from a shell
    assert await asyncio.to_thread(cli, "report", "--month", "2025-11", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED

    assert await asyncio.to_thread(cli, "report", "--month", "2025-11") == 0
    markdown = capsys.readouterr().out
    assert "- #2 Dark mode — after 132 days; credited: Ada, Cy, Dan, Eve" in markdown
    assert "Implementation rate: 40% (2 of 5 submitted in six months)" in markdown
    assert "Median days from submission to ship: 92" in markdown
    assert "- #3 CSV export — Use the API instead" in markdown

    assert await asyncio.to_thread(cli, "report", "--month", "November") == 2
    assert "a month looks like 2026-11" in capsys.readouterr().err


async def test_the_monthly_post_goes_to_the_leads_channel_once(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    await seed(app, platform, clock)
    for _ in range(2):  # the job fires twice: one post
        await app.bus.handle(PostIdeasReport(community_id=COMMUNITY))
    [post] = posts(await queued(engine), "digest")
    assert post.title == "Ideas report, 2025-11"
    assert "• #5 Emoji reactions — 4 votes, New" in post.text
    assert "• Implementation rate: 40% (2 of 5 submitted in six months)" in post.text


async def test_the_digest_feedback_section(app: App, platform: FakePlatform, clock: FixedClock) -> None:
    await seed(app, platform, clock)
    async with app.uow_factory() as uow:
        merge_week = await feedback_week(uow, COMMUNITY, at(11, 16, 0), at(11, 23, 0))
        ship_week = await feedback_week(uow, COMMUNITY, at(11, 9, 0), at(11, 16, 0))
    # #6 filed; Fred's vote (carried over to #5, counted once; Dan's own vote on his idea is not
    # counted); the merge as the one status change.
    assert (merge_week.ideas_filed, merge_week.votes, merge_week.status_changes, merge_week.shipped) == (
        1,
        1,
        1,
        (),
    )
    assert (merge_week.shipped_in_window, merge_week.submitted_in_window) == (2, 5)
    assert (ship_week.ideas_filed, ship_week.votes, ship_week.status_changes) == (0, 0, 2)
    assert ship_week.shipped == ((2, "Dark mode"),)
    lines = feedback_lines(ship_week)
    assert lines == [
        "Ideas filed: 0 · votes: 0 · status changes: 2",
        "Shipped this week: #2 Dark mode",
        "Implementation rate (six months): 40% (2 of 5)",
    ]


def test_feedback_lines_name_at_most_the_limit_of_shipped_ideas() -> None:
    forged = f"Three {mention(MemberRef('fake', '1'))}"
    busy = FeedbackWeek(3, 9, 3, ((1, "One"), (2, "Two"), (3, forged)), 10, 3)
    assert feedback_lines(busy, limit=2)[1] == "Shipped this week: #1 One, #2 Two, and 1 more"
    assert mentions_in(feedback_lines(busy)[1]) == ()  # titles are member text: no mention survives
    assert feedback_lines(NO_FEEDBACK) == [
        "Ideas filed: 0 · votes: 0 · status changes: 0",
        "Shipped this week: nothing",
        "Implementation rate (six months): n/a",
    ]


def _idea(
    idea_id: int, created: datetime, votes: int, recent: int, status: IdeaStatus = IdeaStatus.NEW
) -> ReportIdea:
    return ReportIdea(idea_id, f"idea {idea_id}", status, created, created, votes, recent)


def test_velocity_of_a_month_still_running_counts_only_the_days_so_far() -> None:
    when = period("2025-11", ZoneInfo("UTC"))
    ideas = [
        _idea(1, at(10, 1), 10, 7),  # open all 14 days so far: 7 votes → 3.5/week
        _idea(2, at(11, 14, 12), 3, 3),  # half a day old: counted as one day → 21/week
        _idea(3, at(11, 2), 5, 0),  # no votes this month: not rising
        _idea(4, at(11, 3), 9, 9, IdeaStatus.MERGED),  # a merged duplicate is never counted
    ]
    report = compose(COMMUNITY, ideas, when, as_of=at(11, 15, 0), credit_voters=3)
    assert [(i.id, v) for i, v in report.top_by_velocity] == [(2, 21.0), (1, 3.5)]
    assert [i.id for i in report.top_by_votes] == [1, 3, 2]
    assert report.implementation_rate == 0.0 and report.median_days_to_ship is None
    assert "nothing shipped in six months" in render_markdown(report)


def test_month_boundaries_follow_the_community_time_zone() -> None:
    when = period("2026-11", ZoneInfo("Europe/Berlin"))
    assert when.start == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert when.end == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert when.window_start == datetime(2026, 5, 31, 22, tzinfo=UTC)  # summer time in June
    assert when.end - when.start == timedelta(days=30)
    with pytest.raises(ValueError, match="looks like 2026-11"):
        period("2026-13", ZoneInfo("UTC"))


async def test_the_export_for_product_tools(
    app: App, platform: FakePlatform, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = await admit(app, platform, "1", "Ada")
    await file(platform, ada, '=HYPERLINK("https://example.com","click")', "a formula in disguise")
    await file(platform, ada, "Offline sync", area="mobile")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[[communities]]\nid = "{COMMUNITY}"\nname = "T"\nplatform = "fake"\n'
    )
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["ideas", "export", "--config", str(config)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("https://example.com","click")', "Offline sync"]
    assert rows[1] | {"created_at": ""} == {
        "id": "2",
        "title": "Offline sync",
        "details": "",
        "area": "mobile",
        "status": "new",
        "status_reason": "",
        "votes": "1",
        "author": "Ada",
        "created_at": "",
        "shipped_at": "",
        "merged_into": "",
    }
    assert (
        await asyncio.to_thread(main, ["ideas", "export", "--format", "json", "--config", str(config)]) == 0
    )
    exported = json.loads(capsys.readouterr().out)
    assert exported[0]["title"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet: kept as typed
    assert [e["author"] for e in exported] == ["Ada", "Ada"]
