"""Mark helpful: credits the author once per message, never oneself or a bot, staff told apart."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.effects import PostMessage
from bot.core.refs import Role
from bot.core.registry import MessageTarget
from bot.core.replies import Reply
from bot.core.text import mention
from storage.badges.tables import BadgeAwardRow
from storage.contributions.tables import ContributionRow, MemberWeekRow
from tests.core.support import add_member, count, ref


def _target(
    author: str, message_id: str = "42", *, asker: str = "asker", channel: str = "help", **kwargs: bool
) -> MessageTarget:
    """An answer by `author` in a thread `asker` opened in #help."""
    return MessageTarget(
        channel_id="C1",
        channel_name=channel,
        message_id=message_id,
        author=ref(author),
        thread_owner=ref(asker),
        **kwargs,
    )


async def test_a_peer_marks_an_answer_helpful_once(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    author, asker = await add_member(app, "author"), await add_member(app, "asker")
    other = await add_member(app, "other")
    reply = await platform.message_action(platform.actor("asker"), "mark_helpful", _target("author"))
    assert isinstance(reply, Reply) and "gets the credit" in reply.text and reply.private
    again = await platform.message_action(
        platform.actor("other"), "mark_helpful", _target("author", asker="other")
    )
    assert isinstance(again, Reply) and "already marked helpful" in again.text
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    ContributionRow.member_id,
                    ContributionRow.kind,
                    ContributionRow.by_staff,
                    ContributionRow.target_member_id,
                    ContributionRow.weight,
                )
            )
        ).all()
        helpful = await conn.scalar(select(MemberWeekRow.count).where(MemberWeekRow.kind == "helpful_answer"))
    assert rows == [(author.id, "helpful_answer", False, asker.id, 5.0)]
    assert helpful == 1
    await app.relay.run_once()
    assert len(platform.notifier.dms_to(author.ref)) == 1
    assert other.id != author.id


async def test_answers_by_staff_are_told_apart(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    await add_member(app, "mod")
    await add_member(app, "asker")
    await platform.message_action(
        platform.actor("asker"), "mark_helpful", _target("mod", author_is_staff=True)
    )
    assert await count(engine, ContributionRow, ContributionRow.by_staff.is_(True)) == 1


async def test_own_and_bot_messages_are_refused(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    await add_member(app, "me")
    own = await platform.message_action(platform.actor("me"), "mark_helpful", _target("me"))
    assert isinstance(own, Reply) and own.private and "your own message" in own.text
    bot = await platform.message_action(
        platform.actor("me"), "mark_helpful", _target("bot", author_is_bot=True)
    )
    assert isinstance(bot, Reply) and "Bot messages" in bot.text
    assert await count(engine, ContributionRow) == 0


async def test_only_members_can_mark(app: App, platform: FakePlatform, engine: AsyncEngine) -> None:
    await add_member(app, "author")
    reply = await platform.message_action(
        platform.actor("newcomer"), "mark_helpful", _target("author", asker="newcomer")
    )
    assert isinstance(reply, Reply) and "for members" in reply.text
    moderator = platform.actor("mod", Role.MODERATOR)
    await add_member(app, "mod")
    reply = await platform.message_action(moderator, "mark_helpful", _target("author"))
    assert isinstance(reply, Reply) and "credit" in reply.text
    assert await count(engine, ContributionRow) == 1


async def test_only_the_asker_or_staff_can_mark(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    for name in ("author", "asker", "friend", "mod", "replier"):
        await add_member(app, name)
    refused = await platform.message_action(platform.actor("friend"), "mark_helpful", _target("author"))
    assert isinstance(refused, Reply) and refused.private and "Only the person who asked" in refused.text
    assert await count(engine, ContributionRow) == 0
    # the author of the message the answer replies to is the asker too
    answer = MessageTarget(
        channel_id="C1", channel_name="help", message_id="7", author=ref("author"), reply_to=ref("replier")
    )
    assert "credit" in str(await platform.message_action(platform.actor("replier"), "mark_helpful", answer))
    staff = await platform.message_action(
        platform.actor("mod", Role.MODERATOR), "mark_helpful", _target("author", "43")
    )
    assert isinstance(staff, Reply) and "credit" in staff.text
    assert await count(engine, ContributionRow, ContributionRow.kind == "helpful_answer") == 2


async def test_marks_count_only_in_help_channels(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    await add_member(app, "author")
    await add_member(app, "asker")
    reply = await platform.message_action(
        platform.actor("asker"), "mark_helpful", _target("author", channel="random")
    )
    assert isinstance(reply, Reply) and "#help only" in reply.text
    assert await count(engine, ContributionRow) == 0


async def test_a_marker_has_a_daily_cap(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    await add_member(app, "asker")
    for i in range(6):
        await add_member(app, f"helper{i}")
    replies = [
        await platform.message_action(platform.actor("asker"), "mark_helpful", _target(f"helper{i}", str(i)))
        for i in range(6)
    ]
    assert all("credit" in str(r) for r in replies[:5])
    assert isinstance(replies[5], Reply) and "today's 5 helpful marks" in replies[5].text
    assert await count(engine, ContributionRow) == 5
    clock.advance(days=1, minutes=1)
    tomorrow = await platform.message_action(platform.actor("asker"), "mark_helpful", _target("helper5", "5"))
    assert "credit" in str(tomorrow)


async def test_a_pair_farming_marks_gets_no_badge_and_is_flagged(
    app: App, platform: FakePlatform, engine: AsyncEngine, clock: FixedClock
) -> None:
    a, b = await add_member(app, "a"), await add_member(app, "b")
    for i in range(6):  # each asks in their own thread and marks the other's answer, day after day
        await platform.message_action(platform.actor("a"), "mark_helpful", _target("b", f"a{i}", asker="a"))
        await platform.message_action(platform.actor("b"), "mark_helpful", _target("a", f"b{i}", asker="b"))
        clock.advance(days=1)
    async with engine.connect() as conn:
        counted = await conn.scalar(
            select(func.coalesce(func.sum(MemberWeekRow.count), 0)).where(
                MemberWeekRow.kind == "helpful_answer"
            )
        )
        flagged = await conn.scalar(select(func.count()).where(ContributionRow.kind == "helpful_flagged"))
    assert counted == 0 and flagged == 12
    assert await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "helpful") == 0
    await app.relay.run_once()
    alerts = [p for p in platform.notifier.of_kind(PostMessage) if "marking each other" in (p.title or "")]
    assert len(alerts) == 1 and mention(a.ref) in alerts[0].text and mention(b.ref) in alerts[0].text
    # a third member's marks of the same author still count
    await add_member(app, "c")
    reply = await platform.message_action(platform.actor("c"), "mark_helpful", _target("a", "c1", asker="c"))
    assert isinstance(reply, Reply) and "credit" in reply.text
