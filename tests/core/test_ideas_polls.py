"""Member votes: eligibility, ballots until close, results exactly once, roadmap votes, elections."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.badges.ports import BadgeRepository
from bot.core.effects import EditMessage, PostMessage
from bot.core.feedback.commands import CloseDuePolls, ClosePoll
from bot.core.refs import Actor, Role
from bot.core.replies import OpenForm, Reply
from bot.core.text import mentions_in
from storage.db import create_engine
from storage.feedback.tables import BallotRow, CouncilMemberRow
from storage.tables import MemberRow
from tests.conftest import COMMUNITY
from tests.core.ideas_kit import admit, count, file, posts, queued


async def _open(platform: FakePlatform, lead: Actor, **options: object) -> None:
    options.setdefault("ballot", "open")  # open-ballot tests; secret ones say so (and test_governance)
    reply = await platform.slash(lead, "poll", **options)
    assert isinstance(reply, Reply) and reply.text.startswith("Poll #"), reply


async def _poll_post(engine: AsyncEngine) -> PostMessage:
    return [p for p in await queued(engine, PostMessage) if (p.message_key or "").startswith("poll:")][-1]


async def _results(engine: AsyncEngine) -> list[PostMessage]:
    return [p for p in await queued(engine, PostMessage) if (p.title or "").startswith("Results:")]


async def test_one_changeable_ballot_per_member_and_results_posted_once(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock, settings: Settings, db_url: str
) -> None:
    bob, cy, dan = [await admit(app, platform, str(i), n) for i, n in ((2, "Bob"), (3, "Cy"), (4, "Dan"))]
    lead = platform.actor("L", Role.LEAD)
    await _open(
        platform,
        lead,
        question="Which day for the meetup?",
        options="Tuesday | Thursday",
        hours=1,
        ballot="open",
    )
    post = await _poll_post(engine)
    assert post.channel == "announcements" and "Who can vote: all members." in post.text
    tue, thu = (a.key for a in post.actions)
    assert tue.startswith("poll:vote:")

    await asyncio.gather(*(platform.press(bob, tue) for _ in range(3)))
    changed = await platform.press(bob, thu)
    assert isinstance(changed, Reply) and "changed to: Thursday" in changed.text
    await platform.press(cy, tue)
    assert await count(engine, BallotRow) == 2

    clock.advance(hours=1)
    late = await platform.press(dan, tue)
    assert isinstance(late, Reply) and "closed" in late.text
    late = await platform.press(bob, tue)
    assert isinstance(late, Reply) and "closed" in late.text
    assert await count(engine, BallotRow) == 2

    poll_id = int(tue.split(":")[2])
    await asyncio.gather(
        *(app.bus.handle(ClosePoll(community_id=COMMUNITY, poll_id=poll_id)) for _ in range(2))
    )
    await app.bus.handle(ClosePoll(community_id=COMMUNITY, poll_id=poll_id))
    # after a restart the scheduler's catch-up finds nothing left to close
    restarted = build_app(settings, clock, {"fake": FakeNotifier()}, engine=create_engine(db_url))
    try:
        await restarted.bus.handle(CloseDuePolls(community_id=COMMUNITY))
        await restarted.bus.handle(ClosePoll(community_id=COMMUNITY, poll_id=poll_id))
    finally:
        await restarted.engine.dispose()

    [results] = await _results(engine)
    assert "2 ballots cast by all members." in results.text
    assert "2. Thursday — 1 vote (Bob)" in results.text and "1. Tuesday — 1 vote (Cy)" in results.text
    [closed] = [e for e in await queued(engine, EditMessage) if e.message_key == f"poll:{poll_id}"]
    assert closed.actions == () and closed.text.endswith("This poll is closed.")


async def test_a_poll_does_not_close_before_its_time(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    lead = platform.actor("L", Role.LEAD)
    await _open(platform, lead, question="Name the mascot", options="Owl | Fox")
    poll_id = int((await _poll_post(engine)).actions[0].key.split(":")[2])
    await app.bus.handle(ClosePoll(community_id=COMMUNITY, poll_id=poll_id))
    await app.bus.handle(CloseDuePolls(community_id=COMMUNITY))
    assert await _results(engine) == []


async def test_ineligible_members_are_refused_and_told_why(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    bob, cy = await admit(app, platform, "2", "Bob"), await admit(app, platform, "3", "Cy")
    lead = platform.actor("L", Role.LEAD)
    async with app.uow_factory() as uow:
        member = await uow.members.by_ref(COMMUNITY, bob.ref)
        assert member is not None
        await uow.repo(BadgeRepository).award(COMMUNITY, member.id, "champion", "test", clock.now())
        await uow.commit()

    await _open(
        platform,
        lead,
        question="Champions: beta first?",
        options="Yes | No",
        eligible="badge",
        group="champion",
    )
    yes = (await _poll_post(engine)).actions[0].key
    refused = await platform.press(cy, yes)
    assert isinstance(refused, Reply) and "members with the champion badge" in refused.text
    accepted = await platform.press(bob, yes)
    assert isinstance(accepted, Reply) and accepted.text.startswith("Your ballot is: Yes")

    empty = await platform.slash(
        lead, "poll", question="Council: agenda?", options="A | B", eligible="council"
    )
    assert isinstance(empty, Reply) and "/council add" in empty.text
    await platform.slash(lead, "council add", member=bob.ref)
    await _open(platform, lead, question="Council: agenda?", options="A | B", eligible="council")
    a = (await _poll_post(engine)).actions[0].key
    refused = await platform.press(cy, a)
    assert isinstance(refused, Reply) and "members of the council" in refused.text
    assert isinstance(await platform.press(bob, a), Reply)
    stranger = await platform.press(platform.actor("99"), a)
    assert isinstance(stranger, Reply) and "for members" in stranger.text
    assert await count(engine, BallotRow) == 2  # Bob's two ballots only


async def test_a_secret_ballot_shows_totals_never_who_voted_what(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    bob = await admit(app, platform, "2", "Bob")
    lead = platform.actor("L", Role.LEAD)
    await _open(
        platform, lead, question="Keep the Friday thread?", options="Keep | Drop", ballot="secret", hours=2
    )
    post = await _poll_post(engine)
    assert "Secret ballot" in post.text
    await platform.press(bob, post.actions[1].key)
    clock.advance(hours=3)
    await app.bus.handle(CloseDuePolls(community_id=COMMUNITY))
    [results] = await _results(engine)
    assert "Drop — 1 vote" in results.text and "Bob" not in results.text and "secret ballot" in results.text


async def test_a_roadmap_vote_allocates_votes_over_planned_ideas(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    ada, bob = await admit(app, platform, "1", "Ada"), await admit(app, platform, "2", "Bob")
    lead = platform.actor("L", Role.LEAD)
    ids = [await file(platform, ada, title) for title in ("Dark mode", "Offline sync", "Plugin API", "Emoji")]
    too_few = await platform.slash(lead, "poll", question="Next quarter?", kind="roadmap")
    assert isinstance(too_few, Reply) and "two planned ideas" in too_few.text
    await platform.press(bob, f"idea:vote:{ids[2]}")
    for idea_id in ids[:3]:
        await platform.slash(lead, "ideas status", id=idea_id, status="planned")
    await _open(platform, lead, question="Next quarter?", kind="roadmap")
    post = await _poll_post(engine)
    assert post.text.splitlines()[:3] == [
        f"1. #{ids[2]} Plugin API",
        f"2. #{ids[0]} Dark mode",
        f"3. #{ids[1]} Offline sync",
    ]
    [button] = post.actions
    assert button.label == "Cast your 3 votes"

    form = await platform.press(bob, button.key)
    assert isinstance(form, OpenForm)
    over = await platform.submit(bob, form, {"ballot": "1 1 2 3"})
    assert isinstance(over, Reply) and "You have 3 votes" in over.text
    await platform.submit(bob, form, {"ballot": "1x2, 2"})
    await platform.submit(bob, form, {"ballot": "3 3 1"})  # changed: replaces the whole ballot
    await platform.submit(ada, form, {"ballot": "2"})
    async with engine.connect() as conn:
        bob_id = await conn.scalar(select(MemberRow.id).where(MemberRow.user_id == "2"))
        rows = (
            (await conn.execute(select(BallotRow.points).where(BallotRow.member_id == bob_id)))
            .scalars()
            .all()
        )
    assert sorted(rows) == [1, 2]
    clock.advance(days=3)
    await app.bus.handle(CloseDuePolls(community_id=COMMUNITY))
    [results] = await _results(engine)
    lines = results.text.splitlines()
    assert lines[1:4] == [
        f"3. #{ids[1]} Offline sync — 2 points (Bob)",
        f"1. #{ids[2]} Plugin API — 1 point (Bob)",
        f"2. #{ids[0]} Dark mode — 1 point (Ada)",
    ]


async def test_a_council_is_elected_from_nominees(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock, notifier: FakeNotifier
) -> None:
    ada, bob, cy, dan = [
        await admit(app, platform, str(i), n) for i, n in enumerate(("Ada", "Bob", "Cy", "Dan"), 1)
    ]
    lead = platform.actor("L", Role.LEAD)
    await platform.slash(lead, "council add", member=dan.ref)  # the outgoing council
    for nominee in (ada, bob, cy):
        reply = await platform.slash(dan, "nominate", member=nominee.ref)
        assert isinstance(reply, Reply) and "nominated" in reply.text
    again = await platform.slash(ada, "nominate", member=ada.ref)
    assert isinstance(again, Reply) and "already nominated" in again.text
    await _open(platform, lead, question="Elect the council", kind="election", seats=2, hours=24)
    post = await _poll_post(engine)
    assert [a.label for a in post.actions] == ["1. Ada", "2. Bob", "3. Cy"]
    for voter, choice in ((ada, 0), (bob, 1), (cy, 1), (dan, 2), (lead, 0)):
        await platform.press(voter, post.actions[choice].key)
    clock.advance(hours=24)
    await app.bus.handle(CloseDuePolls(community_id=COMMUNITY))
    [results] = await _results(engine)
    assert [r.user_id for r in mentions_in(results.text)] == [
        "2",
        "1",
    ]  # Bob 2, Ada 1 (Cy ties, nominated later)
    assert await count(engine, CouncilMemberRow) == 2
    shown = await platform.slash(ada, "council show")
    assert isinstance(shown, Reply) and "Members: Ada, Bob" in shown.text
    assert "Nominated for the next election: nobody yet" in shown.text
    assert len(posts(await queued(engine, PostMessage), "announcements")) == 2
