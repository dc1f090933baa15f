"""The schedule stamp: the database moves it, in the writing transaction, whenever a series, an
occurrence or a poll changes in a way the scheduler's jobs depend on, and only then."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from storage.feedback.tables import PollRow
from storage.programming.tables import OccurrenceRow, SeriesRow
from storage.tables import CommunityRow, ScheduleStampRow


async def _stamp(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        stamp = select(ScheduleStampRow.version).where(ScheduleStampRow.name == "schedule")
        return int((await conn.execute(stamp)).scalar_one())


async def test_programme_and_poll_changes_move_the_stamp_and_other_writes_do_not(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    now = clock.now()
    async with engine.begin() as conn:
        await conn.execute(
            insert(CommunityRow).values(
                id="c", name="C", platform="fake", admissions_paused=False, privacy_salt="s", created_at=now
            )
        )
    seen = await _stamp(engine)

    async def moved(statement: object) -> bool:
        nonlocal seen
        async with engine.begin() as conn:
            await conn.execute(statement)  # type: ignore[call-overload]
        before, seen = seen, await _stamp(engine)
        return seen != before

    assert await moved(
        insert(SeriesRow).values(
            id=1, community_id="c", kind="ama", title="AMA", recurrence="weekly on Thursday 17:00",
            timezone="UTC", duration_minutes=60, channel="events", status="active", created_at=now,
        )
    )  # fmt: skip
    assert not await moved(update(SeriesRow).values(title="Ask us"))
    assert await moved(update(SeriesRow).values(kind="showcase"))
    assert await moved(
        insert(OccurrenceRow).values(
            id=1, series_id=1, local_date=date(2026, 11, 5), starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=1), status="scheduled",
        )
    )  # fmt: skip
    assert not await moved(update(OccurrenceRow).values(announced_at=now))
    assert await moved(update(OccurrenceRow).values(starts_at=now + timedelta(days=4)))
    assert await moved(update(OccurrenceRow).values(status="cancelled"))
    assert await moved(
        insert(PollRow).values(
            id=1, community_id="c", question="Tea?", kind="question", eligibility="all", secret=False,
            votes_per_member=1, channel="general", status="open", created_at=now,
            closes_at=now + timedelta(hours=2),
        )
    )  # fmt: skip
    assert not await moved(update(PollRow).values(last_ballot_at=now))
    assert await moved(update(PollRow).values(status="closed", closed_at=now))
    assert await moved(OccurrenceRow.__table__.delete())
    assert await moved(PollRow.__table__.delete())
    assert await moved(SeriesRow.__table__.delete())


async def test_a_change_rolled_back_leaves_the_stamp(engine: AsyncEngine, clock: FixedClock) -> None:
    now = clock.now()
    async with engine.begin() as conn:
        await conn.execute(
            insert(CommunityRow).values(
                id="c", name="C", platform="fake", admissions_paused=False, privacy_salt="s", created_at=now
            )
        )
    before = await _stamp(engine)
    async with engine.connect() as conn:
        await conn.execute(
            insert(PollRow).values(
                community_id="c", question="Tea?", kind="question", eligibility="all", secret=False,
                votes_per_member=1, channel="general", status="open", created_at=now,
                closes_at=now + timedelta(hours=2),
            )
        )  # fmt: skip
        await conn.rollback()
    assert await _stamp(engine) == before
