"""The programme: series, their occurrences and RSVPs."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.members import Member
from bot.core.programming.rules import (
    NewSeries,
    Occurrence,
    OccurrenceStatus,
    RsvpAnswer,
    RsvpCounts,
    Series,
    SeriesKind,
    SeriesStatus,
)
from bot.core.refs import MemberRef
from storage.members import to_member
from storage.programming.statements import (
    _ANSWERS_OF,
    _GOING,
    _HAPPENING,
    _OF_SERIES,
    _ON_DATE,
    _RSVP_COUNTS,
    _WAITING,
    _WITH_SERIES,
    _of_community,
    _upcoming,
    _with_host,
)
from storage.programming.tables import OccurrenceRow, RsvpRow, SeriesRow
from storage.repository_base import SqlRepository, affected_rows, insert_ignore, upsert
from storage.tables import MemberRow


def _series(row: SeriesRow, host: MemberRow | None) -> Series:
    return Series(
        id=row.id,
        community_id=row.community_id,
        kind=SeriesKind(row.kind),
        title=row.title,
        recurrence=row.recurrence,
        timezone=row.timezone,
        duration_minutes=row.duration_minutes,
        channel=row.channel,
        status=SeriesStatus(row.status),
        created_at=row.created_at,
        anchor=row.anchor,
        host_id=row.host_id,
        host=MemberRef(host.platform, host.user_id) if host is not None else None,
        key=row.key,
        capacity=row.capacity,
        location=row.location,
    )


def _occurrence(row: OccurrenceRow) -> Occurrence:
    return Occurrence(
        id=row.id,
        series_id=row.series_id,
        local_date=row.local_date,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=OccurrenceStatus(row.status),
        announced_at=row.announced_at,
    )


class SqlSeriesRepository(SqlRepository):
    async def add(self, series: NewSeries, now: datetime) -> Series:
        row = SeriesRow(**_values(series), status=SeriesStatus.ACTIVE.value, created_at=now)
        self.session.add(row)
        await self.session.flush()
        found = await self.get(row.id)
        assert found is not None
        return found

    async def upsert_configured(self, series: NewSeries, now: datetime) -> Series:
        if series.key is None:
            raise ValueError("only series defined in the configuration have a key")
        values = _values(series)
        changes = {k: v for k, v in values.items() if k not in ("community_id", "key", "anchor")}
        # An ORM upsert returning the row: one statement, and a SeriesRow already in the session is
        # refreshed with what was stored (populate_existing).
        module = postgresql if self.dialect == "postgresql" else sqlite
        stmt = (
            module.insert(SeriesRow)
            .values(**values, status=SeriesStatus.ACTIVE.value, created_at=now)
            .on_conflict_do_update(index_elements=["community_id", "key"], set_=changes)
            .returning(SeriesRow)
        )
        row = (await self.session.execute(stmt, execution_options={"populate_existing": True})).scalar_one()
        host = await self.session.get(MemberRow, row.host_id) if row.host_id is not None else None
        return _series(row, host)

    async def get(self, series_id: int) -> Series | None:
        row = (await self.session.execute(_with_host().where(SeriesRow.id == series_id))).one_or_none()
        return _series(row[0], row[1]) if row else None

    async def of_community(self, community_id: str, *, active_only: bool = True) -> list[Series]:
        rows = await self.session.execute(_of_community(active_only), {"community_id": community_id})
        return [_series(s, h) for s, h in rows]

    async def set_status(self, series_id: int, status: SeriesStatus) -> bool:
        result = await self.session.execute(
            update(SeriesRow)
            .where(SeriesRow.id == series_id, SeriesRow.status != status.value)
            .values(status=status.value)
        )
        return bool(affected_rows(result))


def _values(series: NewSeries) -> dict[str, object]:
    return {
        "community_id": series.community_id,
        "key": series.key,
        "kind": series.kind.value,
        "title": series.title[:200],
        "host_id": series.host_id,
        "recurrence": series.recurrence,
        "timezone": series.timezone,
        "anchor": series.anchor,
        "duration_minutes": series.duration_minutes,
        "channel": series.channel,
        "capacity": series.capacity,
        "location": series.location,
    }


class SqlOccurrenceRepository(SqlRepository):
    async def ensure(
        self, series_id: int, local_date: date, starts_at: datetime, ends_at: datetime
    ) -> Occurrence:
        await self.session.execute(
            insert_ignore(self.dialect, OccurrenceRow.__table__).values(
                series_id=series_id,
                local_date=local_date,
                starts_at=starts_at,
                ends_at=ends_at,
                status=OccurrenceStatus.SCHEDULED.value,
            )
        )
        found = await self.on_date(series_id, local_date)
        assert found is not None
        return found

    async def get(self, occurrence_id: int) -> Occurrence | None:
        row = await self.session.get(OccurrenceRow, occurrence_id, populate_existing=True)
        return _occurrence(row) if row else None

    async def with_series(self, occurrence_id: int) -> tuple[Series, Occurrence] | None:
        row = (await self.session.execute(_WITH_SERIES, {"occurrence_id": occurrence_id})).one_or_none()
        return (_series(row[1], row[2]), _occurrence(row[0])) if row else None

    async def on_date(self, series_id: int, local_date: date) -> Occurrence | None:
        row = (
            await self.session.execute(_ON_DATE, {"series_id": series_id, "local_date": local_date})
        ).scalar_one_or_none()
        return _occurrence(row) if row else None

    async def save(self, occurrence: Occurrence) -> None:
        await self.session.execute(
            update(OccurrenceRow)
            .where(OccurrenceRow.id == occurrence.id)
            .values(
                starts_at=occurrence.starts_at, ends_at=occurrence.ends_at, status=occurrence.status.value
            )
        )

    async def mark_announced(self, occurrence_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(OccurrenceRow)
            .where(OccurrenceRow.id == occurrence_id, OccurrenceRow.announced_at.is_(None))
            .values(announced_at=now)
        )
        return bool(affected_rows(result))

    async def set_status(
        self, occurrence_id: int, status: OccurrenceStatus, *, only_from: Collection[OccurrenceStatus]
    ) -> bool:
        result = await self.session.execute(
            update(OccurrenceRow)
            .where(OccurrenceRow.id == occurrence_id, OccurrenceRow.status.in_([s.value for s in only_from]))
            .values(status=status.value)
        )
        return bool(affected_rows(result))

    async def of_series(self, series_id: int, *, ending_after: datetime) -> list[Occurrence]:
        rows = await self.session.execute(_OF_SERIES, {"series_id": series_id, "ending_after": ending_after})
        return [_occurrence(row) for row in rows.scalars()]

    async def upcoming(
        self, community_id: str, after: datetime, limit: int, *, kind: SeriesKind | None = None
    ) -> list[tuple[Series, Occurrence]]:
        params: dict[str, Any] = {"community_id": community_id, "after": after, "limit": limit}
        if kind is not None:
            params["kind"] = kind.value
        rows = await self.session.execute(_upcoming(kind is not None), params)
        return [(_series(s, h), _occurrence(o)) for s, h, o in rows]

    async def for_feed(
        self, community_id: str, ending_after: datetime, limit: int
    ) -> list[tuple[Series, Occurrence]]:
        stmt = (
            select(SeriesRow, MemberRow, OccurrenceRow)
            .join(OccurrenceRow, OccurrenceRow.series_id == SeriesRow.id)
            .outerjoin(MemberRow, MemberRow.id == SeriesRow.host_id)
            .where(SeriesRow.community_id == community_id, OccurrenceRow.ends_at > ending_after)
            .order_by(OccurrenceRow.starts_at, OccurrenceRow.id)
            .limit(limit)
        )
        return [(_series(s, h), _occurrence(o)) for s, h, o in await self.session.execute(stmt)]

    async def to_schedule(
        self, community_ids: Collection[str], ending_after: datetime
    ) -> list[tuple[Series, Occurrence]]:
        if not community_ids:
            return []
        stmt = (
            select(SeriesRow, MemberRow, OccurrenceRow)
            .join(OccurrenceRow, OccurrenceRow.series_id == SeriesRow.id)
            .outerjoin(MemberRow, MemberRow.id == SeriesRow.host_id)
            .where(
                SeriesRow.community_id.in_(list(community_ids)),
                OccurrenceRow.status.in_(_HAPPENING),
                OccurrenceRow.ends_at > ending_after,
            )
            .order_by(OccurrenceRow.starts_at, OccurrenceRow.id)
        )
        return [(_series(s, h), _occurrence(o)) for s, h, o in await self.session.execute(stmt)]


@cache
def _rsvp_upsert(dialect: str, check_in: bool) -> Any:
    """INSERT an RSVP, or change the one there: its answer when it differs (an answer), its attendance
    when not yet recorded (a check-in). RETURNING tells whether a row was written: settled in SQL, so
    pressing the same answer twice (or two presses racing) changes nothing."""
    table = RsvpRow.__table__
    stmt = upsert(dialect, table)
    excluded = stmt.excluded
    if check_in:
        changes = {"attended": True, "answer": excluded.answer, "updated_at": excluded.updated_at}
        when = table.c.attended.is_(False)
    else:
        changes = {"answer": excluded.answer, "updated_at": excluded.updated_at}
        when = table.c.answer != excluded.answer
    return stmt.on_conflict_do_update(
        index_elements=["occurrence_id", "member_id"], set_=changes, where=when
    ).returning(table.c.member_id)


class SqlRsvpRepository(SqlRepository):
    async def answer(self, occurrence_id: int, member_id: int, answer: RsvpAnswer, now: datetime) -> bool:
        written = await self.session.execute(
            _rsvp_upsert(self.dialect, False),
            {
                "occurrence_id": occurrence_id,
                "member_id": member_id,
                "answer": answer.value,
                "attended": False,
                "updated_at": now,
            },
        )
        return written.first() is not None

    async def check_in(self, occurrence_id: int, member_id: int, now: datetime) -> bool:
        written = await self.session.execute(
            _rsvp_upsert(self.dialect, True),
            {
                "occurrence_id": occurrence_id,
                "member_id": member_id,
                "answer": RsvpAnswer.GOING.value,
                "attended": True,
                "updated_at": now,
            },
        )
        return written.first() is not None

    async def counts(self, occurrence_id: int) -> RsvpCounts:
        rows = await self.session.execute(_RSVP_COUNTS, {"occurrence_id": occurrence_id})
        counts = RsvpCounts()
        for answer, count in rows:
            setattr(counts, RsvpAnswer(answer).value, int(count))
        return counts

    async def going(self, occurrence_id: int) -> list[Member]:
        rows = await self.session.execute(_GOING, {"occurrence_id": occurrence_id})
        return [to_member(row) for row in rows.scalars()]

    async def hold(self, occurrence_id: int) -> None:
        # PostgreSQL: RSVPs to one occurrence queue up behind this row lock, so two members never
        # take the last place together (SQLite's BEGIN IMMEDIATE already serialises writers).
        if self.dialect == "postgresql":
            await self.session.execute(
                select(OccurrenceRow.id).where(OccurrenceRow.id == occurrence_id).with_for_update()
            )

    async def waiting(self, occurrence_id: int) -> list[Member]:
        rows = await self.session.execute(_WAITING, {"occurrence_id": occurrence_id})
        return [to_member(row) for row in rows.scalars()]

    async def promote(self, occurrence_id: int, member_id: int, now: datetime) -> bool:
        changed = await self.session.execute(
            update(RsvpRow)
            .where(
                RsvpRow.occurrence_id == occurrence_id,
                RsvpRow.member_id == member_id,
                RsvpRow.answer == RsvpAnswer.WAITING.value,
            )
            .values(answer=RsvpAnswer.GOING.value, updated_at=now)
        )
        return bool(affected_rows(changed))

    async def answers_of(self, member_id: int, occurrence_ids: Collection[int]) -> dict[int, RsvpAnswer]:
        if not occurrence_ids:
            return {}
        rows = await self.session.execute(
            _ANSWERS_OF, {"member_id": member_id, "occurrence_ids": list(occurrence_ids)}
        )
        return {occurrence_id: RsvpAnswer(answer) for occurrence_id, answer in rows}
