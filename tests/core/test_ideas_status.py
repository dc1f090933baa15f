"""Statuses: private notices once per change, batched, opt-out; merges; public credit when shipped."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.effects import AssignBadgeRole, DirectMessage, EditMessage, Effect, PostMessage
from bot.core.feedback.commands import SendIdeaNotices
from bot.core.ports import Attempt, PlatformRef
from bot.core.refs import Role
from bot.core.replies import OpenForm, Reply
from bot.core.text import mention, mentions_in
from storage.badges.tables import BadgeAwardRow
from storage.feedback.tables import IdeaNoticeRow, IdeaRow, IdeaVoteRow
from storage.tables import MemberRow
from tests.conftest import COMMUNITY, make_settings
from tests.core.ideas_kit import admit, count, file, posts, queued


async def _batch(app: App) -> None:
    reply = await app.bus.handle(SendIdeaNotices(community_id=COMMUNITY))
    assert isinstance(reply, Reply)


async def test_a_change_tells_author_and_voters_once_batched_and_respects_the_opt_out(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    ada, bob, cy, dan = [await admit(app, platform, str(i), n) for i, n in enumerate("ABCD", 1)]
    lead = await admit(
        app, platform, "9", "Lead", Role.LEAD
    )  # a lead who voted is not told of their own change
    idea_id = await file(platform, ada, "Dark mode")
    for voter in (bob, cy, dan, lead):
        await platform.press(voter, f"idea:vote:{idea_id}")
    await platform.slash(dan, "ideas notifications", setting="off")

    await platform.slash(lead, "ideas status", id=idea_id, status="planned")
    clock.advance(hours=2)
    await platform.slash(lead, "ideas status", id=idea_id, status="in_progress")
    assert await queued(engine, DirectMessage) == []  # nothing until the daily batch

    await asyncio.gather(_batch(app), _batch(app))  # two runs at once still tell each member once
    await _batch(app)  # and a later run has nothing left to say
    dms = await queued(engine, DirectMessage)
    assert sorted(dm.member.user_id for dm in dms) == ["1", "2", "3"]
    for dm in dms:
        assert f"#{idea_id} Dark mode: New → In progress" in dm.text and mentions_in(dm.text) == ()

    clock.advance(days=1)
    await platform.slash(dan, "ideas notifications", setting="on")
    await platform.slash(lead, "ideas status", id=idea_id, status="shipped")
    await _batch(app)
    dms = await queued(engine, DirectMessage)
    assert sorted(dm.member.user_id for dm in dms) == ["1", "1", "2", "2", "3", "3", "4"]
    assert await count(engine, IdeaNoticeRow, IdeaNoticeRow.sent_at.is_(None)) == 0


async def test_a_member_who_opts_out_after_the_change_is_not_told(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    ada = await admit(app, platform, "1")
    lead = platform.actor("L", Role.LEAD)
    idea_id = await file(platform, ada, "Dark mode")
    await platform.slash(lead, "ideas status", id=idea_id, status="under_review")
    await platform.slash(ada, "ideas notifications", setting="off")
    await _batch(app)
    assert await queued(engine, DirectMessage) == []


async def test_merging_unites_votes_without_counting_anyone_twice(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    ada, bob, cy, dan, eve = [await admit(app, platform, str(i), n) for i, n in enumerate("ABCDE", 1)]
    lead = platform.actor("L", Role.LEAD)
    dup = await file(platform, ada, "Dark theme")
    keep = await file(platform, eve, "Night mode for the whole app")
    for voter in (bob, cy):
        await platform.press(voter, f"idea:vote:{dup}")
    for voter in (bob, dan):  # Bob voted for both
        await platform.press(voter, f"idea:vote:{keep}")

    reply = await platform.slash(lead, "ideas merge", id=dup, into=keep)
    assert isinstance(reply, Reply) and "5 votes (2 new)" in reply.text, reply
    async with engine.connect() as conn:
        voters = (
            await conn.execute(select(IdeaVoteRow.member_id).where(IdeaVoteRow.idea_id == keep))
        ).scalars()
        voters = sorted(voters)
        assert len(voters) == len(set(voters)) == 5
        assert await conn.scalar(select(IdeaRow.votes).where(IdeaRow.id == keep)) == 5
        assert await conn.scalar(select(IdeaRow.status).where(IdeaRow.id == dup)) == "merged"
    again = await platform.slash(lead, "ideas merge", id=dup, into=keep)
    assert isinstance(again, Reply) and "only open ideas" in again.text

    edits = {e.message_key: e for e in await queued(engine, EditMessage)}
    assert edits[f"idea:{dup}"].actions == () and f"Merged into #{keep}" in edits[f"idea:{dup}"].text
    assert edits[f"idea:{keep}"].actions[0].label == "Upvote · 5"

    await _batch(app)
    told = {dm.member.user_id: dm.text for dm in await queued(engine, DirectMessage)}
    assert sorted(told) == ["1", "2", "3"]  # the duplicate's author and voters, not Dan or Eve
    assert all(f"merged into #{keep} Night mode for the whole app" in text for text in told.values())

    # shipping the kept idea later credits each of them once
    await platform.slash(lead, "ideas status", id=keep, status="shipped")
    [shipped] = posts(await queued(engine, PostMessage), "ideas")[-1:]
    names = [ref.user_id for ref in mentions_in(shipped.text)]
    assert names[0] == "5" and sorted(names) == ["1", "2", "3", "4", "5"] and len(names) == len(set(names))


async def test_shipping_credits_exactly_the_right_members(
    db_url: str, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    settings = make_settings(db_url, ideas={"credit_voters": 2, "announce_channel": "announcements"})
    app = build_app(settings, clock, {"fake": notifier}, engine=engine)
    await app.ensure_communities()
    platform = FakePlatform(app.bus, COMMUNITY, notifier)
    ada = await admit(app, platform, "1", "@everyone")  # a display name that must not ping
    eve, bob, cy, dan = [await admit(app, platform, str(i)) for i in (5, 2, 3, 4)]
    lead = platform.actor("L", Role.LEAD)
    idea_id = await file(platform, ada, "Ping <!here> and @everyone")
    for voter in (eve, bob, cy, dan):  # in this order: Eve asked first, but then she left
        clock.advance(minutes=1)
        await platform.press(voter, f"idea:vote:{idea_id}")
    async with engine.begin() as conn:
        await conn.execute(MemberRow.__table__.update().where(MemberRow.user_id == "5").values(status="left"))

    reply = await platform.slash(lead, "ideas status", id=idea_id, status="shipped")
    assert isinstance(reply, Reply) and "is now shipped" in reply.text
    [announcement] = posts(await queued(engine, PostMessage), "announcements")
    assert [ref.user_id for ref in mentions_in(announcement.text)] == [
        "1",
        "2",
        "3",
    ]  # author, then first two
    assert mentions_in(announcement.title or "") == ()
    assert "1 more member who voted" in announcement.text  # Dan, named by count only
    assert announcement.link_key == f"idea:{idea_id}"
    async with engine.connect() as conn:
        badges = (
            await conn.execute(
                select(BadgeAwardRow.badge_key, BadgeAwardRow.member_id).where(
                    BadgeAwardRow.badge_key == "shaped_the_product"
                )
            )
        ).all()
        ada_id = await conn.scalar(select(MemberRow.id).where(MemberRow.user_id == "1"))
    assert badges == [("shaped_the_product", ada_id)]
    again = await platform.slash(lead, "ideas status", id=idea_id, status="shipped")
    assert isinstance(again, Reply) and "already shipped" in again.text
    assert len(posts(await queued(engine, PostMessage), "announcements")) == 1


async def test_leads_use_the_buttons_and_a_decline_needs_a_reason(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    ada = await admit(app, platform, "1")
    lead = platform.actor("L", Role.LEAD)
    idea_id = await file(platform, ada, "Dark mode")
    refused = await platform.press(ada, f"idea:manage:{idea_id}")
    assert isinstance(refused, Reply) and "leads" in refused.text
    panel = await platform.press(lead, f"idea:manage:{idea_id}")
    assert isinstance(panel, Reply)
    keys = [a.key for a in panel.actions]
    assert f"idea:set:{idea_id}:planned" in keys and f"idea:decline:{idea_id}" in keys
    refused = await platform.press(ada, f"idea:set:{idea_id}:planned")
    assert isinstance(refused, Reply) and "leads" in refused.text
    assert await count(engine, IdeaRow, IdeaRow.status == "planned") == 0
    done = await platform.press(lead, f"idea:set:{idea_id}:planned")
    assert isinstance(done, Reply) and "is now planned" in done.text
    assert await count(engine, IdeaRow, IdeaRow.status == "planned") == 1

    form = await platform.press(lead, f"idea:decline:{idea_id}")
    assert isinstance(form, OpenForm) and form.context == str(idea_id)
    no_reason = await platform.slash(lead, "ideas status", id=idea_id, status="declined")
    assert isinstance(no_reason, Reply) and "Say why" in no_reason.text
    await platform.submit(lead, form, {"reason": "Out of scope for this year"})
    async with engine.connect() as conn:
        row = (await conn.execute(select(IdeaRow.status, IdeaRow.status_reason))).one()
    assert tuple(row) == ("declined", "Out of scope for this year")
    await _batch(app)
    [dm] = await queued(engine, DirectMessage)
    assert "New → Declined (reason: Out of scope for this year)" in dm.text


async def test_members_cannot_change_statuses(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    ada = await admit(app, platform, "1")
    idea_id = await file(platform, ada, "Dark mode")
    reply = await platform.slash(ada, "ideas status", id=idea_id, status="shipped")
    assert isinstance(reply, Reply) and "leads" in reply.text
    assert await count(engine, IdeaRow, IdeaRow.status == "new") == 1


@dataclass
class _RefRecorder(FakeNotifier):
    """Remembers which refs each delivery was given."""

    seen: list[tuple[Effect, dict[str, PlatformRef]]] = field(default_factory=list)

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        self.seen.append((effect, dict(refs)))
        return await super().deliver(effect, refs)


async def test_the_announcement_links_the_idea_post_and_never_waits_for_it(
    db_url: str, clock: FixedClock, engine: AsyncEngine
) -> None:
    notifier = _RefRecorder()
    app = build_app(make_settings(db_url), clock, {"fake": notifier}, engine=engine)
    await app.ensure_communities()
    platform = FakePlatform(app.bus, COMMUNITY, notifier)
    ada = await admit(app, platform, "1")
    lead = platform.actor("L", Role.LEAD)
    shown = await file(platform, ada, "Dark mode")
    await app.relay.run_once()  # the idea's post is delivered: its place is known
    await platform.slash(lead, "ideas status", id=shown, status="shipped")
    await app.relay.run_once()
    announced = [
        refs
        for effect, refs in notifier.seen
        if isinstance(effect, PostMessage) and (effect.title or "").startswith("Shipped")
    ][-1]
    assert set(announced) == {f"idea:{shown}"}

    unknown = await file(platform, ada, "Offline sync")  # its post is never delivered before shipping
    await platform.slash(lead, "ideas status", id=unknown, status="shipped")
    notifier.fail_next(1, permanent=True)  # the idea post is parked...
    await app.relay.run_once()
    shipped = [e for e in notifier.of_kind(PostMessage) if (e.title or "").startswith("Shipped: Offline")]
    assert len(shipped) == 1  # ...and the announcement still goes out, without the link


async def test_shipping_awards_the_catalogue_badge_with_its_name_and_emoji(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    ada = await admit(app, platform, "1", "Ada")
    lead = platform.actor("L", Role.LEAD)
    idea_id = await file(platform, ada, "Dark mode")
    before = await platform.slash(ada, "badges")
    assert isinstance(before, Reply)
    assert "💡 Shaped the product: Suggested an idea that shipped (awarded when it happens)" in before.text
    await platform.slash(lead, "ideas status", id=idea_id, status="shipped")
    await platform.slash(lead, "ideas status", id=idea_id, status="shipped")  # no second award
    shaped = [p for p in posts(await queued(engine, PostMessage), "recognition") if "Shaped" in p.text]
    assert [p.text for p in shaped] == [
        f"💡 {mention(ada.ref)} earned the Shaped the product badge: idea #{idea_id} shipped."
    ]
    roles = [e.badge_key for e in await queued(engine, AssignBadgeRole)]
    assert roles.count("shaped_the_product") == 1
    after = await platform.slash(ada, "badges")
    assert isinstance(after, Reply) and "💡 Shaped the product: earned" in after.text
