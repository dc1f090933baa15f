"""The Slack notifier through the real outbox relay, against the fake Web API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.notifier import channel_name
from bot.clock import FixedClock
from bot.core.effects import (
    AddToSpace,
    AssignBadgeRole,
    ChangeTierRole,
    CreateScheduledEvent,
    DirectMessage,
    EditMessage,
    Effect,
    GrantMemberAccess,
    OpenPrivateSpace,
    PostMessage,
    RevokeMemberAccess,
)
from bot.core.refs import MemberRef
from bot.core.replies import Action, ActionStyle, Field
from bot.core.text import mention
from storage.tables import OutboxRow
from tests.adapters.slack.fake_slack import BOT_USER_ID, UPLOAD_CALL, FakeSlackApi
from tests.adapters.slack.harness import (
    ANNOUNCEMENTS,
    APPLICATIONS,
    CHAMPIONS,
    DIGEST,
    LOBBY,
    MEMBER,
    MEMBER_CHANNELS,
    MOD,
    NEWCOMER,
    Running,
    running,
)
from tests.conftest import COMMUNITY

PNG = b"\x89PNG\r\n\x1a\nfake-chart"


@pytest.fixture
async def run(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> AsyncIterator[Running]:
    async with running(engine, db_url, clock, fake_slack, slack_options={"rate_limit_retries": 1}) as r:
        yield r


async def queue(run: Running, *effects: Effect) -> None:
    async with run.app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="slack", now=run.app.clock.now())
        await uow.commit()


async def statuses(run: Running) -> list[tuple[str, int, str | None]]:
    async with run.engine.connect() as conn:
        rows = await conn.execute(  # the leads' alerts about parked effects aside
            select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error).where(
                OutboxRow.dedupe_key.is_(None) | ~OutboxRow.dedupe_key.startswith("outbox-alert:")
            )
        )
        return [(r.status, r.attempts, r.last_error) for r in rows]


def ref(user_id: str) -> MemberRef:
    return MemberRef("slack", user_id)


async def test_a_post_is_edited_where_it_landed(run: Running) -> None:
    post = PostMessage(
        COMMUNITY,
        "applications",
        f"Application from {mention(ref(NEWCOMER))}",
        title="New application",
        fields=(Field("Working on", "A <b>compiler</b> & more"),),
        actions=(Action("Approve", "app:approve:7", ActionStyle.SUCCESS), Action("Reject", "app:reject:7")),
        message_key="application:7",
    )
    edit = EditMessage(COMMUNITY, "application:7", f"Approved by {mention(ref(MOD))}", title="Approved")
    await queue(run, post, edit)

    assert await run.deliver() == 2

    [posted] = run.fake.calls_to("chat.postMessage")
    [updated] = run.fake.calls_to("chat.update")
    ts = max(ts for channel, ts in run.fake.messages if channel == APPLICATIONS)
    assert (updated.params["channel"], updated.params["ts"]) == (APPLICATIONS, ts)
    assert posted.params["link_names"] is False and posted.params["parse"] == "none"
    kinds = [b["type"] for b in posted.params["blocks"]]
    assert kinds == ["header", "section", "section", "actions"]
    assert (
        posted.params["blocks"][2]["fields"][0]["text"]
        == "*Working on*\nA &lt;b&gt;compiler&lt;/b&gt; &amp; more"
    )
    buttons = posted.params["blocks"][3]["elements"]
    assert [(b["action_id"], b["value"], b.get("style")) for b in buttons] == [
        ("app:approve:7", "app:approve:7", "primary"),
        ("app:reject:7", "app:reject:7", None),
    ]
    assert f"<@{NEWCOMER}>" in posted.params["text"]
    assert updated.params["text"] == f"Approved\nApproved by <@{MOD}>"
    assert "actions" not in [b["type"] for b in updated.params["blocks"]]


async def test_member_access_is_the_member_channels(run: Running) -> None:
    run.fake.members[MEMBER_CHANNELS[1]].add(NEWCOMER)  # already in one of them: fine
    await queue(run, GrantMemberAccess(COMMUNITY, ref(NEWCOMER)))
    await run.deliver()
    assert all(NEWCOMER in run.fake.members[c] for c in MEMBER_CHANNELS)

    run.fake.members[MEMBER_CHANNELS[1]].discard(NEWCOMER)  # left one of them already: fine
    await queue(run, RevokeMemberAccess(COMMUNITY, ref(NEWCOMER)))
    await run.deliver()

    assert not any(NEWCOMER in run.fake.members[c] for c in MEMBER_CHANNELS)
    assert [s for s, _, _ in await statuses(run)] == ["done", "done"]


async def test_a_cohort_is_a_private_channel(run: Running) -> None:
    space = OpenPrivateSpace(
        COMMUNITY, "cohort:3", "Cohort 3 — Spring 2027!", (ref(NEWCOMER), ref(MEMBER)), topic="Welcome, all"
    )
    await queue(
        run,
        space,
        PostMessage(COMMUNITY, "cohort:3", "Say hello to your cohort"),
        AddToSpace(COMMUNITY, "cohort:3", (ref(MOD),)),
    )
    await run.deliver()

    [created] = run.fake.calls_to("conversations.create")
    assert created.params["name"] == "cohort-3-spring-2027" and created.params["is_private"] in (
        True,
        "1",
        "true",
    )
    channel = next(c for c, info in run.fake.channels.items() if info["name"] == "cohort-3-spring-2027")
    assert run.fake.members[channel] == {BOT_USER_ID, NEWCOMER, MEMBER, MOD}
    assert run.fake.channels[channel]["topic"]["value"] == "Welcome, all"
    [hello] = run.fake.calls_to("chat.postMessage")
    assert hello.params["channel"] == channel


async def test_a_redelivered_space_finds_the_channel_it_created(run: Running) -> None:
    existing = run.fake.add_channel("C0COHORT1", "cohort-1", is_private=True, members=[BOT_USER_ID])
    await queue(run, OpenPrivateSpace(COMMUNITY, "cohort:1", "cohort 1", (ref(NEWCOMER),)))
    await run.deliver()

    assert [s for s, _, _ in await statuses(run)] == ["done"]
    assert NEWCOMER in run.fake.members[existing["id"]]
    async with run.app.uow_factory() as uow:
        refs = await uow.refs.get_many(COMMUNITY, ["cohort:1"])
    assert refs["cohort:1"].channel_id == "C0COHORT1"


async def test_direct_message_and_the_digest_chart(run: Running) -> None:
    await queue(
        run,
        DirectMessage(COMMUNITY, ref(NEWCOMER), "You are in!"),
        PostMessage(
            COMMUNITY, "digest", "Active ratio 42%", title="Weekly digest", image_png=PNG, image_name="w.png"
        ),
    )
    await run.deliver()

    [opened] = run.fake.calls_to("conversations.open")
    assert opened.params["users"] == NEWCOMER
    dm, digest = run.fake.calls_to("chat.postMessage")
    assert dm.params["channel"].startswith("D")
    assert digest.params["channel"] == DIGEST
    assert run.fake.methods()[-3:] == [
        "files.getUploadURLExternal",
        UPLOAD_CALL,
        "files.completeUploadExternal",
    ]
    [upload] = run.fake.calls_to(UPLOAD_CALL)
    assert upload.params["content"] == PNG
    [complete] = run.fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == DIGEST
    assert json.loads(complete.params["files"])[0]["title"] == "Weekly digest"


async def test_badge_roles_and_calendar_events_are_no_ops_on_slack(run: Running) -> None:
    start = run.app.clock.now()
    await queue(
        run,
        AssignBadgeRole(COMMUNITY, ref(MEMBER), "champion"),
        CreateScheduledEvent(COMMUNITY, "ama:1", "AMA", start, start + timedelta(hours=1)),
    )
    await run.deliver()
    assert [s for s, _, _ in await statuses(run)] == ["done", "done"]
    assert run.fake.calls == []


async def test_a_tier_is_a_user_group_on_slack(run: Running) -> None:
    run.fake.usergroups[CHAMPIONS] = ["U0OTHER"]
    await queue(run, ChangeTierRole(COMMUNITY, ref(MEMBER), grant="champion", revoke="advocate"))
    await run.deliver()
    assert run.fake.usergroups[CHAMPIONS] == ["U0OTHER", MEMBER]
    await queue(run, ChangeTierRole(COMMUNITY, ref(MEMBER), grant="advocate", revoke="champion"))
    await run.deliver()
    assert run.fake.usergroups[CHAMPIONS] == ["U0OTHER"]
    assert [s for s, _, _ in await statuses(run)] == ["done", "done"]
    [update, _] = run.fake.calls_to("usergroups.users.update")
    assert update.params == {"usergroup": CHAMPIONS, "users": f"U0OTHER,{MEMBER}"}


async def test_a_rate_limit_is_waited_out(run: Running) -> None:
    run.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    await queue(run, PostMessage(COMMUNITY, "announcements", "hello"))
    await run.deliver()

    assert len(run.fake.calls_to("chat.postMessage")) == 2
    assert [s for s, _, _ in await statuses(run)] == ["done"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ({"status": 429, "retry_after": 1, "times": 2}, ("pending", 1, "ratelimited")),
        ({"status": 500}, ("pending", 1, "500")),
        ({"error": "channel_not_found"}, ("parked", 1, "channel_not_found")),
        ({"error": "not_in_channel"}, ("parked", 1, "not_in_channel")),
        ({"error": "invalid_auth"}, ("parked", 1, "invalid_auth")),
    ],
)
async def test_failures_are_retried_or_parked(
    run: Running, failure: dict[str, object], expected: tuple[str, int, str]
) -> None:
    run.fake.fail_next("chat.postMessage", **failure)  # type: ignore[arg-type]
    await queue(run, PostMessage(COMMUNITY, "announcements", "hello"))
    await run.deliver()

    [(status, attempts, error)] = await statuses(run)
    assert (status, attempts) == expected[:2] and expected[2] in (error or "")


async def test_a_channel_the_config_does_not_name_is_parked_with_the_key_to_set(run: Running) -> None:
    await queue(run, PostMessage(COMMUNITY, "recognition", "hello"))
    await run.deliver()

    [(status, _, error)] = await statuses(run)
    assert status == "parked" and "[communities.slack.channels] recognition" in (error or "")
    assert run.fake.calls == []
    assert ANNOUNCEMENTS  # configured channels still work (see the other tests)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cohort 3 — Spring 2027!", "cohort-3-spring-2027"),
        ("  ", "cohort-9"),
        ("x" * 100, "x" * 80),
        ("Über_Gruppe", "ber_gruppe"),
    ],
)
def test_channel_names_follow_slack_rules(name: str, expected: str) -> None:
    assert channel_name(name, "cohort:9") == expected


async def test_a_direct_message_with_a_file_is_one_upload_into_the_dm(run: Running) -> None:
    export = b'{"member_id": 7, "votes": []}'
    await queue(
        run,
        DirectMessage(
            COMMUNITY,
            ref(NEWCOMER),
            "Here is everything Townsquare stores about you <!channel>.",
            attachment=export,
            attachment_name="townsquare-data.json",
        ),
    )
    await run.deliver()

    assert [s for s, _, _ in await statuses(run)] == ["done"]
    assert run.fake.calls_to("chat.postMessage") == []  # the text is the file's comment
    [opened] = run.fake.calls_to("conversations.open")
    assert opened.params["users"] == NEWCOMER
    [upload] = run.fake.calls_to(UPLOAD_CALL)
    assert upload.params["content"] == export
    [complete] = run.fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"].startswith("D")
    assert complete.params["initial_comment"] == (
        "Here is everything Townsquare stores about you &lt;!channel&gt;."
    )
    [file] = json.loads(complete.params["files"])
    assert run.fake.files[file["id"]]["name"] == "townsquare-data.json"


async def test_a_direct_message_with_buttons_and_a_file_sends_both(run: Running) -> None:
    await queue(
        run,
        DirectMessage(
            COMMUNITY,
            ref(NEWCOMER),
            "Your export",
            actions=(Action("Erase my data", "mydata:erase:1"),),
            attachment=b"{}",
            attachment_name="townsquare-data.json.gz",
        ),
    )
    await run.deliver()

    [posted] = run.fake.calls_to("chat.postMessage")
    [complete] = run.fake.calls_to("files.completeUploadExternal")
    assert posted.params["channel"] == complete.params["channel_id"]
    assert "initial_comment" not in complete.params or not complete.params["initial_comment"]


async def test_a_post_links_the_earlier_post_by_permalink(run: Running) -> None:
    first = PostMessage(COMMUNITY, "announcements", "Poll: what next?", message_key="poll:1")
    results = PostMessage(COMMUNITY, "announcements", "Results are in", title="Results", link_key="poll:1")
    orphan = PostMessage(COMMUNITY, "announcements", "Results again", link_key="poll:404")
    await queue(run, first, results, orphan)
    await run.deliver()

    _, linked, unlinked = run.fake.calls_to("chat.postMessage")
    ts = min(ts for channel, ts in run.fake.messages if channel == ANNOUNCEMENTS)  # the first post's
    [asked] = run.fake.calls_to("chat.getPermalink")
    assert (asked.params["channel"], asked.params["message_ts"]) == (ANNOUNCEMENTS, ts)
    [context] = [b for b in linked.params["blocks"] if b["type"] == "context"]
    assert context["elements"][0]["text"].startswith(
        f"<https://townsquare-test.slack.com/archives/{ANNOUNCEMENTS}/p"
    )
    assert "context" not in [b["type"] for b in unlinked.params["blocks"]]


async def test_a_post_goes_out_without_the_link_when_slack_has_no_permalink(run: Running) -> None:
    run.fake.fail_next("chat.getPermalink", error="message_not_found")
    await queue(
        run,
        PostMessage(COMMUNITY, "announcements", "Poll", message_key="poll:1"),
        PostMessage(COMMUNITY, "announcements", "Results", link_key="poll:1"),
    )
    await run.deliver()

    assert [s for s, _, _ in await statuses(run)] == ["done", "done"]
    _, results = run.fake.calls_to("chat.postMessage")
    assert "context" not in [b["type"] for b in results.params["blocks"]]


@pytest.mark.parametrize("error", ["cannot_dm_bot", "messages_tab_disabled"])
async def test_closed_dms_go_to_the_lobby_as_a_message_only_they_see(run: Running, error: str) -> None:
    run.fake.fail_next("conversations.open", error=error)
    await queue(run, DirectMessage(COMMUNITY, ref(NEWCOMER), "Welcome! Use /apply to get in."))
    await run.deliver()

    assert [s for s, _, _ in await statuses(run)] == ["done"]  # delivered, not parked
    [lobby] = run.fake.calls_to("chat.postEphemeral")
    assert (lobby.params["channel"], lobby.params["user"]) == (LOBBY, NEWCOMER)
    assert "Use /apply" in lobby.params["text"]
    assert run.fake.calls_to("chat.postMessage") == []


async def test_closed_dms_with_a_file_or_other_errors_are_parked_as_before(run: Running) -> None:
    from dataclasses import replace

    # No leads' alert here: it would be the post that meets the programmed failure below.
    run.app.relay.policy = replace(run.app.relay.policy, alert_channel=None)
    run.fake.fail_next("conversations.open", error="cannot_dm_bot")
    run.fake.fail_next("chat.postMessage", error="channel_not_found")
    await queue(run, DirectMessage(COMMUNITY, ref(NEWCOMER), "Your export", attachment=b"{}"))
    await run.deliver()
    await queue(run, DirectMessage(COMMUNITY, ref(MEMBER), "Hello"))
    await run.deliver()

    assert [s for s, _, _ in await statuses(run)] == ["parked", "parked"]
    assert run.fake.calls_to("chat.postEphemeral") == []


async def test_a_post_whose_delivery_was_not_recorded_is_looked_for_before_it_is_sent_again(
    run: Running, clock: FixedClock
) -> None:
    from sqlalchemy import update

    def history(params: dict[str, object]) -> dict[str, object]:
        found = [m for (channel, _), m in run.fake.messages.items() if channel == params["channel"]]
        for message in found:  # what Slack returns with include_all_metadata
            if isinstance(message.get("metadata"), str):
                message["metadata"] = json.loads(message["metadata"])
        return {"messages": sorted(found, key=lambda m: str(m["ts"]), reverse=True)}

    run.fake.set_handler("conversations.history", history)
    await queue(run, PostMessage(COMMUNITY, "announcements", "Meetup on Friday", message_key="meetup"))
    await run.deliver()
    [post] = run.fake.calls_to("chat.postMessage")
    metadata = post.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_type"] == "townsquare_outbox"
    # The process died after Slack took the post and before the outbox recorded it.
    async with run.engine.begin() as conn:
        await conn.execute(
            update(OutboxRow).values(status="pending", done_at=None, claimed_until=clock.now())
        )
    clock.advance(minutes=5)  # the dead process's claim runs out
    await run.deliver()
    assert len(run.fake.calls_to("chat.postMessage")) == 1  # found, not sent again
    assert len(run.fake.calls_to("conversations.history")) == 1
    assert [status for status, _, _ in await statuses(run)] == ["done"]
