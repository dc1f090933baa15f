"""Governance on a calendar, through the real scheduler: a quarterly council election runs by itself
(nominations at the quarter's start, a secret ballot when they close, results at the end) without any
voter→choice link anywhere; quorum and ties; the quarterly roadmap vote moves ideas with its rationale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.effects import OpenPrivateSpace, PostMessage
from bot.core.feedback.governance_rules import period_of, quorum_needed, tied_at_cutoff
from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.feedback.poll_rules import Eligibility, Poll, PollKind, PollOption, PollStatus
from bot.core.feedback.ports import IdeaRepository
from bot.core.refs import Actor, Role
from bot.core.replies import OpenForm, Reply
from bot.core.text import mentions_in, plain_times
from storage.feedback.tables import BallotRow, CouncilMemberRow, PollTallyRow, PollVoterRow
from storage.schema import metadata
from tests.conftest import COMMUNITY, make_settings
from tests.core.ideas_kit import admit, file, queued
from tests.programming.support import scheduler
from tests.programming.test_recurring_jobs import only

NEW_YEAR = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)  # a quarter starts; the daily step runs at 09:00
NAMES = ["Ada", "Bob", "Cy", "Di", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"]


@pytest.fixture
async def gov(db_url: str, clock: FixedClock, engine: AsyncEngine) -> AsyncIterator[App]:
    governance = {"elections": True, "roadmap_vote": True, "council_seats": 5, "quorum": 0.5}
    app = build_app(
        make_settings(db_url, governance=governance), clock, {"fake": FakeNotifier()}, engine=engine
    )
    await app.ensure_communities()
    yield app


async def _posts(engine: AsyncEngine, title: str) -> list[PostMessage]:
    return [p for p in await queued(engine, PostMessage) if (p.title or "").startswith(title)]


async def _vote(platform: FakePlatform, voter: Actor, key: str, ballot: str) -> Reply:
    form = await platform.press(voter, key)
    assert isinstance(form, OpenForm), form
    reply = await platform.submit(voter, form, {"ballot": ballot})
    assert isinstance(reply, Reply)
    return reply


async def test_a_quarterly_election_runs_by_itself_with_a_secret_ballot(
    gov: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    platform = FakePlatform(bus=gov.bus, community_id=COMMUNITY)
    people = [await admit(gov, platform, str(n), name) for n, name in enumerate(NAMES, start=1)]
    lead = await admit(gov, platform, "L", "Lee", Role.LEAD)
    clock.set(NEW_YEAR - timedelta(hours=1))
    sched = scheduler(gov, registry=only("governance", "close-due-polls"))
    assert await sched.start()
    assert await _posts(engine, "Council election") == []

    clock.set(NEW_YEAR)  # the scheduler opens nominations by itself
    await sched.sync()
    [opened] = await _posts(engine, "Council election 2027-Q1")
    assert "/nominate" in opened.text and "5 seats" in opened.text and "secret ballot" in opened.text
    for nominee in people[:7]:  # seven nominees for five seats
        reply = await platform.slash(nominee, "nominate", member=nominee.ref)
        assert isinstance(reply, Reply) and "nominated" in reply.text

    clock.set(NEW_YEAR + timedelta(days=7))  # nominations close: the ballot opens by itself
    await sched.sync()
    [ballot] = [p for p in await queued(engine, PostMessage) if (p.message_key or "").startswith("poll:")]
    assert ballot.title == "Elect the council council (2027-Q1)" or "Elect the council" in (
        ballot.title or ""
    )
    assert "Secret ballot" in ballot.text and "not even leads" in ballot.text
    [cast] = ballot.actions
    stacked = await platform.press(people[0], cast.key)
    assert isinstance(stacked, OpenForm)
    refused = await platform.submit(people[0], stacked, {"ballot": "1 1"})
    assert isinstance(refused, Reply) and "at most one of your votes" in refused.text
    # Six of ten vote (quorum 50 %): Ada–Eve get 6, 5, 4, 3, 2 votes; Fay and Gus 1 each (a tie that
    # crosses nothing: seats end at Eve).
    ballots = ["1 2 3 4 5", "1 2 3 4 5", "1 2 3 4 6", "1 2 3 7", "1 2", "1"]
    for voter, text in zip(people[4:], ballots, strict=True):
        reply = await _vote(platform, voter, cast.key, text)
        assert "secret ballot is cast" in reply.text and "cannot be changed" in reply.text
    again = await _vote(platform, people[4], cast.key, "7")
    assert "already voted" in again.text

    # Nowhere is a voter linked to a choice: no per-member ballot row; the tally has no member column.
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(BallotRow)) == 0
        assert await conn.scalar(select(func.count()).select_from(PollVoterRow)) == 6
        tally_columns = set(PollTallyRow.__table__.columns.keys())
        assert tally_columns == {"poll_id", "option_id", "points"}
        for table in metadata().sorted_tables:  # no table holds both a member and a poll option
            columns = {c.name for c in table.columns}
            holds_member = any(c in columns for c in ("member_id", "voter_id"))
            if holds_member and "option_id" in columns:
                assert table.name == "ballot"  # open ballots only, and it is empty here

    clock.set(NEW_YEAR + timedelta(days=14, hours=1))  # the ballot closes by itself
    await sched.sync()
    [results] = await _posts(engine, "Results: Elect the")
    text = plain_times(results.text)
    assert "6 ballots cast by all members." in text
    assert "1. Ada — 6 points" in text and "5. Eve — 2 points" in text
    voters = {a.display_name for a in people[4:]}
    assert not any(f"({name}" in text or f", {name})" in text for name in voters)  # counts, never who
    assert "This was a secret ballot" in text and "Their term runs until" in text
    elected = {ref.user_id for ref in mentions_in(results.text)}
    assert elected == {p.ref.user_id for p in people[:5]}
    async with engine.connect() as conn:
        terms = (await conn.execute(select(CouncilMemberRow.term_ends_at))).scalars().all()
    assert len(terms) == 5 and all(
        t == NEW_YEAR + timedelta(days=14, hours=1) + timedelta(days=91) for t in terms
    )
    [space] = await queued(engine, OpenPrivateSpace)  # the new council's private space
    assert {ref.user_id for ref in space.members} == elected
    # What a lead can ask for shows no voter either.
    shown = await platform.slash(lead, "council show")
    assert isinstance(shown, Reply) and "Ada" in shown.text
    assert not any(name in shown.text for name in ("Fay", "Gus", "Hal", "Ivy", "Jo"))  # voters, not seated
    # The next quarter's step runs again on its own (once): nominations for Q2.
    clock.set(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    await sched.sync()
    assert len(await _posts(engine, "Council election 2027-Q2")) == 1


async def test_without_quorum_the_council_stays(gov: App, clock: FixedClock, engine: AsyncEngine) -> None:
    platform = FakePlatform(bus=gov.bus, community_id=COMMUNITY)
    people = [await admit(gov, platform, str(n), name) for n, name in enumerate(NAMES, start=1)]
    clock.set(NEW_YEAR)
    sched = scheduler(gov, registry=only("governance", "close-due-polls"))
    assert await sched.start()
    for nominee in people[:6]:
        await platform.slash(nominee, "nominate", member=nominee.ref)
    clock.set(NEW_YEAR + timedelta(days=7))
    await sched.sync()
    [ballot] = [p for p in await queued(engine, PostMessage) if (p.message_key or "").startswith("poll:")]
    await _vote(platform, people[9], ballot.actions[0].key, "1 2 3 4 5")  # 1 of the 5 needed
    clock.set(NEW_YEAR + timedelta(days=15))
    await sched.sync()
    [results] = await _posts(engine, "Results: Elect the")
    assert "Quorum not reached: 1 ballot(s), 5 needed" in results.text
    assert "Elected to" not in results.text and "Nobody was elected" not in results.text
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(CouncilMemberRow)) == 0


def _poll(labels: list[str], seats: int) -> Poll:
    options = tuple(PollOption(i, i, label, member_id=i) for i, label in enumerate(labels, start=1))
    return Poll(
        id=1,
        community_id="c",
        question="q",
        kind=PollKind.ELECTION,
        eligibility=Eligibility.ALL,
        eligible_key=None,
        secret=True,
        votes_per_member=seats,
        closes_at=NEW_YEAR,
        status=PollStatus.OPEN,
        channel="x",
        options=options,
        seats=seats,
    )


def test_ties_quorum_and_periods() -> None:
    poll = _poll(["A", "B", "C", "D"], 2)
    assert [o.label for o in tied_at_cutoff(poll, {1: 5, 2: 3, 3: 3, 4: 1}, 2)] == ["B", "C"]
    assert tied_at_cutoff(poll, {1: 5, 2: 3, 3: 2, 4: 2}, 2) == []
    assert quorum_needed(10, 0.5) == 5 and quorum_needed(11, 0.1) == 2 and quorum_needed(10, 0) == 0
    assert period_of(datetime(2027, 5, 20).date(), 3) == ("2027-Q2", datetime(2027, 4, 1).date())
    assert period_of(datetime(2027, 8, 1).date(), 6)[0] == "2027-H2"
    assert period_of(datetime(2027, 8, 1).date(), 1)[0] == "2027-08"


async def test_the_quarterly_roadmap_vote_moves_ideas_with_its_rationale(
    gov: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    platform = FakePlatform(bus=gov.bus, community_id=COMMUNITY)
    ada, bob, cy = [
        await admit(gov, platform, str(n), name) for n, name in ((1, "Ada"), (2, "Bob"), (3, "Cy"))
    ]
    lead = platform.actor("L", Role.LEAD)
    ids = [await file(platform, ada, title) for title in ("Dark mode", "Offline sync", "Plugin API")]
    await platform.slash(lead, "ideas status", id=ids[1], status="planned")
    for who in (bob, cy):
        await platform.press(who, f"idea:vote:{ids[2]}")
    await platform.slash(lead, "council add", member=bob.ref)  # the council votes (roadmap_voters)
    clock.set(NEW_YEAR)
    sched = scheduler(gov, registry=only("governance", "close-due-polls"))
    assert await sched.start()
    [poll] = [
        p for p in await queued(engine, PostMessage) if (p.title or "").startswith("Roadmap vote 2027-Q1")
    ]
    assert poll.text.splitlines()[0] == f"1. #{ids[2]} Plugin API" and "members of the council" in poll.text
    outsider = await platform.press(cy, poll.actions[0].key)
    assert isinstance(outsider, Reply) and "council" in outsider.text
    await _vote(platform, bob, poll.actions[0].key, "3 3 1")  # Offline sync 2, Plugin API 1
    clock.set(NEW_YEAR + timedelta(days=7, hours=1))
    await sched.sync()
    [results] = await _posts(engine, "Results: Roadmap vote 2027-Q1")
    assert "Decided by the council in the roadmap vote of 2027-Q1" in results.text
    assert f"#{ids[1]} Offline sync: Planned → In progress (ranked 1st with 2 point(s)" in results.text
    assert f"#{ids[2]} Plugin API: New → Planned (ranked 2nd with 1 point(s)" in results.text
    async with gov.uow_factory() as uow:
        ideas = await uow.repo(IdeaRepository).many(COMMUNITY, ids)
    assert [ideas[i].status for i in ids] == [IdeaStatus.NEW, IdeaStatus.IN_PROGRESS, IdeaStatus.PLANNED]
