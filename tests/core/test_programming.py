"""Programming through the bus: series commands, configured series, skip/move/cancel, RSVPs,
reminder preferences and attendance. The clock starts Monday 2 November 2026, 10:00 UTC."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.effects import (
    CancelScheduledEvent,
    CreateScheduledEvent,
    DirectMessage,
    EditMessage,
    PostMessage,
)
from bot.core.programming.commands import PlanProgramme
from bot.core.programming.ports import QuestionRepository, SeriesRepository
from bot.core.programming.rules import OccurrenceStatus, SeriesStatus
from bot.core.text import plain_times
from storage.contributions.tables import ContributionRow
from storage.programming.tables import RsvpRow, SeriesRow
from storage.tables import ScheduleStampRow
from tests.conftest import COMMUNITY, make_settings
from tests.programming.support import (
    admit,
    create_series,
    effects,
    lead,
    occurrence,
    scheduler,
    text_of,
    upcoming,
)

THURSDAY_17 = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)


async def _count(engine: AsyncEngine, table: type, *where: object) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


# --- series ------------------------------------------------------------------------------------


async def test_a_lead_creates_a_series_and_members_see_what_is_coming(
    app: App, platform: FakePlatform
) -> None:
    await admit(app, "ada")
    reply = await create_series(platform, timezone="Europe/Berlin", recurrence="weekly on thursday 6pm")
    assert "Series #1 created" in reply and "weekly on Thursday at 18:00 (Europe/Berlin)" in reply
    assert "Thu 05 Nov 2026 18:00 Europe/Berlin" in reply
    listing = text_of(await platform.slash(lead(platform), "series list"))
    assert "#1 AMA: Ask us" in listing and "next Thu 05 Nov 2026 18:00 Europe/Berlin" in listing
    events = text_of(await platform.slash(platform.actor("ada"), "events"))
    assert "1. AMA: Ask us: Thu 05 Nov 2026 18:00 Europe/Berlin" in events
    [(series, first)] = await upcoming(app)
    assert first.starts_at == datetime(2026, 11, 5, 17, 0, tzinfo=UTC)  # 18:00 CET is 17:00 UTC
    assert series.timezone == "Europe/Berlin" and series.recurrence == "weekly on Thursday at 18:00"


async def test_series_create_says_how_to_fix_what_it_cannot_read(app: App, platform: FakePlatform) -> None:
    assert "weekly on Thursday 17:00" in await create_series(platform, recurrence="every thursday-ish")
    assert "IANA" in await create_series(platform, timezone="Mars/Olympus")
    assert "did you mean 'Europe/Berlin'" in await create_series(platform, timezone="europe/berlin")
    assert "channel" in await create_series(platform, channel="No Spaces Please")
    member = text_of(await platform.slash(platform.actor("ada"), "series create", kind="ama", title="x"))
    assert "leads only" in member
    async with app.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(SeriesRow)) == 0


async def test_configured_series_sync_by_key_never_duplicating(
    db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    def configured(title: str, keys: tuple[str, ...] = ("weekly-ama",), day: str = "Thursday") -> App:
        series = [
            {
                "key": key,
                "kind": "ama",
                "title": title,
                "recurrence": f"weekly on {day} 17:00",
                "host": "42",
            }
            for key in keys
        ]
        settings = make_settings(db_url, programming={"series": series})
        return build_app(settings, clock, {"fake": FakeNotifier()}, engine=engine)

    app = configured("Ask the maintainers")
    await app.ensure_communities()
    for _ in range(2):
        await app.bus.handle(PlanProgramme(community_id=COMMUNITY))
    renamed = configured("Ask the core team", keys=("weekly-ama", "second"))
    await renamed.bus.handle(PlanProgramme(community_id=COMMUNITY))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(SeriesRow.key, SeriesRow.title, SeriesRow.status))).all()
    assert sorted(rows) == [
        ("second", "Ask the core team", "active"),
        ("weekly-ama", "Ask the core team", "active"),
    ]
    [(series, _), *_] = await upcoming(renamed)
    assert series.host is not None and series.host.user_id == "42"
    # A key removed from the configuration cancels its series (and its coming occurrences).
    await configured("Ask the core team").bus.handle(PlanProgramme(community_id=COMMUNITY))
    async with renamed.uow_factory() as uow:
        statuses = {
            s.key: s.status
            for s in await uow.repo(SeriesRepository).of_community(COMMUNITY, active_only=False)
        }
    assert statuses == {"weekly-ama": SeriesStatus.ACTIVE, "second": SeriesStatus.CANCELLED}
    assert {s.key for s, _ in await upcoming(renamed)} == {"weekly-ama"}
    # A changed rule re-plans what is not yet under way: Thursday's is called off, Friday's exists.
    await configured("Ask the core team", day="Friday").bus.handle(PlanProgramme(community_id=COMMUNITY))
    assert [o.starts_at for _, o in await upcoming(renamed)] == [THURSDAY_17 + timedelta(days=1)]
    assert await _count(engine, SeriesRow) == 2


async def test_planning_again_leaves_a_configured_series_as_stored_alone(
    db_url: str, engine: AsyncEngine, clock: FixedClock
) -> None:
    """A series stored as configured is not written again (that would move the schedule stamp, so the
    scheduler would rebuild its jobs after every planning pass); a changed field is written."""

    def configured(**changes: object) -> App:
        series = {
            "key": "weekly-ama",
            "kind": "ama",
            "title": "Ask us",
            "recurrence": "weekly on Thursday 17:00",
        }
        series.update({"host": "42", "capacity": 30}, **changes)
        settings = make_settings(db_url, programming={"series": [series]})
        return build_app(settings, clock, {"fake": FakeNotifier()}, engine=engine)

    async def stamp() -> int:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(ScheduleStampRow.version)) or 0)

    app = configured()
    await app.ensure_communities()
    await app.bus.handle(PlanProgramme(community_id=COMMUNITY))
    planned = await stamp()
    await app.bus.handle(PlanProgramme(community_id=COMMUNITY))
    assert await stamp() == planned
    for changes in ({"capacity": None}, {"host": None}, {"host": "43"}, {"title": "Ask the team"}):
        before = await stamp()
        await configured(**changes).bus.handle(PlanProgramme(community_id=COMMUNITY))
        assert await stamp() > before, changes
        async with engine.connect() as conn:
            row = (await conn.execute(select(SeriesRow.__table__))).one()
        assert row.capacity == changes.get("capacity", 30)
        assert row.title == changes.get("title", "Ask us")
        assert (row.host_id is None) == (changes.get("host", "42") is None)


async def test_cancelling_a_series_calls_off_announced_occurrences(
    app: App, platform: FakePlatform, clock: FixedClock, notifier: FakeNotifier
) -> None:
    await create_series(platform)
    sched = scheduler(app)
    assert await sched.start()  # announces Thursday's occurrence (it is within 7 days)
    assert len(await effects(app, CreateScheduledEvent)) == 1
    reply = text_of(await platform.slash(lead(platform), "series cancel", series=1))
    assert "is cancelled" in reply
    assert await upcoming(app) == []
    [edit] = await effects(app, EditMessage)
    assert edit.message_key == "occurrence:1" and edit.text.startswith("Called off") and edit.actions == ()
    assert [e.event_key for e in await effects(app, CancelScheduledEvent)] == ["event:1"]
    await sched.sync()
    assert [key for key in sched.specs if ":occurrence:" in key] == []
    assert "already cancelled" in text_of(await platform.slash(lead(platform), "series cancel", series=1))
    # Delivered in order: the post and the event exist before they are edited and cancelled (the
    # weekly digest, which the scheduler also posted at start, goes to the leads' channel).
    await app.relay.run_once()
    programme = [e for e in notifier.delivered if getattr(e, "channel", None) != "digest"]
    assert [type(e).__name__ for e in programme] == [
        "PostMessage",
        "CreateScheduledEvent",
        "EditMessage",
        "CancelScheduledEvent",
    ]
    async with app.uow_factory() as uow:
        assert await uow.outbox.parked() == []


async def test_skip_checks_the_date_and_carries_questions_over(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform)
    await admit(app, "ada")
    assert "queued" in text_of(
        await platform.slash(platform.actor("ada"), "ama", question="How do releases work?")
    )
    wrong = text_of(await platform.slash(lead(platform), "occurrence skip", series=1, date="2026-11-06"))
    assert "not a date of series #1" in wrong
    bad = text_of(await platform.slash(lead(platform), "occurrence skip", series=1, date="next thursday"))
    assert "YYYY-MM-DD" in bad
    reply = text_of(await platform.slash(lead(platform), "occurrence skip", series=1, date="2026-11-05"))
    assert "Skipped" in reply and "1 queued question(s)" in reply and "Thu 12 Nov 2026 17:00 UTC" in reply
    assert (await occurrence(app, 1)).status is OccurrenceStatus.SKIPPED
    [(_, following)] = await upcoming(app)
    assert following.starts_at == THURSDAY_17 + timedelta(weeks=1)
    async with app.uow_factory() as uow:
        assert [q.text for q in await uow.repo(QuestionRepository).of_occurrence(following.id)] == [
            "How do releases work?"
        ]
    again = text_of(await platform.slash(lead(platform), "occurrence skip", series=1, date="2026-11-05"))
    assert "already skipped" in again


async def test_move_applies_the_dst_policy_and_replaces_the_announced_event(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    clock.set(datetime(2027, 3, 8, 12, 0, tzinfo=UTC))  # Monday; 14 March 2027 is New York's spring change
    await create_series(platform, recurrence="weekly on Friday 10:00", timezone="America/New_York")
    sched = scheduler(app)
    assert await sched.start()
    [(_, friday)] = await upcoming(app)
    assert friday.announced_at is not None
    # 02:30 on Sunday 14 March does not exist in New York: it becomes 03:30 EDT (07:30 UTC).
    reply = await platform.slash(
        lead(platform), "occurrence move", series=1, date="2027-03-12", to="2027-03-14 02:30"
    )
    assert "Sun 14 Mar 2027 03:30 America/New_York" in text_of(reply)
    moved = await occurrence(app, friday.id)
    assert moved.status is OccurrenceStatus.MOVED
    assert moved.starts_at == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert moved.ends_at == moved.starts_at + timedelta(hours=1)
    [edit] = await effects(app, EditMessage)
    assert "moved" in edit.text and "Sun 14 Mar 2027 03:30 America/New_York" in plain_times(edit.text)
    assert [e.event_key for e in await effects(app, CancelScheduledEvent)] == ["event:1"]
    created = await effects(app, CreateScheduledEvent)
    assert [(e.starts_at, e.ends_at) for e in created][-1] == (moved.starts_at, moved.ends_at)
    # The old start time passes without a start; the new one starts it, once.
    clock.set(datetime(2027, 3, 12, 15, 0, tzinfo=UTC))
    assert [k for k, _ in await sched.sync() if k.endswith(":start")] == []
    clock.set(moved.starts_at)
    assert [k for k, _ in await sched.sync() if k.endswith(":start")] == ["test:occurrence:1:start"]
    past = text_of(
        await platform.slash(
            lead(platform), "occurrence move", series=1, date="2027-03-19", to="2027-03-01 10:00"
        )
    )
    assert "future" in past


# --- RSVPs, reminders, attendance --------------------------------------------------------------


async def test_rsvp_is_idempotent_and_changes_update_the_post(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    await create_series(platform)
    await admit(app, "ada")
    assert await scheduler(app).start()  # announced: the post exists and is edited in place
    ada = platform.actor("ada")
    assert text_of(await platform.press(ada, "rsvp:going:1")).startswith("Noted: going")
    assert text_of(await platform.press(ada, "rsvp:going:1")) == "You already said going."
    await asyncio.gather(*(platform.press(ada, "rsvp:going:1") for _ in range(4)))
    assert await _count(engine, RsvpRow) == 1
    [first_edit] = await effects(app, EditMessage)
    assert [(f.name, f.value) for f in first_edit.fields][:2] == [("Going", "1"), ("Maybe", "0")]
    assert text_of(await platform.press(ada, "rsvp:maybe:1")).startswith("Noted: maybe")
    assert await _count(engine, RsvpRow, RsvpRow.answer == "maybe") == 1
    edits = await effects(app, EditMessage)
    assert len(edits) == 2 and [(f.name, f.value) for f in edits[-1].fields][:2] == [
        ("Going", "0"),
        ("Maybe", "1"),
    ]
    assert "/events" in text_of(await platform.press(ada, "rsvp:going:999"))
    assert "members" in text_of(await platform.press(platform.actor("stranger"), "rsvp:going:1"))


async def test_reminders_go_to_members_going_who_did_not_opt_out(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform)
    for name in ("ada", "bo", "cy"):
        await admit(app, name)
    await platform.press(platform.actor("ada"), "rsvp:going:1")
    await platform.press(platform.actor("bo"), "rsvp:going:1")
    await platform.press(platform.actor("cy"), "rsvp:maybe:1")
    assert "off" in text_of(await platform.slash(platform.actor("bo"), "reminders off"))
    assert "already off" in text_of(await platform.press(platform.actor("bo"), "reminders:off:me"))
    sched = scheduler(app)
    assert await sched.start()
    clock.set(THURSDAY_17 - timedelta(hours=24))
    await sched.sync()
    [dm] = await effects(app, DirectMessage)
    assert dm.member.user_id == "ada" and "about 24 hours" in dm.text
    channel = [p for p in await effects(app, PostMessage) if "starts in" in p.text]
    assert len(channel) == 1 and channel[0].channel == "announcements"
    assert "on" in text_of(await platform.slash(platform.actor("bo"), "reminders on"))
    clock.set(THURSDAY_17 - timedelta(hours=1))
    await sched.sync()
    assert sorted(d.member.user_id for d in await effects(app, DirectMessage)) == ["ada", "ada", "bo"]


async def test_attendance_is_checking_in_during_the_event_and_counts_once(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    await create_series(platform)
    ada = await admit(app, "ada")
    early = text_of(await platform.press(platform.actor("ada"), "rsvp:here:1"))
    assert "open from Thu 05 Nov 2026 16:45 UTC" in early
    clock.set(THURSDAY_17 + timedelta(minutes=10))
    assert "Thanks for coming" in text_of(await platform.press(platform.actor("ada"), "rsvp:here:1"))
    assert "already checked in" in text_of(await platform.press(platform.actor("ada"), "rsvp:here:1"))
    assert await _count(engine, ContributionRow, ContributionRow.kind == "event_attended") == 1
    async with engine.connect() as conn:
        attended = (await conn.execute(select(RsvpRow.member_id, RsvpRow.answer, RsvpRow.attended))).all()
    assert attended == [(ada.id, "going", True)]
