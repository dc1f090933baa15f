"""Mark helpful: credits the author once per message, never oneself or a bot, staff told apart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.core.refs import Role
from bot.core.registry import MessageTarget
from bot.core.replies import Reply
from storage.contributions.tables import ContributionRow, MemberWeekRow
from tests.core.support import add_member, count, ref


def _target(author: str, message_id: str = "42", **kwargs: bool) -> MessageTarget:
    return MessageTarget(channel_id="help", message_id=message_id, author=ref(author), **kwargs)


async def test_a_peer_marks_an_answer_helpful_once(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    author, asker = await add_member(app, "author"), await add_member(app, "asker")
    other = await add_member(app, "other")
    reply = await platform.message_action(platform.actor("asker"), "mark_helpful", _target("author"))
    assert isinstance(reply, Reply) and "gets the credit" in reply.text and reply.private
    again = await platform.message_action(platform.actor("other"), "mark_helpful", _target("author"))
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
    reply = await platform.message_action(platform.actor("newcomer"), "mark_helpful", _target("author"))
    assert isinstance(reply, Reply) and "for members" in reply.text
    moderator = platform.actor("mod", Role.MODERATOR)
    await add_member(app, "mod")
    reply = await platform.message_action(moderator, "mark_helpful", _target("author"))
    assert isinstance(reply, Reply) and "credit" in reply.text
    assert await count(engine, ContributionRow) == 1
