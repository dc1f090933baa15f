"""More kinds of events with the same announcements, reminders, RSVPs and check-in: office hours,
meetups (with a location, also in the calendar feed) and council meetings. The clock starts Monday
2 November 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.calendar_feed import community_feed
from bot.clock import FixedClock
from bot.core.effects import CreateScheduledEvent, DirectMessage, PostMessage
from bot.core.programming.settings import SeriesConfig
from tests.programming.support import admit, create_series, effects, scheduler, text_of

THURSDAY_17 = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)


async def test_a_meetup_names_its_place_everywhere(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    assert "needs a location" in await create_series(platform, kind="meetup", title="Berlin meetup")
    reply = await create_series(
        platform, kind="meetup", title="Berlin meetup", location="Café Central <@everyone>"
    )
    assert "Series #1 created: Meetup: Berlin meetup" in reply
    await admit(app, "ada")
    assert await scheduler(app).start()
    [post] = [p for p in await effects(app, PostMessage) if p.message_key == "occurrence:1"]
    assert "Where: Café Central <@everyone>" in post.text and "places help us plan" in post.text
    [event] = await effects(app, CreateScheduledEvent)
    assert "Where: Café Central" in event.description
    assert text_of(await platform.press(platform.actor("ada"), "rsvp:going:1")).startswith("Noted: going")
    body = await community_feed(app, "test")
    assert body is not None
    [vevent] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["LOCATION"]) == "Café Central <@everyone>"


async def test_office_hours_and_council_meetings_remind_and_check_in(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await create_series(platform, kind="office_hours", title="Ask the team")
    await create_series(
        platform, kind="council_meeting", title="Monthly", recurrence="monthly on the first Thursday 17:00"
    )
    await admit(app, "ada")
    sched = scheduler(app)
    assert await sched.start()
    posts = {
        p.title: p for p in await effects(app, PostMessage) if (p.message_key or "").startswith("occurrence:")
    }
    assert "drop in" in posts["Office hours: Ask the team"].text
    meeting = posts["Council meeting: Monthly"]
    assert "minutes are published" in meeting.text
    going, _, _ = (a.key for a in meeting.actions)  # the ids depend on the database's sequences
    await platform.press(platform.actor("ada"), going)
    clock.set(THURSDAY_17 - timedelta(hours=1))
    await sched.sync()
    dms = await effects(app, DirectMessage)
    assert [d.member.user_id for d in dms] == ["ada"] and "Council meeting: Monthly starts" in dms[0].text
    clock.set(THURSDAY_17)
    await sched.sync()
    started = [p for p in await effects(app, PostMessage) if "starts now" in p.text]
    assert {p.title for p in started} == {"Office hours: Ask the team", "Council meeting: Monthly"}
    assert all(a.key.startswith("rsvp:here:") for p in started for a in p.actions)
    here = going.replace("rsvp:going:", "rsvp:here:")
    assert "Thanks for coming" in text_of(await platform.press(platform.actor("ada"), here))


def test_a_configured_meetup_needs_a_location() -> None:
    base = {
        "key": "m",
        "kind": "meetup",
        "title": "Meetup",
        "recurrence": "monthly on the first Friday 19:00",
    }
    try:
        SeriesConfig.model_validate(base)
    except ValueError as exc:
        assert "give its location" in str(exc)
    else:
        raise AssertionError("a meetup without a location was accepted")
    assert SeriesConfig.model_validate({**base, "location": "The pub"}).location == "The pub"
