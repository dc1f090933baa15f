"""UTCDateTime: aware UTC in, aware UTC out, on every backend, also inside an expanding IN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.types import UTCDateTime

T = Table("utc_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))


async def test_aware_datetimes_round_trip_as_utc_and_match_in_an_in_list(engine: AsyncEngine) -> None:
    paris = timezone(timedelta(hours=2))
    moments = [datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC), datetime(2026, 3, 1, 12, 0, tzinfo=paris)]
    async with engine.begin() as conn:
        await conn.run_sync(T.create)
        try:
            await conn.execute(
                T.insert(), [{"id": 1, "at": moments[0]}, {"id": 2, "at": moments[1]}, {"id": 3, "at": None}]
            )
            rows = (await conn.execute(select(T.c.id, T.c.at).order_by(T.c.id))).all()
            assert [tuple(r) for r in rows] == [
                (1, moments[0]),
                (2, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
                (3, None),
            ]
            assert all(r.at is None or r.at.tzinfo is UTC for r in rows)
            found = await conn.scalars(select(T.c.id).where(T.c.at.in_(moments)).order_by(T.c.id))
            assert list(found) == [1, 2]
        finally:
            await conn.run_sync(T.drop)


def test_on_sqlite_the_text_written_is_the_dialects_own_and_naive_datetimes_are_refused() -> None:
    dialect = sqlite.dialect()
    write = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    dialects_own = sqlite.DATETIME().bind_processor(dialect)  # type: ignore[no-untyped-call]
    assert write is not None and dialects_own is not None
    offsets = [timezone(timedelta(hours=h, minutes=m)) for h in (-12, -5, 0, 2, 14) for m in (0, 30)]
    moments = [
        datetime(year, month, 28, hour, 59, 59, micro, tzinfo=zone)
        for year in (999, 2026, 9998)
        for month in (1, 12)
        for hour in (0, 23)
        for micro in (0, 1, 999999)
        for zone in offsets
    ]
    for moment in moments:
        assert write(moment) == dialects_own(moment.astimezone(UTC).replace(tzinfo=None))
    assert write(None) is None
    with pytest.raises(ValueError, match="naive"):
        write(datetime(2026, 1, 1))
