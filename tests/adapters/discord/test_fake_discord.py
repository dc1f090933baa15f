"""The real discord.py client, driven end to end against ``FakeDiscord``."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.adapters.discord.fake_discord import JSON, FakeDiscord

ClientFactory = Callable[..., discord.Client]
Runner = Callable[..., AbstractAsyncContextManager[discord.Client]]


async def _event(fut: asyncio.Future[object]) -> object:
    return await asyncio.wait_for(fut, 5)


# --------------------------------------------------------------------------- login / gateway


async def test_client_logs_in_and_sees_guild_and_members(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
    intents: discord.Intents,
) -> None:
    client = make_client()
    async with run_client(client):
        identify = fake_discord.identify
        assert identify is not None
        assert identify["intents"] == intents.value
        assert not identify["intents"] & discord.Intents(message_content=True).value
        assert identify["token"] == "fake-token"

        assert client.user is not None and client.user.id == fake_discord.application_id
        assert client.application_id == fake_discord.application_id
        guild = client.get_guild(int(town["id"]))
        assert guild is not None and guild.name == "Town Square"
        assert {m.name for m in guild.members} == {"owner", "alice", "bob", "Townsquare"}
        assert guild.me is not None and guild.me.guild_permissions.manage_roles
        assert [c.name for c in guild.text_channels] == ["general", "welcome"]
        bob = guild.get_member_named("bob")
        assert bob is not None and [r.name for r in bob.roles] == ["@everyone", "Member"]
        assert client.latency < 1.0  # the immediate first heartbeat was ACKed

    assert any(frame["op"] == 1 for frame in fake_discord.gateway_received)  # heartbeats were sent
    login = fake_discord.requests_to("GET", "/users/@me")
    assert login and login[0].headers["Authorization"] == "Bot fake-token"
    assert fake_discord.requests_to("GET", "/oauth2/applications/@me")


async def test_members_are_withheld_without_members_intent(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client(intents=discord.Intents(guilds=True))
    async with run_client(client):
        guild = client.get_guild(int(town["id"]))
        assert guild is not None
        assert [m.id for m in guild.members] == [fake_discord.application_id]
        assert guild.member_count == 4


async def test_on_member_join_fires_for_dispatched_member_add(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    joined: asyncio.Future[discord.Member] = asyncio.get_running_loop().create_future()

    @client.event
    async def on_member_join(member: discord.Member) -> None:
        joined.set_result(member)

    async with run_client(client):
        carol = await fake_discord.member_join(town, fake_discord.member("carol"))
        member = await _event(joined)
        assert isinstance(member, discord.Member)
        assert member.id == int(carol["user"]["id"]) and member.guild.id == int(town["id"])
        assert any(m["user"]["username"] == "carol" for m in town["members"])  # fake state updated


async def test_replayed_dispatch_with_same_seq_is_delivered_again(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    seen: list[int] = []
    twice = asyncio.Event()

    @client.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        seen.append(payload.message_id)
        if len(seen) == 2:
            twice.set()

    async with run_client(client):
        msg = fake_discord.message("hello", guild=town, author=town["members"][2])
        frame = await fake_discord.dispatch(
            "MESSAGE_REACTION_ADD", fake_discord.reaction("🎉", message=msg, user=town["members"][3])
        )
        assert frame is not None
        await fake_discord.send_raw(frame)
        await asyncio.wait_for(twice.wait(), 5)
        # discord.py does not de-duplicate replays: handlers must be idempotent.
        assert seen == [int(msg["id"])] * 2
        assert client.ws is not None and client.ws.sequence == frame["s"]


async def test_reconnect_request_resumes_the_session(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    resumed = asyncio.Event()
    client.event(_setter("on_resumed", resumed))
    async with run_client(client):
        assert client.ws is not None
        session_id, seq = client.ws.session_id, client.ws.sequence
        await fake_discord.request_reconnect()
        await asyncio.wait_for(resumed.wait(), 5)
        assert fake_discord.resume_payloads == [{"token": "fake-token", "session_id": session_id, "seq": seq}]
        assert len(fake_discord.identify_payloads) == 1


async def test_events_missed_while_disconnected_are_replayed_on_resume(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    joined: asyncio.Future[discord.Member] = asyncio.get_running_loop().create_future()
    client.event(_setter("on_member_join", joined))
    async with run_client(client):
        await fake_discord.close_gateway(4000, "resumable outage")
        frame = await fake_discord.dispatch(  # queued: the socket is down
            "GUILD_MEMBER_ADD", fake_discord.member_event(fake_discord.member("dana"), town)
        )
        member = await _event(joined)
        assert isinstance(member, discord.Member) and member.name == "dana"
        assert frame is not None and fake_discord.resume_payloads[-1]["seq"] == frame["s"] - 1
        assert len(fake_discord.identify_payloads) == 1


def _setter(name: str, target: asyncio.Event | asyncio.Future[object]) -> Callable[..., object]:
    async def handler(*args: object) -> None:
        if isinstance(target, asyncio.Event):
            target.set()
        elif not target.done():
            target.set_result(args[0] if args else None)

    handler.__name__ = name
    return handler


async def test_message_content_is_stripped_without_the_intent(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    messages: asyncio.Queue[discord.Message] = asyncio.Queue()

    @client.event
    async def on_message(message: discord.Message) -> None:
        messages.put_nowait(message)

    async with run_client(client):
        alice = town["members"][2]
        await fake_discord.dispatch(
            "MESSAGE_CREATE", fake_discord.message("secret plans", guild=town, author=alice)
        )
        mention = fake_discord.message(
            f"<@{fake_discord.application_id}> help",
            guild=town,
            author=alice,
            mentions=[fake_discord.bot_user],
        )
        await fake_discord.dispatch("MESSAGE_CREATE", mention)
        first, second = [await asyncio.wait_for(messages.get(), 5) for _ in range(2)]
        assert first.content == "" and first.author.name == "alice"
        assert second.content.endswith("help")


async def test_disallowed_intents_close_code_raises_instead_of_looping(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
) -> None:
    fake_discord.close_on_identify(4014)
    client = make_client()
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.start("fake-token"), 10)
    finally:
        await client.close()
    assert len(fake_discord.identify_payloads) == 1


# --------------------------------------------------------------------------- interactions


async def test_slash_command_ephemeral_reply_is_posted_to_interaction_callback(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)
    got: dict[str, object] = {}

    @tree.command(name="refer", description="Refer a friend")
    async def refer(interaction: discord.Interaction, friend: discord.Member, note: str) -> None:
        got.update(friend=friend, note=note, user=interaction.user)
        await interaction.response.send_message(f"Referred {friend.name}", ephemeral=True)

    async with run_client(client):
        bob = town["members"][3]
        alice = town["members"][2]
        interaction = fake_discord.slash_interaction(
            "refer", {"friend": bob, "note": "great"}, user=alice, guild=town
        )
        await fake_discord.dispatch("INTERACTION_CREATE", interaction)
        request = await fake_discord.wait_for_request("POST", fake_discord.callback_path(interaction))

    assert request.status == 200
    assert request.query == {"with_response": "1"}  # discord.py >= 2.5 always asks for the callback resource
    assert request.payload["type"] == 4
    assert request.payload["data"]["flags"] == 64
    assert request.payload["data"]["content"] == "Referred bob"
    assert "Authorization" not in request.headers  # interaction callbacks are authenticated by the token
    assert got["note"] == "great"
    assert isinstance(got["friend"], discord.Member) and got["friend"].name == "bob"
    assert getattr(got["user"], "name", None) == "alice"
    original = fake_discord.original_message(interaction)
    assert original is not None and original["flags"] & 64 and original["content"] == "Referred bob"


async def test_defer_then_edit_original_and_followup(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @tree.command(name="digest", description="Weekly digest")
    async def digest(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Digest ready")
        followup = await interaction.followup.send("More details", wait=True)
        outcome.set_result(f"{followup.id}")

    async with run_client(client):
        interaction = fake_discord.slash_interaction("digest", guild=town)
        await fake_discord.dispatch("INTERACTION_CREATE", interaction)
        followup_id = await _event(outcome)

    assert [r.payload["type"] for r in fake_discord.callbacks(interaction)] == [5]
    edit = fake_discord.requests_to(
        "PATCH", f"/webhooks/{fake_discord.application_id}/{interaction['token']}/messages/@original"
    )
    assert edit and edit[0].payload["content"] == "Digest ready"
    original = fake_discord.original_message(interaction)
    assert original is not None and original["content"] == "Digest ready" and not original["flags"] & 128
    assert int(followup_id) in fake_discord.messages


async def test_persistent_view_receives_component_interaction(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    clicked: asyncio.Future[discord.Interaction] = asyncio.get_running_loop().create_future()

    class ApplyView(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)

        @discord.ui.button(label="Apply", custom_id="townsquare:apply", style=discord.ButtonStyle.primary)
        async def apply(self, interaction: discord.Interaction, button: discord.ui.Button[ApplyView]) -> None:
            await interaction.response.edit_message(content="Application received", view=None)
            clicked.set_result(interaction)

    client = make_client()
    async with run_client(client):
        client.add_view(ApplyView())
        interaction = fake_discord.component_interaction(
            "townsquare:apply", guild=town, user=town["members"][2]
        )
        await fake_discord.dispatch("INTERACTION_CREATE", interaction)
        result = await _event(clicked)
        assert isinstance(result, discord.Interaction) and result.user.name == "alice"
        callback = await fake_discord.wait_for_request("POST", fake_discord.callback_path(interaction))

    assert callback.payload["type"] == 7
    assert callback.payload["data"]["content"] == "Application received"
    assert fake_discord.messages[int(interaction["message"]["id"])]["content"] == "Application received"


async def test_modal_submit_reaches_modal(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    submitted: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    class Intro(discord.ui.Modal, title="Introduce yourself"):
        about: discord.ui.TextInput[Intro] = discord.ui.TextInput(label="About you", custom_id="about")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Thanks!", ephemeral=True)
            submitted.set_result(self.about.value)

    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="intro", description="Introduce yourself")
    async def intro(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Intro(custom_id="townsquare:intro"))

    async with run_client(client):
        command = fake_discord.slash_interaction("intro", guild=town)
        await fake_discord.dispatch("INTERACTION_CREATE", command)
        modal_cb = await fake_discord.wait_for_request("POST", fake_discord.callback_path(command))
        assert modal_cb.payload["type"] == 9 and modal_cb.payload["data"]["custom_id"] == "townsquare:intro"

        submit = fake_discord.modal_submit_interaction(
            "townsquare:intro", {"about": "I like gardens"}, guild=town
        )
        await fake_discord.dispatch("INTERACTION_CREATE", submit)
        assert await _event(submitted) == "I like gardens"
        reply = await fake_discord.wait_for_request("POST", fake_discord.callback_path(submit))
        assert reply.payload["data"]["flags"] == 64


async def test_message_context_menu_receives_target_message(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    received: asyncio.Future[discord.Message] = asyncio.get_running_loop().create_future()
    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.context_menu(name="Nominate")
    async def nominate(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.defer(ephemeral=True)
        received.set_result(message)

    async with run_client(client):
        target = fake_discord.message("a helpful answer", guild=town, author=town["members"][3])
        interaction = fake_discord.message_context_interaction("Nominate", target, guild=town)
        await fake_discord.dispatch("INTERACTION_CREATE", interaction)
        message = await _event(received)
        assert isinstance(message, discord.Message)
        assert message.id == int(target["id"]) and message.content == "a helpful answer"
        callback = await fake_discord.wait_for_request("POST", fake_discord.callback_path(interaction))
        assert callback.payload == {"type": 5, "data": {"flags": 64}}


async def test_command_tree_sync_is_stored_and_returned(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="badge", description="Show badges")
    async def badge(interaction: discord.Interaction) -> None: ...

    guild = discord.Object(int(town["id"]))

    @tree.command(name="cohort", description="Cohort admin", guild=guild)
    async def cohort(interaction: discord.Interaction) -> None: ...

    async with run_client(client):
        synced = await tree.sync()
        guild_synced = await tree.sync(guild=guild)
        assert [c.name for c in synced] == ["badge"] and synced[0].id
        assert [c.name for c in guild_synced] == ["cohort"]
        assert [c.name for c in await tree.fetch_commands()] == ["badge"]
        again = await tree.sync()
        assert again[0].id == synced[0].id  # ids are stable across overwrites

    put = fake_discord.requests_to("PUT", f"/applications/{fake_discord.application_id}/commands")
    assert put[0].payload[0]["name"] == "badge"
    assert fake_discord.guild_commands[int(town["id"])][0]["name"] == "cohort"


# --------------------------------------------------------------------------- REST behaviour


async def test_rate_limited_message_is_retried_and_sent_once(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    general = town["channels"][0]
    path = f"/channels/{general['id']}/messages"
    fake_discord.fail_next("POST", r"/channels/\d+/messages", 429, retry_after=0.1)
    client = make_client()
    async with run_client(client):
        channel = client.get_channel(int(general["id"]))
        assert isinstance(channel, discord.TextChannel)
        started = time.monotonic()
        message = await channel.send("Welcome to the weekly digest!")
        assert time.monotonic() - started >= 0.1

    attempts = fake_discord.requests_to("POST", path)
    assert [r.status for r in attempts] == [429, 200]
    assert [m["content"] for m in fake_discord.sent_messages(general)] == ["Welcome to the weekly digest!"]
    assert message.id == int(fake_discord.sent_messages(general)[0]["id"])


async def test_server_error_surfaces_as_discord_exception(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    fake_discord.fail_next("PUT", r"/guilds/\d+/members/\d+/roles/\d+", 503)
    fake_discord.fail_next("PUT", r"/guilds/\d+/members/\d+/roles/\d+", 403, code=50013)
    client = make_client()
    async with run_client(client):
        guild = client.get_guild(int(town["id"]))
        assert guild is not None
        alice = guild.get_member_named("alice")
        role = discord.utils.get(guild.roles, name="Member")
        assert alice is not None and role is not None
        with pytest.raises(discord.DiscordServerError):
            await alice.add_roles(role)
        with pytest.raises(discord.Forbidden) as forbidden:
            await alice.add_roles(role)
        assert forbidden.value.code == 50013
        await alice.add_roles(role, reason="Completed onboarding")

    ok = fake_discord.requests_to("PUT", f"/guilds/{town['id']}/members/{alice.id}/roles/{role.id}")[-1]
    assert ok.status == 204 and ok.headers["X-Audit-Log-Reason"] == "Completed onboarding"
    assert str(role.id) in town["members"][2]["roles"]


async def test_unknown_interaction_error_is_raised(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    errors: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="slow", description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("late")
        except discord.NotFound as exc:
            errors.set_result(exc)

    async with run_client(client):
        fake_discord.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 404, code=10062)
        await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.slash_interaction("slow", guild=town))
        exc = await _event(errors)
        assert isinstance(exc, discord.NotFound) and exc.code == 10062


async def test_dm_invites_threads_and_events(
    fake_discord: FakeDiscord,
    town: JSON,
    make_client: ClientFactory,
    run_client: Runner,
) -> None:
    invite = fake_discord.invite(town, code="friends1", inviter=town["members"][2], uses=3)
    fake_discord.set_vanity_url(town, "townsquare", uses=7)
    client = make_client()
    async with run_client(client):
        guild = client.get_guild(int(town["id"]))
        assert guild is not None
        alice = guild.get_member_named("alice")
        assert alice is not None

        dm = await alice.send("Welcome!")
        assert isinstance(dm.channel, discord.DMChannel)

        invites = await guild.invites()
        assert [(i.code, i.uses, i.inviter and i.inviter.name) for i in invites] == [("friends1", 3, "alice")]
        fake_discord.bump_invite(invite["code"])
        assert [i.uses for i in await guild.invites()] == [4]
        vanity = await guild.vanity_invite()
        assert vanity is not None and vanity.code == "townsquare" and vanity.uses == 7

        general = guild.text_channels[0]
        created = await general.create_invite(max_age=3600, max_uses=1)
        assert created.code in fake_discord.invites and created.max_uses == 1

        thread = await general.create_thread(name="Cohort 7", type=discord.ChannelType.private_thread)
        await thread.add_user(alice)
        assert fake_discord.thread_members[thread.id] >= {alice.id}

        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        event = await guild.create_scheduled_event(
            name="Town hall",
            start_time=start,
            end_time=start + dt.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="Online",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        assert event.name == "Town hall" and event.location == "Online"

        fetched = await guild.fetch_member(alice.id)
        assert fetched.name == "alice"
        with pytest.raises(discord.NotFound):
            await guild.fetch_member(1234567890123)

    assert fake_discord.requests_to("POST", "/users/@me/channels")[0].payload == {"recipient_id": alice.id}
    unknown = fake_discord.requests_to("GET", f"/guilds/{town['id']}/members/1234567890123")
    assert unknown[0].status == 404


async def test_second_acknowledgement_is_rejected_with_40060(fake_discord: FakeDiscord, town: JSON) -> None:
    interaction = fake_discord.slash_interaction("digest", guild=town)
    fake_discord.apply_event("INTERACTION_CREATE", interaction)  # as if dispatched to a client
    url = fake_discord.base_url + "/api/v10" + fake_discord.callback_path(interaction)
    async with aiohttp.ClientSession() as session:
        first = await session.post(url, json={"type": 5}, params={"with_response": "1"})
        second = await session.post(url, json={"type": 4, "data": {"content": "again"}})
        unknown = await session.post(url.replace(interaction["id"], "42"), json={"type": 4})
        assert first.status == 200
        assert (await first.json())["interaction"]["response_message_loading"] is True
        assert (second.status, (await second.json())["code"]) == (400, 40060)
        assert (unknown.status, (await unknown.json())["code"]) == (404, 10062)


async def test_late_acknowledgement_and_unknown_routes(fake_discord: FakeDiscord, town: JSON) -> None:
    fake_discord.interaction_ack_deadline = 0.0  # Discord allows 3s; the fake is told to allow none
    interaction = fake_discord.slash_interaction("digest", guild=town)
    fake_discord.apply_event("INTERACTION_CREATE", interaction)
    async with aiohttp.ClientSession(base_url=fake_discord.base_url) as session:
        late = await session.post("/api/v10" + fake_discord.callback_path(interaction), json={"type": 5})
        assert (late.status, (await late.json())["code"]) == (404, 10062)
        unknown = await session.get("/api/v10/guilds/1/audit-logs", headers={"Authorization": "Bot t"})
        assert unknown.status == 404
        assert await unknown.json() == {"message": "404: Not Found", "code": 0}
        assert unknown.headers["Content-Type"] == "application/json"
    recorded = fake_discord.requests_to("GET", "/guilds/1/audit-logs")
    assert [(r.status, r.headers["Authorization"]) for r in recorded] == [(404, "Bot t")]
    method, path, body, headers = recorded[0]
    assert (method, path, body) == ("GET", "/guilds/1/audit-logs", None)
