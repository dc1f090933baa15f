"""A weekly 02:30 series across the 2026 DST changes, driven through the scheduler on a fake clock.

America/New_York: clocks jump 02:00 -> 03:00 on 8 March (02:30 does not exist: it shifts forward
to 03:30 EDT) and fall back 02:00 -> 01:00 on 1 November (02:30 happens once, in EST).
Europe/Berlin: 02:00 -> 03:00 on 29 March (02:30 shifts to 03:30 CEST) and 03:00 -> 02:00 on
25 October (02:30 happens twice: the first, CEST, is taken).

The fake clock jumps from one due instant to the next, so every run happens exactly at its
instant and the test sees when each message was queued.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.programming.rules import (
    Occurrence,
    OccurrenceStatus,
    Series,
    SeriesKind,
    SeriesStatus,
    Slot,
    plan_jobs,
    slots,
)
from storage.tables import OutboxRow
from tests.programming.support import admit, lead, scheduler, text_of

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

CASES = [
    # zone, the Sunday of the change, its 02:30 as a UTC instant, the Sundays before/after (UTC)
    ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 7, 30, tzinfo=UTC), (7, 30), (6, 30)),
    ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 7, 30, tzinfo=UTC), (6, 30), (7, 30)),
    ("Europe/Berlin", date(2026, 3, 29), datetime(2026, 3, 29, 1, 30, tzinfo=UTC), (1, 30), (0, 30)),
    ("Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC), (0, 30), (1, 30)),
]
IDS = ["new-york-spring", "new-york-autumn", "berlin-spring", "berlin-autumn"]


def _series_slots(zone: str, around: date) -> list[Slot]:
    series = Series(
        id=1,
        community_id="test",
        kind=SeriesKind.AMA,
        title="Night owls",
        recurrence="weekly on Sunday at 02:30",
        timezone=zone,
        duration_minutes=60,
        channel="announcements",
        status=SeriesStatus.ACTIVE,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    start = datetime.combine(around - timedelta(weeks=3), datetime.min.time(), UTC)
    return slots(series, start, start + timedelta(weeks=6))


@pytest.mark.parametrize(("zone", "day", "instant", "before", "after"), CASES, ids=IDS)
def test_rule_gives_one_occurrence_per_week_at_the_policy_instant(
    zone: str, day: date, instant: datetime, before: tuple[int, int], after: tuple[int, int]
) -> None:
    found = _series_slots(zone, day)
    weeks = [s.local_date.isocalendar()[:2] for s in found]
    assert len(found) == 6 and len(set(weeks)) == 6  # one per week, none twice, none missing
    assert all(s.local_date.weekday() == 6 for s in found)
    by_date = {s.local_date: s.starts_at for s in found}
    assert by_date[day] == instant
    assert by_date[day - timedelta(weeks=1)].time().replace(tzinfo=None) == datetime(1, 1, 1, *before).time()
    assert by_date[day + timedelta(weeks=1)].time().replace(tzinfo=None) == datetime(1, 1, 1, *after).time()


@pytest.mark.parametrize(("zone", "day", "instant", "before", "after"), CASES, ids=IDS)
def test_reminders_are_elapsed_time_before_the_true_instant(
    zone: str, day: date, instant: datetime, before: tuple[int, int], after: tuple[int, int]
) -> None:
    slot = next(s for s in _series_slots(zone, day) if s.local_date == day)
    occurrence = Occurrence(1, 1, slot.local_date, slot.starts_at, slot.ends_at, OccurrenceStatus.SCHEDULED)
    jobs = {
        job.name: job.at
        for job in plan_jobs(
            SeriesKind.AMA,
            occurrence,
            announcement_lead=7 * DAY,
            reminder_offsets=(24 * HOUR, HOUR),
            lineup_lead=timedelta(0),
        )
    }
    assert jobs["remind:1440"] == instant - 24 * HOUR and jobs["remind:60"] == instant - HOUR
    assert jobs["start"] == instant and jobs["end"] == instant + HOUR
    # In local wall time the day before reads 02:30 or 01:30/03:30: elapsed time is what is kept.
    local_day_before = jobs["remind:1440"].astimezone(ZoneInfo(zone))
    assert local_day_before.date() == day - DAY


async def _simulate(
    app: App, platform: FakePlatform, clock: FixedClock, until: datetime
) -> list[tuple[str, datetime, datetime]]:
    """Jump the clock from one due instant to the next until `until`: (job key, instant, ran at) per
    run. A member answers "going" to every occurrence as soon as it exists."""
    sched = scheduler(app, plan_every=DAY)
    ada = platform.actor("ada")
    answered: set[int] = set()
    runs: list[tuple[str, datetime, datetime]] = []
    assert await sched.start()
    while True:
        for key in sched.specs:
            if ":occurrence:" not in key:
                continue  # the communities' recurring jobs (cohort window, milestones, digest)
            occurrence_id = int(key.split(":")[2])
            if occurrence_id not in answered:
                answered.add(occurrence_id)
                assert "going" in text_of(await platform.press(ada, f"rsvp:going:{occurrence_id}"))
        following = sched.next_due(clock.now())
        assert following is not None and following > clock.now()
        if following >= until:
            return runs
        clock.set(following)
        runs += [(key, at, clock.now()) for key, at in await sched.sync()]


@pytest.mark.parametrize(("zone", "day", "instant", "before", "after"), CASES, ids=IDS)
async def test_weekly_series_across_the_change_runs_once_a_week_with_true_reminders(
    app: App,
    platform: FakePlatform,
    clock: FixedClock,
    zone: str,
    day: date,
    instant: datetime,
    before: tuple[int, int],
    after: tuple[int, int],
) -> None:
    midnight = datetime.min.time()
    clock.set(datetime.combine(day - timedelta(days=17), midnight, UTC))
    await admit(app, "ada")
    reply = await platform.slash(
        lead(platform),
        "series create",
        kind="ama",
        title="Night owls",
        recurrence="weekly on Sunday 02:30",
        timezone=zone,
    )
    assert "created" in text_of(reply)
    runs = await _simulate(app, platform, clock, datetime.combine(day + timedelta(days=12), midnight, UTC))

    def ran(job: str) -> list[datetime]:
        return sorted(at for key, at, _ in runs if key.endswith(f":{job}"))

    starts = ran("start")
    assert len(starts) == 4  # the Sundays from two weeks before the change to one week after
    local_dates = [at.astimezone(ZoneInfo(zone)).date() for at in starts]
    assert all(d.weekday() == 6 for d in local_dates)
    assert len({d.isocalendar()[:2] for d in local_dates}) == 4  # exactly once each week
    assert instant in starts
    assert ran("remind:1440") == [s - 24 * HOUR for s in starts]
    assert ran("remind:60") == [s - HOUR for s in starts]
    assert ran("end") == [s + HOUR for s in starts]
    late = [(key, at, when) for key, at, when in runs if when != at and not key.endswith(":announce")]
    assert late == []  # every start, reminder and end ran at its instant, once

    # The DMs to the member going were queued exactly 24 h and 1 h (elapsed) before each start.
    async with app.engine.connect() as conn:
        rows = (await conn.execute(select(OutboxRow.kind, OutboxRow.created_at, OutboxRow.dedupe_key))).all()
    dm_times = sorted(created_at for kind, created_at, _ in rows if kind == "direct_message")
    assert dm_times == sorted([s - 24 * HOUR for s in starts] + [s - HOUR for s in starts])
    start_posts = sorted(created_at for _, created_at, key in rows if key and key.startswith("start:"))
    assert start_posts == starts  # one post per start, at the start
