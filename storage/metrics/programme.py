"""The programme's figures a digest shows per series: the no-show rate of sessions that ended."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.metrics.rules import NoShowRate
from bot.core.weeks import Period
from storage.metrics.sql import count_if
from storage.programming.tables import OccurrenceRow, RsvpRow, SeriesRow

_TOOK_PLACE = ("scheduled", "moved", "done")


@functools.cache
def _statement() -> Any:
    """Per series, its sessions that ended in [:start, :end) with RSVPs (built once per process)."""
    return (
        select(
            SeriesRow.id,
            SeriesRow.title,
            SeriesRow.kind,
            func.count(distinct(OccurrenceRow.id)),
            count_if(RsvpRow.answer == "going"),
            count_if((RsvpRow.answer == "going") & RsvpRow.attended.is_(False)),
        )
        .join(OccurrenceRow, OccurrenceRow.series_id == SeriesRow.id)
        .outerjoin(RsvpRow, RsvpRow.occurrence_id == OccurrenceRow.id)
        .where(
            SeriesRow.community_id == bindparam("community_id"),
            OccurrenceRow.ends_at >= bindparam("start"),
            OccurrenceRow.ends_at < bindparam("end"),
            OccurrenceRow.status.in_(_TOOK_PLACE),
        )
        .group_by(SeriesRow.id, SeriesRow.title, SeriesRow.kind)
        .order_by(SeriesRow.id)
    )


async def no_show_rates(conn: AsyncConnection, community_id: str, period: Period) -> tuple[NoShowRate, ...]:
    """Per series, over its sessions that ended in the period: members going, and those of them who
    never checked in. Series with no session ending in the period are left out."""
    params = {"community_id": community_id, "start": period.start, "end": period.end}
    rows = (await conn.execute(_statement(), params)).all()
    return tuple(NoShowRate(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in rows)
