"""Local times on Discord: an event announcement carries timestamp tokens (each member reads their own
zone); titles, button labels and thread names, where Discord shows no timestamp, read plain time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from adapters.discord.render import from_post, render_text, thread_name
from bot.core.effects import PostMessage
from bot.core.programming import render
from bot.core.programming.rules import (
    Occurrence,
    OccurrenceStatus,
    RsvpCounts,
    Series,
    SeriesKind,
    SeriesStatus,
)
from bot.core.replies import Action
from bot.core.text import local_time
from tests.adapters.discord.conftest import Harness

STARTS = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17:00 in Berlin
UNIX = int(STARTS.timestamp())


def _series() -> Series:
    return Series(
        id=1,
        community_id="town",
        kind=SeriesKind.AMA,
        title="Ask us @everyone",
        recurrence="weekly on Thursday 17:00",
        timezone="Europe/Berlin",
        duration_minutes=60,
        channel="announcements",
        status=SeriesStatus.ACTIVE,
        created_at=STARTS,
    )


def _occurrence() -> Occurrence:
    return Occurrence(
        id=7,
        series_id=1,
        local_date=date(2026, 12, 10),
        starts_at=STARTS,
        ends_at=STARTS.replace(hour=17),
        status=OccurrenceStatus.SCHEDULED,
    )


def test_time_tokens_become_discord_timestamps() -> None:
    zone = _series().timezone
    text, users = render_text(f"Starts {local_time(STARTS, ZoneInfo(zone))} @everyone")
    assert text == f"Starts <t:{UNIX}:F> (<t:{UNIX}:R>) @\u200beveryone" and users == ()


def test_titles_labels_and_thread_names_read_the_community_time() -> None:
    series, occurrence = _series(), _occurrence()
    at = render.when(series, occurrence.starts_at)
    post = PostMessage(
        "town", "announcements", f"{at}", title=f"AMA on {at}", actions=(Action(f"Go {at}", "k:v:1"),)
    )
    out = from_post(post)
    assert out.embed is not None and out.embed.title == "AMA on Thu 10 Dec 2026 17:00 Europe/Berlin"
    assert out.embed.description == f"<t:{UNIX}:F> (<t:{UNIX}:R>)"
    assert thread_name(post) == "AMA on Thu 10 Dec 2026 17:00 Europe/Berlin"
    assert out.view is not None
    assert [item.to_component_dict()["label"] for item in out.view.children] == [
        "Go Thu 10 Dec 2026 17:00 Europe/Berlin"
    ]


async def test_an_announcement_reaches_discord_with_timestamp_tokens(harness: Harness) -> None:
    fake, channel = harness.fake, harness.square.ids["channel:announcements"]
    series, occurrence = _series(), _occurrence()
    text, fields = render.announcement(series, occurrence, RsvpCounts(going=2))
    effect = PostMessage("town", "announcements", text, title=render.name(series), fields=fields)
    async with harness.running(harness.client()) as client:
        await client.notifier.deliver(effect, {})
    [request] = fake.requests_to("POST", f"/channels/{channel}/messages")
    [embed] = request.payload["embeds"]
    assert embed["description"].startswith(f"AMA: <t:{UNIX}:F> (<t:{UNIX}:R>), 60 minutes.")
    assert embed["title"] == "AMA: Ask us @\u200beveryone"
    assert "⟦" not in str(request.payload)
