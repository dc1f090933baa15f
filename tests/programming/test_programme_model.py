"""Pure programme rules: the jobs planned for an occurrence, and the order questions are taken in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.programming.rules import (
    MIN_GRACE,
    Occurrence,
    OccurrenceStatus,
    Question,
    SeriesKind,
    order_questions,
    plan_jobs,
)
from bot.core.refs import MemberRef

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
minutes = st.integers(min_value=1, max_value=14 * 24 * 60)


@given(
    starts=instants,
    duration=st.integers(min_value=5, max_value=24 * 60),
    lead_days=st.integers(min_value=1, max_value=60),
    offsets=st.lists(minutes, max_size=5, unique=True),
    lineup=st.integers(min_value=0, max_value=7 * 24 * 60),
    kind=st.sampled_from(SeriesKind),
)
def test_jobs_are_elapsed_time_around_the_instant(
    starts: datetime, duration: int, lead_days: int, offsets: list[int], lineup: int, kind: SeriesKind
) -> None:
    occurrence = Occurrence(
        1, 1, date(2000, 1, 1), starts, starts + timedelta(minutes=duration), OccurrenceStatus.SCHEDULED
    )
    jobs = plan_jobs(
        kind,
        occurrence,
        announcement_lead=timedelta(days=lead_days),
        reminder_offsets=[timedelta(minutes=m) for m in offsets],
        lineup_lead=timedelta(minutes=lineup),
    )
    by_name = {job.name: job for job in jobs}
    assert len(by_name) == len(jobs)  # job names (and so run keys) are unique per occurrence
    assert by_name["announce"].at == starts - timedelta(days=lead_days)
    assert by_name["start"].at == starts and by_name["end"].at == occurrence.ends_at
    for m in offsets:
        assert by_name[f"remind:{m}"].at == starts - timedelta(minutes=m)
    assert ("lineup" in by_name) == (kind is SeriesKind.SHOWCASE and lineup > 0)
    assert all(job.grace >= MIN_GRACE for job in jobs)
    # The announcement may run late up to the start, never past it.
    assert by_name["announce"].at + by_name["announce"].grace == starts


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1000)), max_size=30))
def test_questions_go_by_votes_then_by_who_asked_first(specs: list[tuple[int, int]]) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    questions = [
        Question(i, 1, i, MemberRef("fake", str(i)), f"q{i}", votes, base + timedelta(seconds=second))
        for i, (votes, second) in enumerate(specs)
    ]
    ordered = order_questions(questions)
    assert sorted(q.id for q in ordered) == sorted(q.id for q in questions)
    keys = [(-q.votes, q.created_at, q.id) for q in ordered]
    assert keys == sorted(keys)
