"""Joins, leaves, messages and reactions from the gateway; referral invites minted and attributed."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from adapters.discord.invites import (
    AMBIGUOUS,
    CERTAIN,
    INFERRED,
    LIKELY,
    Attribution,
    InviteUse,
    Snapshot,
    attribute,
)
from bot.core import commands as core_commands
from bot.core.events import MemberJoined, MemberLeft, MessagePosted, ReactionAdded
from bot.core.gates.commands import AttachInvite
from bot.core.pseudonyms import keyed_hash
from bot.core.refs import Actor, MemberRef
from storage.tables import ProcessedEventRow
from tests.adapters.discord.conftest import Harness
from tests.adapters.discord.fake_discord import JSON
from tests.adapters.discord.kit import GiveCode


async def _joined(harness: Harness, count: int = 1, timeout: float = 5.0) -> list[MemberJoined]:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while len([e for e in harness.recorder.events if isinstance(e, MemberJoined)]) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return [e for e in harness.recorder.events if isinstance(e, MemberJoined)]


async def test_a_duplicated_member_join_is_handled_once(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        newcomer = fake.member("carol")
        frame = await fake.dispatch("GUILD_MEMBER_ADD", fake.member_event(newcomer, guild))
        assert frame is not None
        await fake.send_raw(frame)  # Discord (or a resume) delivers the same frame again
        await fake.send_raw(frame)
        [event] = await _joined(harness)
        await asyncio.sleep(0.3)
    assert len(await _joined(harness)) == 1
    assert event.member == MemberRef("discord", newcomer["user"]["id"]) and event.display_name == "carol"
    async with harness.app.engine.connect() as conn:
        claimed = (await conn.execute(select(ProcessedEventRow.event_id))).scalars().all()
    # stored as a keyed hash under the community's salt: it dedupes, but carries no user id
    raw = f"member_add:{guild['id']}:{newcomer['user']['id']}:{event.at.isoformat()}"
    async with harness.app.uow_factory() as uow:
        salt = await uow.communities.privacy_salt(event.community_id)
    assert salt and claimed == [keyed_hash(salt, raw)]
    assert newcomer["user"]["id"] not in claimed[0]


async def test_a_join_through_a_personal_invite_is_inferred_from_its_use_count(harness: Harness) -> None:
    fake, guild, ids = harness.fake, harness.square.guild, harness.square.ids
    fake.invite(guild, code="other01", uses=4)
    async with harness.running(harness.client()):
        # /refer: the core gives the code; the adapter mints a personal invite for it
        refer = fake.slash_interaction("refer", user=harness.square.members["alice"], guild=guild)
        await fake.dispatch("INTERACTION_CREATE", refer)
        answer = await fake.wait_for_request("POST", fake.callback_path(refer))
        minted = fake.requests_to("POST", f"/channels/{ids['channel:welcome']}/invites")
        assert [r.payload for r in minted] == [
            {"max_age": 7 * 24 * 3600, "max_uses": 3, "temporary": False, "unique": True}
        ]
        code = next(c for c, i in fake.invites.items() if i["max_uses"] == 3)
        embed = answer.payload["data"]["embeds"][0]
        assert f"https://discord.gg/{code}" in embed["description"]
        assert {"name": "Invite", "value": f"https://discord.gg/{code}", "inline": False} in embed["fields"]

        fake.bump_invite(code)  # Discord counts the use before it announces the member
        await fake.member_join(guild, fake.member("dora"))
        [event] = await _joined(harness)
    assert (event.invite_code, event.invite_confidence) == (code, INFERRED)
    tied = [c for c in harness.recorder.commands if type(c).__name__ == "AttachInvite"]
    if hasattr(core_commands, "AttachInvite"):  # the code is told which invite is its own
        assert [(c.code, c.invite_code) for c in tied] == [("ABCDE-FGHJK", code)]  # type: ignore[attr-defined]


async def test_simultaneous_joins_are_ambiguous_and_earn_no_referral(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    fake.invite(guild, code="first001")
    fake.invite(guild, code="second02")
    async with harness.running(harness.client()):
        fake.bump_invite("first001")
        fake.bump_invite("second02")
        await fake.member_join(guild, fake.member("eve"))
        await fake.member_join(guild, fake.member("finn"))
        events = await _joined(harness, 2)
    assert [(e.invite_code, e.invite_confidence) for e in events] == [(None, AMBIGUOUS), (None, AMBIGUOUS)]


async def test_a_join_through_the_vanity_url_is_not_a_referral(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    fake.invite(guild, code="personal1")
    fake.set_vanity_url(guild, "townsquare", uses=10)
    async with harness.running(harness.client()):
        fake.bump_invite("townsquare")
        await fake.member_join(guild, fake.member("gus"))
        [event] = await _joined(harness)
    assert (event.invite_code, event.invite_confidence) == (None, None)
    assert fake.requests_to("GET", f"/guilds/{guild['id']}/vanity-url")


async def test_joins_are_attributed_one_at_a_time(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    fake.invite(guild, code="aaaa1111")
    fake.invite(guild, code="bbbb2222")
    async with harness.running(harness.client()):
        fake.bump_invite("aaaa1111")
        await fake.member_join(guild, fake.member("hal"))
        await _joined(harness, 1)
        fake.bump_invite("bbbb2222")
        await fake.member_join(guild, fake.member("ida"))
        events = await _joined(harness, 2)
    assert [(e.invite_code, e.invite_confidence) for e in events] == [
        ("aaaa1111", INFERRED),
        ("bbbb2222", INFERRED),
    ]


def test_attribution_rules() -> None:
    def snap(vanity: int | None = None, **uses: int | tuple[int, int]) -> Snapshot:
        return Snapshot(
            {c: InviteUse(*u) if isinstance(u, tuple) else InviteUse(u) for c, u in uses.items()}, vanity
        )

    assert attribute(snap(a=1, b=2), snap(a=2, b=2)) == Attribution("a", INFERRED)
    assert attribute(snap(a=1), snap(a=1, new=1)) == Attribution("new", INFERRED)  # made and used meanwhile
    assert attribute(snap(a=1), snap(a=3)) == Attribution(None, AMBIGUOUS)  # two joins through one invite
    assert attribute(snap(a=1, b=1), snap(a=2, b=2)) == Attribution(None, AMBIGUOUS)
    assert attribute(snap(a=1), snap(a=1)) == Attribution(None, AMBIGUOUS)  # nothing changed
    # an invite that vanished on its last use (Discord deletes it) is the likely one
    assert attribute(snap(a=(2, 3), b=1), snap(b=1)) == Attribution("a", LIKELY)
    assert attribute(snap(a=(1, 3)), snap()) == Attribution(None, AMBIGUOUS)  # revoked, not used up
    assert attribute(snap(5, a=1), snap(6, a=1)) == Attribution(None, None, vanity=True)
    assert attribute(snap(5, a=1), snap(6, a=2)) == Attribution(None, AMBIGUOUS)
    # a targeted invite explains only its own user's join, and that for certain
    alice, bob = 11, 22
    assert attribute(snap(t=(0, 1), a=1), snap(a=2), {"t": alice}, alice) == Attribution("t", CERTAIN)
    assert attribute(snap(t=(0, 1)), snap(), {"t": alice}, alice) == Attribution("t", CERTAIN)  # used up
    assert attribute(snap(t=0, a=1), snap(t=1, a=2), {"t": alice}, alice) == Attribution("t", CERTAIN)
    # someone else's targeted invite: left out, so a plain invite used at the same time is inferred
    assert attribute(snap(t=(0, 1), a=1), snap(a=2), {"t": alice}, bob) == Attribution("a", INFERRED)
    assert attribute(snap(t=(0, 1)), snap(), {"t": alice}, bob) == Attribution(None, AMBIGUOUS)
    # two joins at once, one through a targeted invite: each is still explained
    both_before, both_after = snap(t=(0, 1), a=1), snap(a=2)
    assert attribute(both_before, both_after, {"t": alice}, alice) == Attribution("t", CERTAIN)
    assert attribute(both_before, both_after, {"t": alice}, bob) == Attribution("a", INFERRED)


async def test_leaving_is_recorded_once(harness: Harness) -> None:
    fake, guild = harness.fake, harness.square.guild
    async with harness.running(harness.client()):
        joiner = await fake.member_join(guild, fake.member("jo"))
        await _joined(harness)
        await fake.member_leave(guild, joiner)
        async with asyncio.timeout(5):
            while not [e for e in harness.recorder.events if isinstance(e, MemberLeft)]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
    [left] = [e for e in harness.recorder.events if isinstance(e, MemberLeft)]
    assert left.member == MemberRef("discord", joiner["user"]["id"])


def _message(harness: Harness, author: str, channel: JSON | int | None = None, **extra: object) -> JSON:
    square = harness.square
    return harness.fake.message(
        "words the bot never reads",
        channel=channel if channel is not None else square.ids["channel:general"],
        author=square.members[author],
        **extra,
    )


async def test_messages_and_reactions_reach_the_sink_as_metadata_once(harness: Harness) -> None:
    fake, square = harness.fake, harness.square
    thread = fake.thread("Question", parent=square.ids["channel:general"])
    async with harness.running(harness.client()):
        fake.apply_event("THREAD_CREATE", thread)
        await fake.dispatch("THREAD_CREATE", thread)
        in_channel = _message(harness, "alice")
        frame = await fake.dispatch("MESSAGE_CREATE", in_channel)
        await fake.dispatch("MESSAGE_CREATE", _message(harness, "mo", channel=thread))
        await fake.dispatch("MESSAGE_CREATE", fake.message("a bot", guild=square.guild))  # the bot itself
        await fake.dispatch("MESSAGE_CREATE", _message(harness, "alice", type=7))  # a join notice
        await fake.send_raw(frame)  # replayed
        reaction = fake.reaction("🎉", message=in_channel, user=square.members["lee"])
        reaction_frame = await fake.dispatch("MESSAGE_REACTION_ADD", reaction)
        await fake.send_raw(reaction_frame)
        await harness.sink.wait_for(3)
        await asyncio.sleep(0.3)
    posted = [e for e in harness.sink.events if isinstance(e, MessagePosted)]
    reacted = [e for e in harness.sink.events if isinstance(e, ReactionAdded)]
    assert [(e.member.user_id, e.in_thread, e.channel_id) for e in posted] == [
        (str(square.member_id("alice")), False, str(square.ids["channel:general"])),
        (str(square.member_id("mo")), True, thread["id"]),
    ]
    assert posted[0].message_id == in_channel["id"] and posted[0].community_id == "town"
    [r] = reacted
    assert r.member == MemberRef("discord", str(square.member_id("lee")))
    assert r.message_author == MemberRef("discord", str(square.member_id("alice")))
    assert r.message_id == in_channel["id"]


async def test_the_outbox_mints_and_ties_the_invite_when_the_answer_did_not(harness: Harness) -> None:
    """The invite is an outbox effect of /refer's own transaction: the relay carries it out even when no
    answer hook ran (the answer timed out, the process restarted before delivery)."""
    fake, ids, square = harness.fake, harness.square.ids, harness.square
    async with harness.running(harness.client()):
        alice = Actor(MemberRef("discord", str(square.member_id("alice"))), harness.community.id)
        await harness.bus.handle(GiveCode(community_id=harness.community.id), alice)
        assert fake.requests_to("POST", f"/channels/{ids['channel:welcome']}/invites") == []
        await harness.app.relay.run_once()
        [minted] = fake.requests_to("POST", f"/channels/{ids['channel:welcome']}/invites")
        assert minted.payload == {"max_age": 7 * 24 * 3600, "max_uses": 3, "temporary": False, "unique": True}
        await harness.app.relay.run_once()  # delivered once: nothing is minted again
        assert len(fake.requests_to("POST", f"/channels/{ids['channel:welcome']}/invites")) == 1
    code = next(c for c, i in fake.invites.items() if i["max_uses"] == 3)
    tied = [c for c in harness.recorder.commands if isinstance(c, AttachInvite)]
    assert [(c.code, c.invite_code) for c in tied] == [("ABCDE-FGHJK", code)]
