"""Scheduler bookkeeping: the unique run record per (job, scheduled time) and named leases."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    lambda_stmt,
    null,
    or_,
    select,
    union_all,
)

from storage.repository_base import SqlRepository, affected_rows, insert_ignore, upsert
from storage.tables import JobRunRow, LeaseRow, ScheduleStampRow
from storage.types import UTCDateTime

SCHEDULE_STAMP = "schedule"  # the stamp row migration 0006_schedule_stamp made and its triggers bump


# The scheduler's statements, run on every pass and every job run: built once and bound at each
# execution, so SQLAlchemy finds their compiled form without building and walking them again.
_STAMP = select(
    cast(null(), String()).label("job_key"),
    ScheduleStampRow.version.label("number"),
    cast(null(), UTCDateTime()).label("scheduled_for"),
).where(ScheduleStampRow.name == SCHEDULE_STAMP)
_VERSION = select(ScheduleStampRow.version).where(ScheduleStampRow.name == SCHEDULE_STAMP)
# Only the keys and instants asked about (both in the primary key), never whole histories.
_RAN = select(JobRunRow.job_key, JobRunRow.scheduled_for).where(
    JobRunRow.job_key.in_(bindparam("keys", expanding=True)),
    JobRunRow.scheduled_for.in_(bindparam("instants", expanding=True)),
)
# The stamp as a row of its own beside the run records asked about.
_STAMP_AND_RAN = union_all(
    _STAMP,
    select(JobRunRow.job_key, cast(null(), BigInteger()), JobRunRow.scheduled_for).where(
        JobRunRow.job_key.in_(bindparam("keys", expanding=True)),
        JobRunRow.scheduled_for.in_(bindparam("instants", expanding=True)),
    ),
)
# A pass usually asks about one to three runs (the one due now, the one before it still within its
# grace): those go in fixed slots, one (key, instant) pair each, unused slots bound to NULL (which
# matches nothing). With no expanding IN the SQL text never changes, so neither SQLAlchemy (which
# renders an expanding IN anew on every execution) nor the driver's statement cache has work to do.
SLOTS = 4
_PAIRS = or_(
    *(
        and_(
            JobRunRow.job_key == bindparam(f"key{slot}", type_=String()),
            JobRunRow.scheduled_for == bindparam(f"at{slot}", type_=UTCDateTime()),
        )
        for slot in range(SLOTS)
    )
)
_RAN_SLOTS = select(JobRunRow.job_key, JobRunRow.scheduled_for).where(_PAIRS)
_STAMP_AND_RAN_SLOTS = union_all(
    _STAMP, select(JobRunRow.job_key, cast(null(), BigInteger()), JobRunRow.scheduled_for).where(_PAIRS)
)


# INSERT … ON CONFLICT DO NOTHING of a run record, its values bound at execution. SQLAlchemy 2.0
# caches no ON CONFLICT insert, so each is wrapped in a lambda statement of its own (cached by the
# lambda's code: one lambda per statement and dialect), as storage.delivery does.
_CLAIM_SQLITE = insert_ignore("sqlite", JobRunRow.__table__)
_CLAIM_PG = insert_ignore("postgresql", JobRunRow.__table__)
_CLAIM = {"sqlite": lambda_stmt(lambda: _CLAIM_SQLITE), "postgresql": lambda_stmt(lambda: _CLAIM_PG)}


def _asked(runs: Collection[tuple[str, datetime]]) -> dict[str, Any]:
    return {"keys": list({key for key, _ in runs}), "instants": list({at for _, at in runs})}


def _slots(runs: Collection[tuple[str, datetime]]) -> dict[str, Any]:
    """The pairs asked about (at most SLOTS) bound to the slots of `_STAMP_AND_RAN_SLOTS`."""
    params: dict[str, Any] = {}
    pairs = list(runs)
    for slot in range(SLOTS):
        params[f"key{slot}"], params[f"at{slot}"] = pairs[slot] if slot < len(pairs) else (None, None)
    return params


class SqlJobRunRepository(SqlRepository):
    async def claim(self, job_key: str, scheduled_for: datetime, now: datetime) -> bool:
        result = await self.session.execute(
            _CLAIM[self.dialect], {"job_key": job_key, "scheduled_for": scheduled_for, "ran_at": now}
        )
        return bool(affected_rows(result))

    async def ran(self, runs: Collection[tuple[str, datetime]]) -> set[tuple[str, datetime]]:
        if not runs:
            return set()
        connection = await self.session.connection()
        if len(runs) > SLOTS:
            rows = await connection.execute(_RAN, _asked(runs))
        else:
            rows = await connection.execute(_RAN_SLOTS, _slots(runs))
        wanted = set(runs)
        return {(key, at) for key, at in rows.tuples() if (key, at) in wanted}

    async def schedule_stamp(self) -> int | None:
        version = await (await self.session.connection()).scalar(_VERSION)
        return None if version is None else int(version)

    async def stamp_and_ran(
        self, runs: Collection[tuple[str, datetime]]
    ) -> tuple[int | None, set[tuple[str, datetime]]]:
        # One statement: the stamp, and the run records asked about when there are any. Core
        # statements on the session's connection: no ORM work on the way in or out.
        connection = await self.session.connection()
        if len(runs) > SLOTS:
            rows = await connection.execute(_STAMP_AND_RAN, _asked(runs))
        else:
            rows = await connection.execute(_STAMP_AND_RAN_SLOTS, _slots(runs))
        version: int | None = None
        found = set()
        for key, number, at in rows.tuples():
            if key is None:
                version = int(number)
            else:
                found.add((key, at))
        return version, found & set(runs)

    async def last_runs(self, job_keys: Collection[str]) -> dict[str, datetime]:
        if not job_keys:
            return {}
        rows = await self.session.execute(
            select(JobRunRow.job_key, func.max(JobRunRow.scheduled_for))
            .where(JobRunRow.job_key.in_(list(job_keys)))
            .group_by(JobRunRow.job_key)
        )
        return {key: at for key, at in rows}

    async def prune(self, before: datetime) -> int:
        result = await self.session.execute(delete(JobRunRow).where(JobRunRow.scheduled_for < before))
        return int(affected_rows(result))


class SqlLeaseRepository(SqlRepository):
    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        # One statement: insert the lease, or take it over when it is ours or expired. The
        # conditional DO UPDATE is settled by the database (row lock on PostgreSQL, the write lock
        # on SQLite), so two processes racing for it cannot both win.
        table = LeaseRow.__table__
        stmt = upsert(self.dialect, table).values(name=name, holder=holder, expires_at=until)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "expires_at": until},
            where=or_(table.c.holder == holder, table.c.expires_at < now),
        )
        result = await self.session.execute(stmt)
        return bool(affected_rows(result))

    async def release(self, name: str, holder: str) -> None:
        await self.session.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))

    async def holder(self, name: str, now: datetime) -> str | None:
        row = await self.session.get(LeaseRow, name, populate_existing=True)
        return row.holder if row is not None and row.expires_at >= now else None
