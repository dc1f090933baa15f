"""Events API callbacks through the real bolt app: joins through the bus (once per event id, retries
included), messages and reactions to the contribution sink as metadata, uninstalls stopping work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.effects import PostMessage
from bot.core.events import MessagePosted, ReactionAdded
from bot.core.refs import MemberRef
from tests.adapters.slack.fake_slack import BOT_USER_ID, FakeSlackApi
from tests.adapters.slack.harness import LOBBY, MEMBER, MEMBER_CHANNELS, MOD, NEWCOMER, Running, running
from tests.adapters.slack.kit import Kit, build_kit
from tests.conftest import COMMUNITY


@pytest.fixture
def kit() -> Kit:
    return build_kit()


@pytest.fixture
async def run(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi, kit: Kit
) -> AsyncIterator[Running]:
    async with running(engine, db_url, clock, fake_slack, registry=kit.registry, handlers=kit.handlers) as r:
        yield r


def team_join(user_id: str, name: str = "Ada") -> dict[str, object]:
    return {
        "type": "team_join",
        "user": {"id": user_id, "name": name.lower(), "is_bot": False, "profile": {"display_name": name}},
    }


MESSAGE = {
    "type": "message",
    "channel": MEMBER_CHANNELS[0],
    "channel_type": "group",
    "user": MEMBER,
    "text": "my private words <!channel>",
    "ts": "1700000000.000100",
    "blocks": [{"type": "rich_text", "elements": []}],
}


async def test_team_join_records_the_newcomer(run: Running) -> None:
    await run.slack.event(team_join(NEWCOMER, "Ada"), event_id="EvJOIN1")
    await run.settle()

    member = await run.member(NEWCOMER)
    assert member is not None and member.display_name == "Ada" and not member.is_admitted
    assert await run.outbox_count() == 1  # the test kit's welcome post


async def test_a_retried_event_counts_once(run: Running) -> None:
    first = await run.slack.event(team_join(NEWCOMER), event_id="EvSAME")
    await run.settle()
    retries = [
        await run.slack.event(
            team_join(NEWCOMER), event_id="EvSAME", retry_num=n, retry_reason="http_timeout"
        )
        for n in (1, 2)
    ]
    await run.settle()

    assert [r.status for r in (first, *retries)] == [200, 200, 200]
    assert await run.outbox_count() == 1


async def test_a_retry_arriving_while_the_first_delivery_runs_counts_once(run: Running, kit: Kit) -> None:
    kit.hold_joins = True  # the first delivery stops inside its transaction until released
    await run.slack.event(team_join(NEWCOMER), event_id="EvSLOW")
    for _ in range(500):
        if ("join held", NEWCOMER) in kit.seen:
            break
        await asyncio.sleep(0.01)
    assert ("join held", NEWCOMER) in kit.seen  # the first delivery has claimed the id and is waiting
    retry = await run.slack.event(
        team_join(NEWCOMER), event_id="EvSLOW", retry_num=1, retry_reason="http_timeout"
    )
    assert retry.status == 200  # acknowledged at once, even though the first is still running
    kit.release.set()
    await run.settle()

    assert await run.outbox_count() == 1
    assert len(run.bus.calls) == 2  # both reached the bus; the claimed event id let one through


async def test_messages_reach_the_sink_as_metadata_once(run: Running) -> None:
    await run.slack.event(dict(MESSAGE), event_id="EvMSG1")
    await run.slack.event(dict(MESSAGE), event_id="EvMSG1", retry_num=1, retry_reason="http_error")
    await run.settle()
    threaded = {**MESSAGE, "ts": "1700000000.000200", "thread_ts": "1700000000.000100"}
    await run.slack.event(threaded, event_id="EvMSG2")
    await run.settle()

    assert run.sink.events == [
        MessagePosted(
            community_id=COMMUNITY,
            member=MemberRef("slack", MEMBER),
            channel_id=MEMBER_CHANNELS[0],
            message_id="1700000000.000100",
            at=run.sink.events[0].at,
            in_thread=False,
        ),
        MessagePosted(
            community_id=COMMUNITY,
            member=MemberRef("slack", MEMBER),
            channel_id=MEMBER_CHANNELS[0],
            message_id="1700000000.000200",
            at=run.sink.events[1].at,
            in_thread=True,
        ),
    ]
    assert run.sink.events[0].at.timestamp() == 1700000000.0001
    assert "private words" not in repr(run.sink.events)
    assert run.bus.calls == []  # high-volume facts skip the bus (one transaction per message)


@pytest.mark.parametrize(
    "change",
    [
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"bot_id": "B0OTHER"},
        {"channel_type": "im"},
        {"user": None},
    ],
)
async def test_messages_that_are_not_member_posts_are_skipped(
    run: Running, change: dict[str, object]
) -> None:
    await run.slack.event({**MESSAGE, **change})
    await run.settle()
    assert run.sink.events == []


async def test_reactions_reach_the_sink_once(run: Running) -> None:
    reaction = {
        "type": "reaction_added",
        "user": MOD,
        "reaction": "tada",
        "item_user": MEMBER,
        "item": {"type": "message", "channel": MEMBER_CHANNELS[0], "ts": "1700000000.000100"},
    }
    await run.slack.event(reaction, event_id="EvR1")
    await run.slack.event(reaction, event_id="EvR1", retry_num=1, retry_reason="http_timeout")
    await run.slack.event({**reaction, "item": {"type": "file", "file": "F1"}}, event_id="EvR2")
    await run.settle()

    [event] = run.sink.events
    assert isinstance(event, ReactionAdded)
    assert (event.member, event.message_author) == (MemberRef("slack", MOD), MemberRef("slack", MEMBER))
    assert (event.channel_id, event.message_id) == (MEMBER_CHANNELS[0], "1700000000.000100")


async def test_a_newcomer_in_the_lobby_is_told_how_to_get_in(run: Running) -> None:
    joined = {"type": "member_joined_channel", "user": NEWCOMER, "channel": LOBBY, "channel_type": "C"}
    await run.slack.event(joined, event_id="EvLOBBY1")
    await run.slack.event({**joined, "user": BOT_USER_ID}, event_id="EvLOBBY2")  # the bot itself
    await run.slack.event({**joined, "channel": MEMBER_CHANNELS[0]}, event_id="EvLOBBY3")  # not the lobby
    await run.settle()

    [guide] = run.fake.calls_to("chat.postEphemeral")
    assert (guide.params["channel"], guide.params["user"]) == (LOBBY, NEWCOMER)
    assert "`/join-community CODE`" in guide.params["text"]  # /join is Slack's own command
    assert await run.member(NEWCOMER) is not None
    assert await run.member(BOT_USER_ID) is None


async def test_members_in_the_lobby_get_no_guide(run: Running) -> None:
    await run.admit(MEMBER)
    await run.slack.event({"type": "member_joined_channel", "user": MEMBER, "channel": LOBBY})
    await run.settle()
    assert run.fake.calls_to("chat.postEphemeral") == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USER_ID]}},
    ],
)
async def test_uninstall_or_revoked_tokens_stop_work_for_the_workspace(
    run: Running, event: dict[str, object]
) -> None:
    await run.slack.event(event)
    await run.settle()
    async with run.app.uow_factory() as uow:
        await uow.outbox.add(
            PostMessage(COMMUNITY, "announcements", "hello"), platform="slack", now=run.app.clock.now()
        )
        await uow.commit()

    command = await run.slack.slash_command("/help", user_id=NEWCOMER)
    await run.slack.event(team_join(NEWCOMER))
    await run.settle()
    await run.deliver()

    assert command.status == 200 and command.body == ""
    assert run.bus.calls == []  # requests from that workspace are acknowledged and ignored
    assert run.fake.calls_to("chat.postMessage") == []
    async with run.app.uow_factory() as uow:
        [parked] = await uow.outbox.parked()
    assert "stopped" in (parked.last_error or "")


async def test_tokens_revoked_for_users_only_changes_nothing(run: Running) -> None:
    await run.slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE"], "bot": []}})
    await run.slack.slash_command("/help", user_id=NEWCOMER)
    await run.settle()
    assert len(run.responses()) == 1
