"""Issue 10 on Discord, end to end on the real core: /idea → modal → the idea post with its Upvote
button → another member votes → the count is edited in place → a lead marks it shipped → the voters are
told by DM and the public credit pings exactly the author and the voters, whatever the title says.

Run with the ideas channel as a text channel and as a forum (one forum post per idea)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.discord.client import TownsquareClient
from adapters.discord.identity import Communities
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.feedback.commands import SendIdeaNotices
from bot.core.members import AdmissionMethod, MemberStatus
from bot.core.refs import MemberRef
from tests.adapters.discord.conftest import Square, assert_no_mass_pings
from tests.adapters.discord.fake_discord import JSON, FakeDiscord, running_client
from tests.adapters.discord.kit import community_config

EPHEMERAL, MODAL, MESSAGE = 64, 9, 4
FORUM, TEXT = 15, 0


@dataclass
class Live:
    fake: FakeDiscord
    square: Square
    app: App
    ideas: int  # the ideas channel (a text channel or a forum)

    def user(self, name: str) -> JSON:
        return self.square.members[name]

    def uid(self, name: str) -> int:
        return self.square.member_id(name)

    async def answer(self, interaction: JSON) -> JSON:
        """Dispatch an interaction; the first callback the bot sent for it."""
        await self.fake.dispatch("INTERACTION_CREATE", interaction)
        path = self.fake.callback_path(interaction)
        return (await self.fake.wait_for_request("POST", path)).payload

    def posts(self) -> list[JSON]:
        """The bot's public messages in the ideas channel, or in the forum's posts, oldest first."""
        threads = {ch["id"] for ch in self.fake.channels.values() if ch.get("parent_id") == str(self.ideas)}
        where = {str(self.ideas)} | threads
        return [
            m
            for m in self.fake.sent_messages()
            if m["channel_id"] in where and not m["flags"] & EPHEMERAL  # not an interaction's answer
        ]

    def dm_recipients(self) -> set[int]:
        """Users the bot wrote a direct message to."""
        return {
            int(ch["recipients"][0]["id"])
            for ch in self.fake.channels.values()
            if ch["type"] == 1 and self.fake.sent_messages(int(ch["id"]))
        }


@pytest.fixture(params=[TEXT, FORUM], ids=["text-channel", "forum"])
async def live(
    request: pytest.FixtureRequest,
    fake_discord: FakeDiscord,
    square: Square,
    db_url: str,
    engine: AsyncEngine,
    clock: FixedClock,
) -> AsyncIterator[Live]:
    """The real app and a client on its bus; #ideas is a text channel or a forum."""
    ideas = fake_discord.channel("ideas", type=request.param, guild=square.guild)
    community = community_config(square.guild, square.ids)
    community["discord"]["channels"]["ideas"] = int(ideas["id"])
    settings = Settings.model_validate({"database": {"url": db_url}, "communities": [community]})
    client = TownsquareClient(Communities.of(settings.communities), clock, guild_ready_timeout=0.05)
    app = build_app(settings, clock, {"discord": client.notifier}, engine=engine)
    await app.ensure_communities()
    client.bind(app.bus, app.ingest)
    async with running_client(client, "fake-token"):
        await asyncio.wait_for(client.invites_read.wait(), 5)
        yield Live(fake_discord, square, app, int(ideas["id"]))
    assert_no_mass_pings(fake_discord)


async def _admit(app: App, user_id: int, name: str) -> None:
    async with app.uow_factory() as uow:
        member = await uow.members.upsert_seen(
            "town", MemberRef("discord", str(user_id)), app.clock.now(), display_name=name
        )
        member.status = MemberStatus.ADMITTED
        member.admitted_at = app.clock.now()
        member.admission_method = AdmissionMethod.LEAD
        await uow.members.save(member)
        await uow.commit()


def _buttons(message: JSON) -> dict[str, JSON]:
    return {
        c.get("custom_id") or c["url"]: c
        for row in message.get("components", [])
        for c in row.get("components", [])
    }


def _field(message: JSON, name: str) -> str:
    [embed] = message["embeds"]
    return next(f["value"] for f in embed["fields"] if f["name"] == name)


async def _file_idea(live: Live, title: str) -> JSON:
    """alice runs /idea, fills in the modal; the relay posts the idea."""
    alice, guild = live.user("alice"), live.square.guild
    opened = await live.answer(live.fake.slash_interaction("idea", user=alice, guild=guild))
    assert opened["type"] == MODAL
    modal = opened["data"]
    inputs = [label["component"]["custom_id"] for label in modal["components"]]
    assert inputs == ["title", "details", "area"]
    answers = {"title": title, "details": "Easier on the eyes at night.", "area": "editor"}
    submit = live.fake.modal_submit_interaction(
        modal["custom_id"],
        [{"type": 18, "component": {"type": 4, "custom_id": k, "value": v}} for k, v in answers.items()],
        user=alice,
        guild=guild,
    )
    filed = await live.answer(submit)
    assert filed["type"] == MESSAGE and filed["data"]["flags"] == EPHEMERAL
    assert filed["data"]["content"].startswith("Filed as #1 ")
    await live.app.relay.run_once()
    [post] = live.posts()
    return post


