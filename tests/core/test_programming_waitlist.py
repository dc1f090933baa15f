"""Capacity and the waitlist through the bus: a full event puts further "Going" in line, and when
someone going drops, the first in line gets the place and a DM. The clock starts Monday 2 November
2026, 10:00 UTC; the series meets on Thursdays at 17:00 UTC."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import DirectMessage, EditMessage
from storage.programming.tables import RsvpRow
from tests.programming.support import admit, create_series, effects, lead, scheduler, text_of


async def _answers(engine: AsyncEngine) -> dict[int, str]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(RsvpRow.member_id, RsvpRow.answer))).all())  # type: ignore[arg-type]


async def test_a_full_event_promotes_the_first_waiting_member_when_someone_drops(
    app: App, platform: FakePlatform, clock: FixedClock, engine: AsyncEngine
) -> None:
    reply = await create_series(platform, capacity=2)
    assert "Series #1 created" in reply
    ids = {name: (await admit(app, name)).id for name in ("ada", "bo", "cy", "di")}
    assert await scheduler(app).start()  # announced
    for name in ("ada", "bo"):
        assert text_of(await platform.press(platform.actor(name), "rsvp:going:1")).startswith("Noted: going")
        clock.advance(seconds=1)
    full = text_of(await platform.press(platform.actor("cy"), "rsvp:going:1"))
    assert "is full" in full and "number 1 on the waitlist" in full
    clock.advance(seconds=1)
    assert "number 2 on the waitlist" in text_of(await platform.press(platform.actor("di"), "rsvp:going:1"))
    assert "number 2 on the waitlist" in text_of(await platform.press(platform.actor("di"), "rsvp:going:1"))
    edit = (await effects(app, EditMessage))[-1]
    assert [(f.name, f.value) for f in edit.fields] == [
        ("Going", "2 of 2"),
        ("Maybe", "0"),
        ("Can't make it", "0"),
        ("Waitlist", "2"),
    ]
    assert await effects(app, DirectMessage) == []

    assert text_of(await platform.press(platform.actor("bo"), "rsvp:no:1")).startswith("Noted: can't make it")
    answers = await _answers(engine)
    assert (answers[ids["ada"]], answers[ids["bo"]], answers[ids["cy"]], answers[ids["di"]]) == (
        "going",
        "no",
        "going",
        "waiting",
    )
    [dm] = await effects(app, DirectMessage)
    assert dm.member.user_id == "cy" and "A place opened up: you're going to AMA: Ask us" in dm.text
    edit = (await effects(app, EditMessage))[-1]
    assert [(f.name, f.value) for f in edit.fields][::3] == [("Going", "2 of 2"), ("Waitlist", "1")]
    # A waiting member who gives up leaves the line without taking anyone's place.
    assert text_of(await platform.press(platform.actor("di"), "rsvp:maybe:1")).startswith("Noted: maybe")
    assert len(await effects(app, DirectMessage)) == 1
    # Coming back when a place is free: going at once.
    assert text_of(await platform.press(platform.actor("ada"), "rsvp:no:1")).startswith("Noted")
    assert text_of(await platform.press(platform.actor("di"), "rsvp:going:1")).startswith("Noted: going")


async def test_racing_presses_never_overbook(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    await create_series(platform, capacity=3)
    names = [f"m{n}" for n in range(8)]
    for name in names:
        await admit(app, name)
    await asyncio.gather(*(platform.press(platform.actor(name), "rsvp:going:1") for name in names))
    answers = sorted((await _answers(engine)).values())
    assert answers == ["going"] * 3 + ["waiting"] * 5


async def test_capacity_is_checked_and_listed(app: App, platform: FakePlatform) -> None:
    assert "3 places" not in await create_series(platform, capacity=3)
    listing = text_of(await platform.slash(lead(platform), "series list"))
    assert "3 places" in listing
    assert "capacity" in await create_series(platform, capacity=0)
