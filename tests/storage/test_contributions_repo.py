"""Recording contributions: once per source, with the weekly rollup and the first contribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.contributions.helpful_rules import PairMarks
from bot.core.contributions.ports import ContributionRepository, HelpfulMarks
from bot.core.contributions.rules import ContributionFact, ContributionKind, week_start
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.tables import MemberRow
from storage.uow import SqlUnitOfWorkFactory

SUNDAY_NIGHT = datetime(2026, 11, 8, 23, 30, tzinfo=UTC)


async def test_a_source_counts_once_and_rolls_up_by_week(engine: AsyncEngine) -> None:
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", SUNDAY_NIGHT)
        member = await uow.members.upsert_seen("c", MemberRef("fake", "1"), SUNDAY_NIGHT)
        await uow.commit()
    moments = [
        SUNDAY_NIGHT,
        SUNDAY_NIGHT,
        SUNDAY_NIGHT + timedelta(hours=1),
        SUNDAY_NIGHT - timedelta(days=2),
    ]
    sources = ["a", "a", "b", "c"]
    recorded = []
    for at, source in zip(moments, sources, strict=True):
        async with uow_factory() as uow:
            fact = ContributionFact("c", member.ref, ContributionKind.AMA_QUESTION, 2.0, source, at)
            recorded.append(bool((await uow.repo(ContributionRepository).record([fact])).inserted))
            await uow.commit()
    assert recorded == [True, False, True, True]
    async with engine.connect() as conn:
        assert len((await conn.execute(select(ContributionRow.id))).all()) == 3
        weeks = (
            await conn.execute(select(MemberWeekRow.week_start, MemberWeekRow.count, MemberWeekRow.weight))
        ).all()
        first = await conn.scalar(select(MemberRow.first_contribution_at))
    # Sunday 23:30 UTC belongs to the week of Monday 2 November; Monday 00:30 to the next one.
    assert sorted(weeks) == [(date(2026, 11, 2), 2, 4.0), (date(2026, 11, 9), 1, 2.0)]
    assert first == SUNDAY_NIGHT - timedelta(days=2)  # the earliest, even recorded last


def test_weeks_start_on_monday_utc() -> None:
    assert week_start(datetime(2026, 11, 9, 0, 30, tzinfo=UTC)) == date(2026, 11, 9)
    assert week_start(datetime(2026, 11, 8, 23, 30, tzinfo=UTC)) == date(2026, 11, 2)


async def test_only_admitted_members_are_rechecked_for_badges(engine: AsyncEngine) -> None:
    """Badges see the stats of admitted members only: a pending member's contribution asks for no
    recheck; a member admitted earlier in the same transaction (not flushed yet) does."""
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", SUNDAY_NIGHT)
        pending = await uow.members.upsert_seen("c", MemberRef("fake", "1"), SUNDAY_NIGHT)
        admitted = await uow.members.upsert_seen("c", MemberRef("fake", "2"), SUNDAY_NIGHT)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.members.save(replace(admitted, status=MemberStatus.ADMITTED, admitted_at=SUNDAY_NIGHT))
        facts = [
            ContributionFact("c", ref, ContributionKind.MESSAGE, 1.0, f"m{i}", SUNDAY_NIGHT)
            for i, ref in enumerate((pending.ref, admitted.ref, MemberRef("fake", "3")))
        ]
        recorded = await uow.repo(ContributionRepository).record(facts)
        await uow.commit()
    newcomer = next(m for m in recorded.member_ids if m not in (pending.id, admitted.id))
    assert recorded.inserted == 3
    assert recorded.first_contributors == tuple(sorted((pending.id, admitted.id, newcomer)))
    assert recorded.rechecks == (admitted.id,)


async def test_a_week_new_to_a_member_asks_for_a_recheck_and_more_of_the_same_week_does_not(
    engine: AsyncEngine,
) -> None:
    """Streak badges move when a member contributes in a week new to them; another message in a week
    they already contributed in changes nothing a badge looks at (messages are volume)."""
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", SUNDAY_NIGHT)
        seen = await uow.members.upsert_seen("c", MemberRef("fake", "1"), SUNDAY_NIGHT)
        member = replace(seen, status=MemberStatus.ADMITTED, admitted_at=SUNDAY_NIGHT)
        await uow.members.save(member)
        await uow.commit()

    async def message(source: str, at: datetime) -> tuple[int, ...]:
        fact = ContributionFact("c", member.ref, ContributionKind.MESSAGE, 1.0, source, at)
        async with uow_factory() as uow:
            recorded = await uow.repo(ContributionRepository).record([fact])
            await uow.commit()
        return recorded.rechecks

    monday = SUNDAY_NIGHT + timedelta(hours=1)
    assert await message("a", SUNDAY_NIGHT - timedelta(days=3)) == (member.id,)  # the first contribution
    assert await message("b", SUNDAY_NIGHT) == ()  # the same week
    assert await message("c", monday) == (member.id,)  # a new week
    assert await message("d", monday + timedelta(days=1)) == ()
    assert await message("e", SUNDAY_NIGHT - timedelta(days=14)) == (member.id,)  # an earlier week, new


async def test_helpful_tally_counts_the_daily_cap_and_the_pair_each_in_its_window(
    engine: AsyncEngine,
) -> None:
    """One read answers both questions of a mark: the marker's marks of anyone's answers in the last
    day (counted or flagged), and the pair's counted marks each way and any flagged one in the window."""
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    marker, author, other = (MemberRef("fake", str(i)) for i in range(3))
    now = SUNDAY_NIGHT
    helpful, flagged = ContributionKind.HELPFUL_ANSWER, ContributionKind.HELPFUL_FLAGGED
    marks = [  # (answer by, marked by, kind, days ago)
        (author, marker, helpful, 0.5),  # today, in the pair: both
        (author, marker, helpful, 5),  # the pair only
        (other, marker, helpful, 0.2),  # today, not the pair
        (other, marker, flagged, 0.3),  # today (flagged marks count towards the cap), not the pair
        (marker, author, helpful, 3),  # received, the pair only
        (marker, author, helpful, 40),  # outside both windows
        (author, other, helpful, 0.1),  # someone else's mark
    ]
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", now)
        facts = [
            ContributionFact("c", by, kind, 1.0, f"h{i}", now - timedelta(days=ago), target=marked_by)
            for i, (by, marked_by, kind, ago) in enumerate(marks)
        ]
        await uow.repo(ContributionRepository).record(facts)
        await uow.commit()
    async with uow_factory() as uow:
        ids = {ref: (await uow.members.upsert_seen("c", ref, now)).id for ref in (marker, author)}
        tally = uow.repo(HelpfulMarks).tally
        window = {"given_since": now - timedelta(days=1), "pair_since": now - timedelta(days=30)}
        assert await tally("c", ids[marker], ids[author], **window) == (3, PairMarks(2, 1, False))
        assert await tally("c", ids[author], ids[marker], **window) == (0, PairMarks(1, 2, False))
        facts = [ContributionFact("c", author, flagged, 0.0, "f", now - timedelta(days=20), target=marker)]
        await uow.repo(ContributionRepository).record(facts)
        assert await tally("c", ids[marker], ids[author], **window) == (3, PairMarks(2, 1, True))
