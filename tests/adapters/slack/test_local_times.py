"""Local times on Slack: an event announcement carries date tokens (each member reads their own zone,
and the fallback names the community's zone); headers and button labels read plain time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.render import message, mrkdwn
from bot.clock import FixedClock
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
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.slack.harness import ANNOUNCEMENTS, Running, running
from tests.adapters.slack.test_notifier import queue
from tests.conftest import COMMUNITY

STARTS = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17:00 in Berlin
UNIX = int(STARTS.timestamp())
TOKEN = f"<!date^{UNIX}^{{date_short_pretty}} {{time}}|Thu 10 Dec 2026 17:00 Europe/Berlin>"


def _series() -> Series:
    return Series(
        id=1,
        community_id=COMMUNITY,
        kind=SeriesKind.AMA,
        title="Ask us <!here>",
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


@pytest.fixture
async def run(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> AsyncIterator[Running]:
    async with running(engine, db_url, clock, fake_slack) as r:
        yield r


def test_a_time_token_becomes_a_date_token_with_the_zone_in_its_fallback() -> None:
    at = render.when(_series(), STARTS)
    assert mrkdwn(f"From {at} <!channel>") == f"From {TOKEN} &lt;!channel&gt;"


def test_headers_and_labels_read_plain_time() -> None:
    at = render.when(_series(), STARTS)
    out = message("x", title=f"AMA {at}", actions=(Action(f"Go {at}", "k:v:1"),))
    assert out["blocks"][0]["text"]["text"] == "AMA Thu 10 Dec 2026 17:00 Europe/Berlin"
    assert out["blocks"][-1]["elements"][0]["text"]["text"] == "Go Thu 10 Dec 2026 17:00 Europe/Berlin"


async def test_an_announcement_reaches_slack_with_a_date_token(run: Running) -> None:
    series = _series()
    text, fields = render.announcement(series, _occurrence(), RsvpCounts(going=2))
    await queue(run, PostMessage(COMMUNITY, "announcements", text, title=render.name(series), fields=fields))
    assert await run.deliver() == 1
    [posted] = run.fake.calls_to("chat.postMessage")
    assert posted.params["channel"] == ANNOUNCEMENTS
    section = posted.params["blocks"][1]["text"]["text"]
    assert section.startswith(f"AMA: {TOKEN}, 60 minutes.")
    assert posted.params["blocks"][0]["text"]["text"] == "AMA: Ask us &lt;!here&gt;"
    assert TOKEN in posted.params["text"] and "⟦" not in str(posted.params)
