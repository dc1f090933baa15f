"""The programme's fixed statements, built once and bound at each execution (see repository.py)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, Select, and_, bindparam, func, select

from bot.core.members import MemberStatus
from bot.core.programming.rules import HAPPENING, RsvpAnswer, SeriesStatus
from storage.programming.tables import OccurrenceRow, RsvpRow, SeriesRow
from storage.tables import MemberRow
from storage.types import UTCDateTime

_HAPPENING = [status.value for status in HAPPENING]


def _with_host() -> Select[tuple[SeriesRow, MemberRow]]:
    """Series rows with their host's member row (None when there is no host)."""
    return select(SeriesRow, MemberRow).outerjoin(MemberRow, MemberRow.id == SeriesRow.host_id)


_WITH_SERIES = (
    select(OccurrenceRow, SeriesRow, MemberRow)
    .join(SeriesRow, SeriesRow.id == OccurrenceRow.series_id)
    .outerjoin(MemberRow, MemberRow.id == SeriesRow.host_id)
    .where(OccurrenceRow.id == bindparam("occurrence_id"))
    .execution_options(populate_existing=True)
)
_ON_DATE = (
    select(OccurrenceRow)
    .where(
        OccurrenceRow.series_id == bindparam("series_id"), OccurrenceRow.local_date == bindparam("local_date")
    )
    .execution_options(populate_existing=True)
)


@cache
def _of_community(active_only: bool) -> Select[tuple[SeriesRow, MemberRow]]:
    """A community's series (the active ones, or all) with their hosts, in id order; built once (the
    daily planning reads them)."""
    stmt = _with_host().where(SeriesRow.community_id == bindparam("community_id")).order_by(SeriesRow.id)
    if active_only:
        stmt = stmt.where(SeriesRow.status == SeriesStatus.ACTIVE.value)
    return stmt


_OF_SERIES = (
    select(OccurrenceRow)
    .where(
        OccurrenceRow.series_id == bindparam("series_id"),
        OccurrenceRow.ends_at > bindparam("ending_after", type_=UTCDateTime()),
    )
    .order_by(OccurrenceRow.starts_at)
    .execution_options(populate_existing=True)
)

_RSVP_COUNTS = (
    select(RsvpRow.answer, func.count())
    .where(RsvpRow.occurrence_id == bindparam("occurrence_id"))
    .group_by(RsvpRow.answer)
)


@cache
def _upcoming(of_kind: bool) -> Select[tuple[SeriesRow, MemberRow, OccurrenceRow]]:
    """Active series' occurrences still to start, soonest first (of one kind, or of every kind)."""
    stmt = (
        select(SeriesRow, MemberRow, OccurrenceRow)
        .join(OccurrenceRow, OccurrenceRow.series_id == SeriesRow.id)
        .outerjoin(MemberRow, MemberRow.id == SeriesRow.host_id)
        .where(
            SeriesRow.community_id == bindparam("community_id"),
            SeriesRow.status == SeriesStatus.ACTIVE.value,
            OccurrenceRow.status.in_(_HAPPENING),
            OccurrenceRow.starts_at > bindparam("after", type_=UTCDateTime()),
        )
        .order_by(OccurrenceRow.starts_at, OccurrenceRow.id)
        .limit(bindparam("limit", type_=Integer()))
    )
    return stmt.where(SeriesRow.kind == bindparam("kind")) if of_kind else stmt


def _rsvps_of(answer: RsvpAnswer) -> Select[tuple[MemberRow]]:
    return (
        select(MemberRow)
        .join(
            RsvpRow,
            and_(RsvpRow.member_id == MemberRow.id, RsvpRow.occurrence_id == bindparam("occurrence_id")),
        )
        .where(RsvpRow.answer == answer.value, MemberRow.status == MemberStatus.ADMITTED.value)
    )


_GOING = _rsvps_of(RsvpAnswer.GOING).order_by(MemberRow.id)
_WAITING = _rsvps_of(RsvpAnswer.WAITING).order_by(RsvpRow.updated_at, RsvpRow.member_id)
_ANSWERS_OF = select(RsvpRow.occurrence_id, RsvpRow.answer).where(
    RsvpRow.member_id == bindparam("member_id"),
    RsvpRow.occurrence_id.in_(bindparam("occurrence_ids", expanding=True)),
)
