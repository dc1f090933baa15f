"""Governing bodies: the appointed advisory board (size limit, terms), a private space per body that
seated members are added to, and /minutes published publicly and counted in the digest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import AddToSpace, OpenPrivateSpace, PostMessage
from bot.core.feedback.ports import IdeaReportReader
from bot.core.feedback.report_rules import feedback_lines
from bot.core.refs import Role
from bot.core.replies import Reply
from storage.feedback.tables import CouncilMemberRow, MinutesRow
from tests.conftest import COMMUNITY
from tests.core.ideas_kit import admit, queued


async def test_the_advisory_board_is_appointed_with_terms_and_a_private_space(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    lead = await admit(app, platform, "L", "Lee", Role.LEAD)
    people = [await admit(app, platform, str(n), f"Champion {n}") for n in range(1, 17)]
    for person in people[:15]:
        reply = await platform.slash(lead, "council add", member=person.ref, council="advisory-board")
        assert isinstance(reply, Reply) and "joined the advisory-board council until" in reply.text
    full = await platform.slash(lead, "council add", member=people[15].ref, council="advisory-board")
    assert isinstance(full, Reply) and "all its 15 seats filled" in full.text
    async with engine.connect() as conn:
        terms = set((await conn.execute(select(CouncilMemberRow.term_ends_at))).scalars())
    assert terms == {clock.now() + timedelta(days=365)}
    [space] = await queued(engine, OpenPrivateSpace)  # opened once, with the first member
    assert space.name == "advisory-board" and space.members == (people[0].ref,)
    added = await queued(engine, AddToSpace)
    assert [a.members for a in added] == [(p.ref,) for p in people[:15]]
    assert all(a.space_key == space.space_key for a in added)
    shown = await platform.slash(people[0], "council show", council="advisory-board")
    assert isinstance(shown, Reply) and "Current term ends" in shown.text


async def test_minutes_go_to_the_public_channel_and_the_digest(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    lead = await admit(app, platform, "L", "Lee", Role.LEAD)
    chair, outsider = await admit(app, platform, "1", "Ada"), await admit(app, platform, "2", "Bob")
    await platform.slash(lead, "council add", member=chair.ref)
    refused = await platform.slash(outsider, "minutes", text="We decided nothing at all.")
    assert isinstance(refused, Reply) and "Only members of the council" in refused.text
    short = await platform.slash(chair, "minutes", text="ok")
    assert isinstance(short, Reply) and "at least 10 characters" in short.text
    done = await platform.slash(
        chair, "minutes", text="Agreed the Q1 roadmap. ⟦@fake:2⟧ @everyone to follow up."
    )
    assert isinstance(done, Reply) and "Published in announcements" in done.text
    [post] = [
        p for p in await queued(engine, PostMessage) if (p.title or "").startswith("Minutes of the council")
    ]
    assert post.channel == "announcements" and "⟦" not in post.text  # typed tokens cannot mention anyone
    async with engine.connect() as conn:
        assert len((await conn.execute(select(MinutesRow.id))).all()) == 1
    async with app.uow_factory() as uow:
        week = await uow.repo(IdeaReportReader).week(
            COMMUNITY,
            clock.now() - timedelta(days=1),
            clock.now() + timedelta(days=1),
            clock.now() - timedelta(days=183),
        )
    assert week.minutes == (("council", 1),)
    assert "Minutes published: council (1)" in feedback_lines(week)
