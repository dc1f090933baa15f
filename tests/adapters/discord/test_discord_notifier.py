"""The Discord notifier: every effect as the exact requests Discord receives, and failures mapped onto
the outbox's retry policy."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from adapters.discord.identity import Communities
from adapters.discord.notifier import DiscordNotifier
from bot.config import CommunityConfig
from bot.core.effects import (
    AddToSpace,
    AssignBadgeRole,
    CancelScheduledEvent,
    ChangeTierRole,
    CreateScheduledEvent,
    DirectMessage,
    Effect,
    GrantMemberAccess,
    OpenPrivateSpace,
    PostMessage,
    RevokeMemberAccess,
)
from bot.core.ports import DeliveryError, PlatformRef
from bot.core.refs import MemberRef
from bot.core.replies import Field
from bot.core.text import mention
from storage.tables import OutboxRow
from tests.adapters.discord.conftest import Harness

PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 20
COMMUNITY = "town"


def _ref(harness: Harness, name: str) -> MemberRef:
    return MemberRef("discord", str(harness.square.member_id(name)))


async def _queue(harness: Harness, *effects: Effect) -> None:
    async with harness.app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="discord", now=harness.clock.now())
        await uow.commit()


async def _outbox(harness: Harness) -> list[tuple[str, int, str | None]]:
    async with harness.app.engine.connect() as conn:
        rows = await conn.execute(  # the leads' alerts about parked effects aside
            select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error).where(
                OutboxRow.dedupe_key.is_(None) | ~OutboxRow.dedupe_key.startswith("outbox-alert:")
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_digest_post_is_an_embed_with_the_chart_attached(harness: Harness) -> None:
    fake, digest = harness.fake, harness.square.ids["channel:digest"]
    effect = PostMessage(
        COMMUNITY,
        "digest",
        f"Most helpful: {mention(_ref(harness, 'alice'))}",
        title="Weekly digest",
        fields=(Field("Active members", "12"), Field("Answered", "90%")),
        image_png=PNG,
        image_name="health chart.png",
        message_key="digest:2026-45",
    )
    async with harness.running(harness.client()) as client:
        refs = await client.notifier.deliver(effect, {})
    [request] = fake.requests_to("POST", f"/channels/{digest}/messages")
    [file] = request.files
    assert file.filename == "health_chart.png" and file.data == PNG
    [embed] = request.payload["embeds"]
    assert embed["title"] == "Weekly digest"
    assert embed["description"] == f"Most helpful: <@{harness.square.member_id('alice')}>"
    assert embed["image"] == {"url": "attachment://health_chart.png"}
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("Active members", "12"),
        ("Answered", "90%"),
    ]
    assert request.payload["allowed_mentions"] == {"parse": [], "users": []}  # embeds never ping
    [message] = fake.sent_messages(digest)
    assert refs == {"digest:2026-45": PlatformRef(str(digest), message["id"])}


async def test_a_rate_limited_post_is_sent_once(harness: Harness) -> None:
    fake, welcome = harness.fake, harness.square.ids["channel:welcome"]
    fake.fail_next("POST", rf"/channels/{welcome}/messages", 429, retry_after=0.05)
    async with harness.running(harness.client()):
        await _queue(harness, PostMessage(COMMUNITY, "welcome", f"Welcome {mention(_ref(harness, 'nina'))}!"))
        await harness.app.relay.run_once()
    assert [r.status for r in fake.requests_to("POST", f"/channels/{welcome}/messages")] == [429, 200]
    assert len(fake.sent_messages(welcome)) == 1
    assert await _outbox(harness) == [("done", 1, None)]


async def test_a_server_error_goes_back_to_the_outbox_and_is_delivered_later(harness: Harness) -> None:
    fake, welcome = harness.fake, harness.square.ids["channel:welcome"]
    fake.fail_next("POST", rf"/channels/{welcome}/messages", 503)
    async with harness.running(harness.client()):
        await _queue(harness, PostMessage(COMMUNITY, "welcome", "Hello"))
        await harness.app.relay.run_once()
        [(status, attempts, error)] = await _outbox(harness)
        assert (status, attempts) == ("pending", 1) and error is not None and "503" in error
        harness.clock.advance(seconds=5)
        await harness.app.relay.run_once()
    assert [status for status, _, _ in await _outbox(harness)] == ["done"]
    assert len(fake.sent_messages(welcome)) == 1


async def test_closed_direct_messages_go_to_the_welcome_channel_pinging_only_that_member(
    harness: Harness,
) -> None:
    fake, welcome = harness.fake, harness.square.ids["channel:welcome"]
    nina, alice = harness.square.member_id("nina"), harness.square.member_id("alice")
    fake.fail_next("POST", r"/channels/\d+/messages", 403, code=50007)
    async with harness.running(harness.client()):
        await _queue(harness, DirectMessage(COMMUNITY, _ref(harness, "nina"), f"Welcome! Ask <@{alice}>."))
        await harness.app.relay.run_once()
    assert [status for status, _, _ in await _outbox(harness)] == ["done"]  # delivered, not parked
    [request] = fake.requests_to("POST", f"/channels/{welcome}/messages")
    assert request.payload["content"].startswith(f"<@{nina}> Welcome!")
    assert request.payload["allowed_mentions"] == {"parse": [], "users": [nina]}


async def test_closed_direct_messages_with_a_file_are_parked_not_retried(harness: Harness) -> None:
    fake = harness.fake
    fake.fail_next("POST", r"/channels/\d+/messages", 403, code=50007)
    async with harness.running(harness.client()):
        await _queue(harness, DirectMessage(COMMUNITY, _ref(harness, "nina"), "Export", attachment=b"{}"))
        await harness.app.relay.run_once()
    [(status, attempts, error)] = await _outbox(harness)
    assert (status, attempts) == ("parked", 1) and "50007" in (error or "")


async def test_tier_roles_are_granted_and_revoked(harness: Harness) -> None:
    fake, guild, ids = harness.fake, harness.square.guild, harness.square.ids
    nina = harness.square.member_id("nina")
    async with harness.running(harness.client()) as client:
        deliver = client.notifier.deliver
        await deliver(ChangeTierRole(COMMUNITY, _ref(harness, "nina"), grant="advocate"), {})
        nina_ref = _ref(harness, "nina")
        await deliver(ChangeTierRole(COMMUNITY, nina_ref, grant="champion", revoke="advocate"), {})
    role_calls = fake.requests_to("*", re.compile(rf"/guilds/{guild['id']}/members/{nina}/roles/\d+"))
    assert [(r.method, r.path.rsplit("/", 1)[1]) for r in role_calls] == [
        ("PUT", str(ids["role:Helper"])),
        ("DELETE", str(ids["role:Helper"])),  # champion maps to no role here: only the revoke
    ]


async def test_member_access_and_badge_roles(harness: Harness) -> None:
    fake, guild, ids = harness.fake, harness.square.guild, harness.square.ids
    nina = harness.square.member_id("nina")
    async with harness.running(harness.client()) as client:
        deliver = client.notifier.deliver
        await deliver(GrantMemberAccess(COMMUNITY, _ref(harness, "nina")), {})
        await deliver(AssignBadgeRole(COMMUNITY, _ref(harness, "nina"), "helper"), {})
        await deliver(AssignBadgeRole(COMMUNITY, _ref(harness, "nina"), "unmapped"), {})  # no role: no-op
        await deliver(RevokeMemberAccess(COMMUNITY, _ref(harness, "nina")), {})
    role_calls = fake.requests_to("*", re.compile(rf"/guilds/{guild['id']}/members/{nina}/roles/\d+"))
    assert [
        (r.method, r.path.rsplit("/", 1)[1], unquote(r.headers["X-Audit-Log-Reason"])) for r in role_calls
    ] == [
        ("PUT", str(ids["role:Member"]), "Townsquare: admitted"),
        ("PUT", str(ids["role:Helper"]), "Townsquare: badge helper"),
        ("DELETE", str(ids["role:Member"]), "Townsquare: removed"),
    ]


async def test_cohort_space_is_a_private_thread_under_the_parent(harness: Harness) -> None:
    fake, parent = harness.fake, harness.square.ids["channel:cohort_parent"]
    members = (_ref(harness, "alice"), _ref(harness, "nina"))
    async with harness.running(harness.client()) as client:
        refs = await client.notifier.deliver(
            OpenPrivateSpace(COMMUNITY, "cohort:3", "Cohort 3 · November", members, topic="Say hello!"), {}
        )
        thread_id = refs["cohort:3"].channel_id
        await client.notifier.deliver(AddToSpace(COMMUNITY, "cohort:3", (_ref(harness, "lee"),)), refs)
        await client.notifier.deliver(PostMessage(COMMUNITY, "cohort:3", "First meeting tomorrow"), refs)
    [create] = fake.requests_to("POST", f"/channels/{parent}/threads")
    assert create.payload | {"type": 12, "invitable": False, "auto_archive_duration": 10080} == create.payload
    assert create.payload["name"] == "Cohort 3 · November"
    added = {
        int(r.path.rsplit("/", 1)[1])
        for r in fake.requests_to("PUT", re.compile(r"/channels/\d+/thread-members/\d+"))
    }
    assert added == {harness.square.member_id(n) for n in ("alice", "nina", "lee")}
    assert fake.thread_members[int(thread_id)] >= added
    assert [m["content"] for m in fake.sent_messages(int(thread_id))] == [
        "Say hello!",
        "First meeting tomorrow",
    ]


async def test_cohort_space_can_be_a_private_channel(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    category = fake.channel("Cohorts", type=4, guild=guild)
    data = harness.community.model_dump(mode="python")
    data["discord"]["cohort_space"] = "channel"
    data["discord"]["channels"]["cohort_parent"] = int(category["id"])
    community = CommunityConfig.model_validate(data)
    async with harness.running(harness.client()) as client:
        notifier = DiscordNotifier(client, Communities.of([community]), harness.clock)
        refs = await notifier.deliver(
            OpenPrivateSpace(COMMUNITY, "cohort:4", "cohort-4", (_ref(harness, "alice"),)), {}
        )
        await notifier.deliver(AddToSpace(COMMUNITY, "cohort:4", (_ref(harness, "nina"),)), refs)
    [create] = fake.requests_to("POST", f"/guilds/{guild['id']}/channels")
    assert create.payload["parent_id"] == int(category["id"]) and create.payload["type"] == 0
    overwrites = {o["id"]: o for o in create.payload["permission_overwrites"]}
    everyone = overwrites[int(guild["id"])]
    assert everyone["type"] == 0 and int(everyone["deny"]) & 1024  # @everyone cannot view
    assert overwrites[harness.fake.application_id]["type"] == 1
    channel_id = refs["cohort:4"].channel_id
    for name in ("alice", "nina"):  # each member is let in on their own: one who left stops no one
        path = f"/channels/{channel_id}/permissions/{harness.square.member_id(name)}"
        [grant] = fake.requests_to("PUT", path)
        assert grant.payload["type"] == 1 and int(grant.payload["allow"]) & 1024


async def test_programme_sessions_become_scheduled_events(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    voice = fake.channel("Town hall", type=2, guild=guild)
    starts = harness.clock.now() + timedelta(days=2)
    ama = CreateScheduledEvent(
        COMMUNITY,
        "event:ama:1",
        "AMA with Ada",
        starts,
        starts + timedelta(hours=1),
        description="Ask anything",
        channel="announcements",
    )
    showcase = CreateScheduledEvent(
        COMMUNITY,
        "event:show:2",
        "Showcase",
        starts,
        starts + timedelta(hours=1),
        channel=f"id:{voice['id']}",
    )
    past = CreateScheduledEvent(
        COMMUNITY, "event:old", "Old", harness.clock.now() - timedelta(hours=1), harness.clock.now()
    )
    async with harness.running(harness.client()) as client:
        refs = dict(await client.notifier.deliver(ama, {}))
        refs |= await client.notifier.deliver(showcase, {})
        assert await client.notifier.deliver(past, {}) == {}
        await client.notifier.deliver(CancelScheduledEvent(COMMUNITY, "event:ama:1"), refs)
    external, in_voice = (
        r.payload for r in fake.requests_to("POST", f"/guilds/{guild['id']}/scheduled-events")
    )
    announcements = harness.square.ids["channel:announcements"]
    assert external["entity_type"] == 3 and external["privacy_level"] == 2
    assert external["entity_metadata"] == {
        "location": f"https://discord.com/channels/{guild['id']}/{announcements}"
    }
    assert external["name"] == "AMA with Ada" and external["description"] == "Ask anything"
    assert external["scheduled_start_time"].startswith(starts.isoformat()[:19])
    assert in_voice["entity_type"] == 2 and in_voice["channel_id"] == int(voice["id"])
    ama_id = refs["event:ama:1"].message_id
    [cancel] = fake.requests_to("PATCH", f"/guilds/{guild['id']}/scheduled-events/{ama_id}")
    assert cancel.payload["status"] == 4  # Discord: 4 = canceled


async def test_misconfiguration_is_parked_with_the_key_to_set(harness: Harness) -> None:
    async with harness.running(harness.client()) as client:
        with pytest.raises(DeliveryError) as info:
            await client.notifier.deliver(PostMessage(COMMUNITY, "ideas", "A new idea"), {})
    assert not info.value.retryable and "communities.discord.channels.ideas" in str(info.value)


async def test_before_login_effects_wait(harness: Harness) -> None:
    client = harness.client()
    with pytest.raises(DeliveryError) as info:
        await client.notifier.deliver(PostMessage(COMMUNITY, "welcome", "Hello"), {})
    assert info.value.retryable
    await client.close()


async def test_a_direct_message_carries_its_file(harness: Harness) -> None:
    fake, nina = harness.fake, harness.square.member_id("nina")
    export = b'{"member_id": 7, "votes": []}'
    async with harness.running(harness.client()):
        await _queue(
            harness,
            DirectMessage(
                COMMUNITY,
                _ref(harness, "nina"),
                "Here is everything Townsquare stores about you.",
                attachment=export,
                attachment_name="townsquare-data.json",
            ),
            DirectMessage(
                COMMUNITY,
                _ref(harness, "nina"),
                "Compressed",
                attachment=b"\x1f\x8b",
                attachment_name="../x y.json.gz",
            ),
        )
        await harness.app.relay.run_once()
    dm = next(c for c in fake.channels.values() if c["type"] == 1 and c["recipients"][0]["id"] == str(nina))
    first, second = fake.requests_to("POST", f"/channels/{dm['id']}/messages")
    [file] = first.files
    assert (file.filename, file.data) == ("townsquare-data.json", export)
    assert first.payload["content"] == "Here is everything Townsquare stores about you."
    assert first.payload["allowed_mentions"] == {"parse": [], "users": []}
    assert [(f.filename, f.data) for f in second.files] == [("_x_y.json.gz", b"\x1f\x8b")]
    assert await _outbox(harness) == [("done", 1, None), ("done", 1, None)]


async def test_a_titled_post_that_credits_members_pings_them_and_links_the_earlier_post(
    harness: Harness,
) -> None:
    fake, announcements, guild = (
        harness.fake,
        harness.square.ids["channel:announcements"],
        harness.square.guild,
    )
    alice, mo = harness.square.member_id("alice"), harness.square.member_id("mo")
    effect = PostMessage(
        COMMUNITY,
        "announcements",
        f"#4 Dark @everyone is live.\nSuggested by {mention(_ref(harness, 'alice'))}. "
        f"First to vote: {mention(_ref(harness, 'mo'))}.",
        title="Shipped: Dark @here",
        link_key="idea:4",
    )
    earlier = PlatformRef("111", "222")
    async with harness.running(harness.client()) as client:
        await client.notifier.deliver(effect, {"idea:4": earlier})
        await client.notifier.deliver(effect, {})  # where the idea went is unknown: no link
    linked, unlinked = fake.requests_to("POST", f"/channels/{announcements}/messages")
    body = linked.payload
    assert body["content"] == (
        f"**Shipped: Dark @\u200bhere**\n#4 Dark @\u200beveryone is live.\n"
        f"Suggested by <@{alice}>. First to vote: <@{mo}>."
    )
    assert "embeds" not in body or not body["embeds"]
    assert body["allowed_mentions"]["parse"] == [] and sorted(body["allowed_mentions"]["users"]) == sorted(
        [alice, mo]
    )
    [[button]] = [row["components"] for row in body["components"]]
    assert (button["style"], button["label"]) == (5, "Go to the post")  # a link button: no interaction
    assert button["url"] == f"https://discord.com/channels/{guild['id']}/111/222"
    assert not unlinked.payload.get("components")


async def test_a_resend_after_a_lost_answer_carries_the_same_nonce_and_makes_one_message(
    harness: Harness,
) -> None:
    from bot.core.ports import Attempt

    fake, welcome = harness.fake, harness.square.ids["channel:welcome"]
    effect = PostMessage(COMMUNITY, "welcome", "Hello")
    async with harness.running(harness.client()) as client:
        first = await client.notifier.deliver(effect, {}, Attempt("outbox:7"))
        # The process died before recording the delivery: the relay tries the same item again.
        again = await client.notifier.deliver(effect, {}, Attempt("outbox:7", resumed=True))
        other = await client.notifier.deliver(effect, {}, Attempt("outbox:8"))
    requests = fake.requests_to("POST", f"/channels/{welcome}/messages")
    nonces = [r.payload["nonce"] for r in requests]
    assert nonces[0] == nonces[1] != nonces[2] and len(nonces[0]) <= 25
    assert all(r.payload["enforce_nonce"] is True for r in requests)
    assert len(fake.sent_messages(welcome)) == 2  # the resend of outbox:7 made no second message
    assert first == again == {} and other == {}


async def test_ten_minutes_of_503_pause_the_relay_and_every_post_goes_out_once_in_order(
    harness: Harness,
) -> None:
    fake, welcome = harness.fake, harness.square.ids["channel:welcome"]
    path = rf"/channels/{welcome}/messages"
    fake.fail_next("POST", path, 503, times=10_000)
    async with harness.running(harness.client()):
        await _queue(harness, *(PostMessage(COMMUNITY, "welcome", f"news {i}") for i in range(12)))
        for _ in range(120):  # ten minutes of the relay's clock, a pass every 5 s
            await harness.app.relay.run_once()
            harness.clock.advance(seconds=5)
        tried = len(fake.requests_to("POST", f"/channels/{welcome}/messages"))
        assert tried <= 3 + 20  # paused after three 503s, then one probe at a time (≤ 1 a minute)
        assert {status for status, _, _ in await _outbox(harness)} == {"pending"}  # none parked
        fake._failures.clear()  # Discord is back
        for _ in range(30):
            await harness.app.relay.run_once()
            harness.clock.advance(seconds=5)
    assert [status for status, _, _ in await _outbox(harness)] == ["done"] * 12
    assert [m["content"] for m in fake.sent_messages(welcome)] == [f"news {i}" for i in range(12)]
