"""/idea, similar ideas first, the Upvote button: one vote per member, withdrawal, counts in place."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.effects import EditMessage, PostMessage
from bot.core.refs import Role
from bot.core.replies import Reply
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.feedback.tables import IdeaDraftRow, IdeaRow, IdeaVoteRow
from storage.tables import MemberRow
from tests.conftest import COMMUNITY, make_settings
from tests.core.ideas_kit import admit, count, file, posts, queued


async def test_an_idea_is_posted_with_an_upvote_button_and_counts_as_a_contribution(
    app: App, platform: FakePlatform, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    ada = await admit(app, platform, "1", "Ada")
    idea_id = await file(platform, ada, "Dark mode for the editor", "Easier on the eyes at night", "Editor")
    [post] = posts(await queued(engine, PostMessage), "ideas")
    assert post.message_key == f"idea:{idea_id}"
    assert post.title == f"#{idea_id} Dark mode for the editor"
    assert [(a.label, a.key) for a in post.actions] == [
        ("Upvote · 1", f"idea:vote:{idea_id}"),
        ("Manage", f"idea:manage:{idea_id}"),
    ]
    assert ("Area", "editor") in [(f.name, f.value) for f in post.fields]
    assert await count(engine, ContributionRow, ContributionRow.kind == "idea_filed") == 1
    # a first idea is a first contribution: the badge is announced in the recognition channel
    [badge] = posts(await queued(engine, PostMessage), "recognition")
    assert "First Contribution" in badge.text
    await app.relay.run_once()
    assert posts(notifier.of_kind(PostMessage), "ideas") == [post]


async def test_a_newcomer_cannot_file_or_vote(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    ada = await admit(app, platform, "1")
    idea_id = await file(platform, ada, "Dark mode")
    stranger = platform.actor("99")
    reply = await platform.submit(stranger, "idea", {"title": "Let me in"})
    assert isinstance(reply, Reply) and "for members" in reply.text
    reply = await platform.press(stranger, f"idea:vote:{idea_id}")
    assert isinstance(reply, Reply) and "for members" in reply.text
    assert await count(engine, IdeaRow) == 1 and await count(engine, IdeaVoteRow) == 1


async def test_similar_open_ideas_are_offered_before_filing(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    ada, bob, cy = [await admit(app, platform, str(i)) for i in (1, 2, 3)]
    first = await file(platform, ada, "Export to CSV")
    reply = await platform.submit(bob, "idea", {"title": "CSV export", "details": "for my accountant"})
    assert isinstance(reply, Reply) and reply.title == "Similar ideas are already open"
    assert f"#{first} Export to CSV" in reply.text
    vote, anyway = reply.actions
    assert vote.key.startswith("idea:instead:") and vote.key.endswith(f":{first}")
    assert anyway.key.startswith("idea:file:")
    assert await count(engine, IdeaRow) == 1  # nothing filed yet: the draft waits

    stolen = await platform.press(cy, anyway.key)  # not cy's draft
    assert isinstance(stolen, Reply) and "already" in stolen.text
    assert await count(engine, IdeaRow) == 1
    backed = await platform.press(bob, vote.key)
    assert isinstance(backed, Reply) and "2 votes" in backed.text
    again = await platform.press(bob, anyway.key)  # the choice was made: the draft is gone
    assert isinstance(again, Reply) and "already" in again.text
    assert await count(engine, IdeaRow) == 1 and await count(engine, IdeaDraftRow) == 0

    reply = await platform.submit(cy, "idea", {"title": "Export CSV files"})
    assert isinstance(reply, Reply)
    filed = await platform.press(cy, reply.actions[-1].key)
    assert isinstance(filed, Reply) and filed.text.startswith("Filed as #")
    assert await count(engine, IdeaRow) == 2


async def test_concurrent_presses_by_one_member_count_once_and_a_later_press_withdraws(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    ada, bob = await admit(app, platform, "1"), await admit(app, platform, "2")
    idea_id = await file(platform, ada, "Dark mode")
    key = f"idea:vote:{idea_id}"
    await asyncio.gather(*(platform.press(bob, key) for _ in range(6)))
    assert await count(engine, IdeaVoteRow, IdeaVoteRow.idea_id == idea_id) == 2  # Ada's own and Bob's
    assert await count(engine, IdeaRow, IdeaRow.votes == 2) == 1

    clock.advance(seconds=30)
    reply = await platform.press(bob, key)
    assert isinstance(reply, Reply) and "withdrawn (1 votes now)" in reply.text
    assert await count(engine, IdeaRow, IdeaRow.votes == 1) == 1
    clock.advance(seconds=30)
    await platform.press(bob, key)
    assert await count(engine, IdeaRow, IdeaRow.votes == 2) == 1
    # voting is a contribution once per member and idea: withdrawing and voting again earns nothing
    assert await count(engine, ContributionRow, ContributionRow.kind == "idea_vote") == 1
    assert (
        await count(engine, MemberWeekRow, MemberWeekRow.kind == "idea_vote", MemberWeekRow.count == 1) == 1
    )


async def test_many_voters_at_once_all_count_and_the_post_count_only_goes_up(
    app: App, platform: FakePlatform, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    ada = await admit(app, platform, "1")
    voters = [await admit(app, platform, str(i)) for i in range(10, 20)]
    idea_id = await file(platform, ada, "Dark mode")
    await asyncio.gather(*(platform.press(v, f"idea:vote:{idea_id}") for v in voters))
    assert await count(engine, IdeaRow, IdeaRow.votes == 11) == 1
    edits = await queued(engine, EditMessage)
    shown = [int(next(f.value for f in e.fields if f.name == "Votes")) for e in edits]
    assert shown == list(range(2, 12))  # each edit shows one more: in-place updates never go backwards
    assert edits[-1].actions[0].label == "Upvote · 11" and edits[-1].message_key == f"idea:{idea_id}"
    await app.relay.run_once()
    [post] = posts(notifier.of_kind(PostMessage), "ideas")
    assert notifier.of_kind(EditMessage)[-1].message_key == post.message_key


async def test_closed_ideas_take_no_votes(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    ada, bob = await admit(app, platform, "1"), await admit(app, platform, "2")
    lead = platform.actor("L", Role.LEAD)
    idea_id = await file(platform, ada, "Dark mode")
    other = await file(platform, ada, "Something else entirely")
    await platform.slash(lead, "ideas status", id=idea_id, status="shipped")
    reply = await platform.press(bob, f"idea:vote:{idea_id}")
    assert isinstance(reply, Reply) and "no longer takes votes" in reply.text
    await platform.slash(lead, "ideas merge", id=other, into=idea_id)
    reply = await platform.press(bob, f"idea:vote:{other}")
    assert isinstance(reply, Reply) and f"merged into #{idea_id}" in reply.text
    assert await count(engine, IdeaVoteRow) == 2  # Ada's own votes only


async def test_the_form_is_checked(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    ada = await admit(app, platform, "1")
    reply = await platform.submit(ada, "idea", {"title": "x"})
    assert isinstance(reply, Reply) and "3 to 100 characters" in reply.text
    reply = await platform.submit(ada, "idea", {"title": "Dark mode", "details": "y" * 1001})
    assert isinstance(reply, Reply) and "1000 characters" in reply.text
    assert await count(engine, IdeaRow) == 0


async def test_filing_and_voting_take_the_shared_contribution_path(
    db_url: str, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    settings = make_settings(db_url, contributions={"weights": {"idea_vote": 0.5}})
    app = build_app(settings, clock, {"fake": notifier}, engine=engine)
    await app.ensure_communities()
    platform = FakePlatform(app.bus, COMMUNITY, notifier)
    ada, bob = await admit(app, platform, "1"), await admit(app, platform, "2")
    filed_at = clock.now()
    idea_id = await file(platform, ada, "Dark mode")
    clock.advance(minutes=5)
    await platform.press(bob, f"idea:vote:{idea_id}")
    async with engine.connect() as conn:
        activated = dict(
            (await conn.execute(select(MemberRow.user_id, MemberRow.first_contribution_at))).all()
        )
        weights = dict((await conn.execute(select(MemberWeekRow.kind, MemberWeekRow.weight))).all())
    # a first idea or vote activates the member, like any first contribution
    assert activated == {"1": filed_at, "2": filed_at + timedelta(minutes=5)}
    assert weights == {"idea_filed": 1.0, "idea_vote": 0.5}  # the default, and the configured weight
