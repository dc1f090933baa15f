"""The driver-level bulk insert stores what the ORM would: times read back equal (aware UTC, from any
offset), time ranges select them, a batch larger than one statement goes in whole, a duplicate once;
on SQLite, a time is the very text SQLAlchemy's DateTime would have written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.contributions.bulk import ROWS_PER_STATEMENT, _sqlite_time
from storage.contributions.tables import ContributionRow
from storage.uow import SqlUnitOfWorkFactory

AT = datetime(2026, 11, 8, 23, 30, 15, 123456, tzinfo=UTC)
SQLITE_DATETIME = sqlite.DATETIME()


async def test_a_large_batch_reads_back_as_the_orm_wrote_it(engine: AsyncEngine) -> None:
    uow_factory = SqlUnitOfWorkFactory(engine, bindings())
    async with uow_factory() as uow:
        await uow.communities.ensure("c", "C", "fake", AT)
        await uow.commit()
    paris = timezone(timedelta(hours=1))
    facts = [
        ContributionFact(
            "c",
            MemberRef("fake", str(i % 13)),
            ContributionKind.MESSAGE,
            1.0,
            f"msg:{i}",
            (AT + timedelta(minutes=i)).astimezone(paris if i % 2 else UTC),
            channel_id="general",
        )
        for i in range(ROWS_PER_STATEMENT + 7)
    ]
    async with uow_factory() as uow:
        recorded = await uow.repo(ContributionRepository).record([*facts, facts[0]])
        await uow.commit()
    assert recorded.inserted == len(facts)
    async with engine.connect() as conn:
        stored = dict(
            (await conn.execute(select(ContributionRow.source_id, ContributionRow.occurred_at))).all()
        )
        in_range = await conn.scalars(
            select(ContributionRow.source_id).where(
                ContributionRow.occurred_at >= AT + timedelta(minutes=3),
                ContributionRow.occurred_at < AT + timedelta(minutes=5),
            )
        )
        assert sorted(in_range) == ["msg:3", "msg:4"]
    assert stored["msg:1"] == AT + timedelta(minutes=1) and stored["msg:1"].tzinfo is not None
    assert len(stored) == len(facts)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
        ),
    )
)
def test_a_time_is_written_as_sqlalchemy_s_sqlite_datetime_writes_it(at: datetime) -> None:
    naive_utc = at.astimezone(UTC).replace(tzinfo=None)
    assert _sqlite_time(at) == SQLITE_DATETIME.bind_processor(sqlite.dialect())(naive_utc)
