"""The iCalendar feed over HTTP: it parses with the icalendar library, every occurrence keeps its UID
through a move and a cancellation, a cancelled occurrence is STATUS:CANCELLED, and announcements link
the feed. The clock starts Monday 2 November 2026, 10:00 UTC; the AMA meets Thursdays 17:00 Berlin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.calendar_feed import FeedServer
from bot.clock import FixedClock
from bot.core.effects import PostMessage
from tests.conftest import COMMUNITY, make_settings
from tests.programming.support import create_series, effects, lead, scheduler, text_of

FEED_URL = "https://events.example.org/calendar/test.ics"


@pytest.fixture
async def feed_app(db_url: str, clock: FixedClock, engine: AsyncEngine) -> AsyncIterator[App]:
    settings = make_settings(db_url, programming={"calendar_url": FEED_URL})
    app = build_app(settings, clock, {"fake": FakeNotifier()}, engine=engine)
    await app.ensure_communities()
    yield app


@pytest.fixture
async def server(feed_app: App) -> AsyncIterator[FeedServer]:
    running = FeedServer(feed_app, "127.0.0.1", 0)
    await running.start()
    yield running
    await running.stop()


async def _fetch(server: FeedServer, community: str = COMMUNITY) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        return await client.get(f"/calendar/{community}.ics")


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_feed_validates_and_keeps_uids_through_moves_and_cancellations(
    feed_app: App, server: FeedServer
) -> None:
    platform = FakePlatform(bus=feed_app.bus, community_id=COMMUNITY)
    await create_series(platform, timezone="Europe/Berlin")
    response = await _fetch(server)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    before = _events(response.content)
    assert list(before) == ["occurrence-1@test.townsquare"]  # what is planned so far
    first = before["occurrence-1@test.townsquare"]
    assert first.decoded("DTSTART") == datetime(2026, 11, 5, 16, 0, tzinfo=UTC)  # 17:00 CET
    assert (str(first["SUMMARY"]), str(first["STATUS"]), int(first["SEQUENCE"])) == (
        "AMA: Ask us",
        "CONFIRMED",
        0,
    )

    skipped = await platform.slash(lead(platform), "occurrence skip", series=1, date="2026-11-05")
    assert "Skipped" in text_of(skipped)
    moved = await platform.slash(
        lead(platform), "occurrence move", series=1, date="2026-11-12", to="2026-11-12 19:00"
    )
    assert "Moved" in text_of(moved)
    after = _events((await _fetch(server)).content)
    assert set(before) <= set(after)  # nothing got a new identity
    cancelled = after["occurrence-1@test.townsquare"]
    # The 12 November occurrence (its id depends on the database's sequence) is the other one.
    [retimed] = [e for uid, e in after.items() if uid != "occurrence-1@test.townsquare"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) > 0
    assert cancelled.decoded("DTSTART") == first.decoded("DTSTART")
    assert str(retimed["STATUS"]) == "CONFIRMED" and int(retimed["SEQUENCE"]) == 1
    assert retimed.decoded("DTSTART") == datetime(2026, 11, 12, 18, 0, tzinfo=UTC)


async def test_an_unknown_community_has_no_feed(server: FeedServer) -> None:
    assert (await _fetch(server, "elsewhere")).status_code == 404


async def test_announcements_link_the_feed(feed_app: App) -> None:
    platform = FakePlatform(bus=feed_app.bus, community_id=COMMUNITY)
    await create_series(platform)
    assert await scheduler(feed_app).start()
    [announcement] = [p for p in await effects(feed_app, PostMessage) if p.message_key == "occurrence:1"]
    assert f"Every event in your calendar: {FEED_URL}" in announcement.text