async def _upvote(live: Live, post: JSON, name: str) -> JSON:
    press = live.fake.component_interaction(
        "idea:vote:1", message=post, user=live.user(name), guild=live.square.guild
    )
    answer = await live.answer(press)
    await live.app.relay.run_once()
    return answer


async def test_idea_to_shipped_with_credit_on_discord(live: Live) -> None:
    fake, app = live.fake, live.app
    for name in ("alice", "mo", "nina", "lee"):
        await _admit(app, live.uid(name), name)
    role = live.square.ids["role:Member"]
    title = f"Dark mode @everyone <@&{role}> @here"

    post = await _file_idea(live, title)
    post_path = f"/channels/{post['channel_id']}/messages/{post['id']}"
    assert _buttons(post)["idea:vote:1"]["label"] == "Upvote · 1"  # the author's own vote
    assert _field(post, "Votes") == "1"
    if int(post["channel_id"]) == live.ideas:
        assert fake.channels[live.ideas]["type"] == TEXT
    else:  # a forum: the idea is a forum post of its own, named after the idea
        thread = fake.channels[int(post["channel_id"])]
        assert thread["parent_id"] == str(live.ideas) and thread["name"].startswith("#1 Dark mode")
        assert fake.channels[live.ideas]["type"] == FORUM

    # another member votes: the same message is edited, nothing new is posted
    answer = await _upvote(live, post, "mo")
    assert answer["data"]["flags"] == EPHEMERAL and "(2 votes)" in answer["data"]["content"]
    assert [r.status for r in fake.requests_to("PATCH", post_path)] == [200]
    edited = fake.messages[int(post["id"])]
    assert _buttons(edited)["idea:vote:1"]["label"] == "Upvote · 2" and _field(edited, "Votes") == "2"
    await _upvote(live, post, "nina")
    assert _field(fake.messages[int(post["id"])], "Votes") == "3"
    assert len(live.posts()) == 1

    # the lead ships it
    status = fake.slash_interaction(
        "ideas",
        [
            {
                "type": 1,
                "name": "status",
                "options": [
                    {"name": "id", "type": 4, "value": 1},
                    {"name": "status", "type": 3, "value": "shipped"},
                ],
            }
        ],
        user=live.user("lee"),
        guild=live.square.guild,
    )
    changed = await live.answer(status)
    assert changed["data"]["flags"] == EPHEMERAL and "is now shipped" in changed["data"]["content"]
    await app.relay.run_once()
    shipped = fake.messages[int(post["id"])]
    assert _field(shipped, "Status") == "Shipped" and "idea:vote:1" not in _buttons(shipped)

    # the public credit: exactly the author and the voters are pinged, nothing the title says
    [announcement] = [m for m in live.posts() if m["id"] != post["id"]]
    request = next(
        r
        for r in fake.requests
        if r.method == "POST"
        and re.fullmatch(rf"/channels/({announcement['channel_id']}|{live.ideas})/(messages|threads)", r.path)
        and r.payload
        and "Shipped" in str(r.payload)
    )
    sent = request.payload.get("message", request.payload)  # a forum post carries its message inside
    people = {live.uid(n) for n in ("alice", "mo", "nina")}
    assert sent["allowed_mentions"]["parse"] == []
    assert set(sent["allowed_mentions"]["users"]) == people
    content = announcement["content"]
    assert set(map(int, re.findall(r"<@!?(\d+)>", content))) == people
    assert "@\u200beveryone" in content and "@\u200bhere" in content and f"<@\u200b&{role}>" in content
    link = f"https://discord.com/channels/{live.square.guild['id']}/{post['channel_id']}/{post['id']}"
    assert _buttons(announcement)[link]["style"] == 5  # a link button to the idea's post

    # the daily batch: author and voters are told privately, the lead who shipped it is not
    await app.bus.handle(SendIdeaNotices(community_id="town"))
    await app.relay.run_once()
    assert live.dm_recipients() == people
    dm_channel = next(
        ch
        for ch in fake.channels.values()
        if ch["type"] == 1 and ch["recipients"][0]["id"] == str(live.uid("mo"))
    )
    [dm] = fake.sent_messages(int(dm_channel["id"]))
    assert "Shipped" in dm["content"] and "@\u200beveryone" in dm["content"]
    assert not re.search(r"<@!?\d+>", dm["content"])


async def test_a_member_who_presses_upvote_again_withdraws_the_vote(live: Live, clock: FixedClock) -> None:
    for name in ("alice", "mo"):
        await _admit(live.app, live.uid(name), name)
    post = await _file_idea(live, "Keyboard shortcuts for everything")
    await _upvote(live, post, "mo")
    clock.advance(seconds=30)  # not a double click
    answer = await _upvote(live, post, "mo")
    assert "withdrawn (1 votes now)" in answer["data"]["content"]
    edited = live.fake.messages[int(post["id"])]
    assert _buttons(edited)["idea:vote:1"]["label"] == "Upvote · 1"
    path = f"/channels/{post['channel_id']}/messages/{post['id']}"
    assert len(live.fake.requests_to("PATCH", path)) == 2
