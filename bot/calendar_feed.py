"""The programme as an iCalendar feed (RFC 5545), one per community, served over HTTP.

`GET /calendar/<community id>.ics` answers with every occurrence from 30 days back onwards. Each
occurrence keeps one UID for life: a moved one comes with a higher SEQUENCE, a skipped or cancelled
one with STATUS:CANCELLED, so subscribed calendars update or strike the event they already have.
The text is written by the `icalendar` library; the content comes from bot.core.programming.feed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import icalendar
from aiohttp import web

from bot.bootstrap import App
from bot.cli_errors import CliFailure
from bot.core.programming.feed import FeedEntry, entries
from bot.core.programming.ports import OccurrenceRepository

log = logging.getLogger("townsquare.calendar")

PAST = timedelta(days=30)
LIMIT = 500
PATH = "/calendar/{community}.ics"
PRODID = "-//Townsquare//Community programme//EN"


def calendar_text(name: str, items: Iterable[FeedEntry], now: datetime) -> bytes:
    """The iCalendar document of these entries (times in UTC; DTSTAMP is when the feed was made)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for item in items:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        if item.location:
            event.add("location", item.location)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


async def community_feed(app: App, community_id: str) -> bytes | None:
    """The feed of one configured community; None when there is no such community."""
    community = next((c for c in app.settings.communities if c.id == community_id), None)
    if community is None:
        return None
    now = app.clock.now()
    async with app.uow_factory() as uow:
        pairs = await uow.repo(OccurrenceRepository).for_feed(community.id, now - PAST, LIMIT)
    return calendar_text(community.name, entries(pairs), now)


def feed_routes(app: App) -> web.RouteTableDef:
    """The feed's route, to serve on its own or beside another aiohttp application."""
    routes = web.RouteTableDef()

    @routes.get(PATH)
    async def feed(request: web.Request) -> web.Response:
        body = await community_feed(app, request.match_info["community"])
        if body is None:
            raise web.HTTPNotFound(text="no such calendar")
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    return routes


class FeedServer:
    """Serves every community's feed on `host:port`; `start()` returns once it is listening."""

    def __init__(self, app: App, host: str, port: int) -> None:
        self.app, self.host, self.requested_port = app, host, port
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        application = web.Application()
        application.add_routes(feed_routes(self.app))
        self._runner = web.AppRunner(application, shutdown_timeout=5.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.requested_port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info("calendar: feeds at http://%s:%s/calendar/<community>.ics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def serve_feeds(app: App) -> FeedServer | None:
    """Start serving the feeds when the configuration has a [calendar] section (OSError: cannot listen)."""
    if app.settings.calendar is None:
        return None
    server = FeedServer(app, app.settings.calendar.host, app.settings.calendar.port)
    await server.start()
    return server


async def serve_feeds_or_exit(app: App) -> FeedServer | None:
    """`serve_feeds` for `townsquare run`: a port it cannot take stops the run with a clear line."""
    try:
        return await serve_feeds(app)
    except OSError as exc:  # a port already taken
        await app.close()
        raise CliFailure(f"calendar: cannot listen: {exc}") from None
